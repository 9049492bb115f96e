// Bucket widths of the usage-over-time chart. Pure, so it is unit-tested without a DOM.

export const BUCKETS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type BucketChoice = keyof typeof BUCKETS | 'auto';

/** "auto": per minute for the first 3 hours of history, per hour up to 4 days, then per day. */
export function autoBucketMs(since: number | null, now = Date.now()): number {
  const span = since === null ? 0 : now - since;
  if (span <= 3 * BUCKETS.hour) return BUCKETS.minute;
  if (span <= 4 * BUCKETS.day) return BUCKETS.hour;
  return BUCKETS.day;
}

/** How many buckets the chart asks for: enough history to read, few enough points to stay instant. */
export const MAX_BUCKETS = 120;

export function bucketName(bucketMs: number): string {
  return bucketMs >= BUCKETS.day ? 'day' : bucketMs >= BUCKETS.hour ? 'hour' : 'minute';
}

/**
 * The daemon returns only buckets that had requests; a chart needs the empty ones too, or a quiet
 * hour would be drawn as a straight line between two busy ones. Fills from the first bucket to the
 * bucket holding `now` (at most MAX_BUCKETS + 1 points).
 */
export function fillBuckets<B extends { start: number }>(
  buckets: readonly B[],
  bucketMs: number,
  now: number,
  empty: (start: number) => B,
): B[] {
  if (buckets.length === 0) return [];
  const byStart = new Map(buckets.map((b) => [b.start, b]));
  const sorted = [...buckets].sort((a, b) => a.start - b.start);
  const first = sorted[0]!.start;
  const lastData = sorted[sorted.length - 1]!.start;
  const end = Math.max(lastData, first + Math.floor((now - first) / bucketMs) * bucketMs);
  const from = Math.max(first, end - MAX_BUCKETS * bucketMs);
  const out: B[] = [];
  for (let t = from; t <= end; t += bucketMs) out.push(byStart.get(t) ?? empty(t));
  // Buckets the grid did not hit (a daemon aligning differently) are kept rather than dropped.
  for (const b of sorted) if (b.start >= from && !out.includes(b)) out.push(b);
  return out.sort((a, b) => a.start - b.start);
}
