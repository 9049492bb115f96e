// The outcomes of other replicas the store's worker has handed to the learner, remembered so none
// is handed over twice, and forgotten once nothing can bring it again (remembering every id ever
// delivered held millions of ids in a long-lived replica of a busy team).
//
// Two paths bring an outcome: the notification its writer sends at commit (ids in the payload,
// fetched by id), and the periodic catch-up, which reads every row whose seq is above its floor
// (`lastSeq - SEQ_SLACK`: seq order is not commit order, so it looks back). An id may go when
//  - no catch-up can return it: its seq is at or below the floor of a catch-up that has finished.
//    Catch-ups run one at a time and the floor never goes down, so every later one starts above it;
//  - no notification can bring it: after that catch-up the worker sends a marker notification, and
//    PostgreSQL delivers notifications in commit order, so when the listener hears the marker it has
//    heard the notification of every outcome committed before the marker was sent, i.e. of every
//    id remembered by then. Such a notification either found the id remembered (skipped) or
//    started a fetch: an id being fetched is kept until its fetch settles, and the fetched row
//    finds it remembered.
// A listener that was not listening when an outcome committed never hears of it (LISTEN covers
// later commits only), so a marker lost with its listener only delays the forgetting.
export class DeliveredOutcomes {
  /** id → its seq, and how many markers had been sent when it was remembered. */
  private readonly seen = new Map<number, { seq: number; marks: number }>();
  /** Ids of notifications whose rows are being fetched (several notifications may name one id). */
  private readonly fetching = new Map<number, number>();
  private marksSent = 0;

  has(id: number): boolean {
    return this.seen.has(id);
  }

  remember(id: number, seq: number): void {
    if (!this.seen.has(id)) this.seen.set(id, { seq, marks: this.marksSent });
  }

  fetchStarted(ids: readonly number[]): void {
    for (const id of ids) this.fetching.set(id, (this.fetching.get(id) ?? 0) + 1);
  }

  fetchSettled(ids: readonly number[]): void {
    for (const id of ids) {
      const left = (this.fetching.get(id) ?? 1) - 1;
      if (left > 0) this.fetching.set(id, left);
      else this.fetching.delete(id);
    }
  }

  /** The number of a marker about to be sent (call it just before sending). */
  nextMark(): number {
    return ++this.marksSent;
  }

  /** The listener heard marker `mark`, sent after a finished catch-up whose floor was `floor`. */
  markHeard(mark: number, floor: number): void {
    for (const [id, { seq, marks }] of this.seen) {
      if (marks < mark && seq <= floor && !this.fetching.has(id)) this.seen.delete(id);
    }
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.seen.size;
  }
}
