// The live decisions table. Only one page of rows is ever in the DOM: the daemon pages with a
// cursor (created_at and request_id of the oldest row shown), so 10,000 stored decisions cost the
// same as 50, and requests stored in the same millisecond as a page's last row are not skipped.
// New decisions arrive as live events and are prepended while the newest page is shown.
import type { DecisionRow } from '../../shared/api';
import { byId, fill, h } from '../dom';
import { formatMs, formatPct, formatTime, formatUsd } from '../format';
import type { Transport } from '../transport';

export const PAGE_SIZE = 50;

/** Where a page starts: after this row (created_at, request_id); undefined = the newest page. */
type Cursor = { before: number; before_id: string } | undefined;

export interface DecisionsCallbacks {
  onOpenTrace(requestId: string): void;
  onError(message: string): void;
  /** A page load ended: null when it loaded, else why it did not (shown until a load succeeds). */
  onLoadResult(error: string | null): void;
}

export class DecisionsTable {
  private rows: DecisionRow[] = [];
  /** Cursors of the pages above the current one; empty = newest page. */
  private cursors: Cursor[] = [];
  private current: Cursor = undefined;
  private unseen = 0;
  private selected: string | null = null;
  private readonly body = byId('decisions-body');

  constructor(
    private readonly transport: Transport,
    private readonly callbacks: DecisionsCallbacks,
  ) {
    byId('page-newest').addEventListener('click', () => void this.load(undefined, []));
    byId('page-newer').addEventListener('click', () => {
      const cursors = [...this.cursors];
      const before = cursors.pop();
      void this.load(before, cursors);
    });
    byId('page-older').addEventListener('click', () => {
      const last = this.rows[this.rows.length - 1];
      const after: Cursor = last && { before: last.created_at, before_id: last.request_id };
      if (after) void this.load(after, [...this.cursors, this.current]);
    });
    // One listener for the whole table: rows come and go with every page and live event.
    this.body.addEventListener('click', (e) => this.onClick(e));
    // Rows are focusable: Enter opens the trace as a click does (the stars are buttons already).
    this.body.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.target as HTMLElement).matches('tr[data-id]')) this.onClick(e);
    });
  }

  /** Focus back on the row whose trace was shown (keyboard users continue where they were). */
  focusSelected(): void {
    if (!this.selected) return;
    this.body.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(this.selected)}"]`)?.focus();
  }

  /** Loads the page shown again (Retry). */
  reload(): Promise<void> {
    return this.load(this.current, this.cursors);
  }

  get onNewestPage(): boolean {
    return this.current === undefined;
  }

  async load(before: Cursor, cursors: Cursor[]): Promise<void> {
    try {
      const rows = await this.transport.call('decisions', { limit: PAGE_SIZE, ...before });
      this.rows = rows;
      this.current = before;
      this.cursors = cursors;
      if (before === undefined) this.unseen = 0;
      this.render();
      this.callbacks.onLoadResult(null);
    } catch (err) {
      this.callbacks.onLoadResult(`Could not load decisions: ${(err as Error).message}`);
    }
  }

  /** A live decision: shown at once on the newest page, counted on older pages. */
  add(row: DecisionRow): void {
    if (this.rows.some((r) => r.request_id === row.request_id)) return;
    if (!this.onNewestPage) {
      this.unseen += 1;
      this.renderPager();
      return;
    }
    this.rows.unshift(row);
    if (this.rows.length > PAGE_SIZE) this.rows.length = PAGE_SIZE;
    this.body.querySelector('.empty-row')?.remove();
    this.body.prepend(this.renderRow(row, true));
    while (this.body.children.length > PAGE_SIZE) this.body.lastElementChild?.remove();
    this.renderPager();
  }

  /** A rating arrived (from this page, another window or the editor). */
  setRating(requestId: string, rating: number | null): void {
    const row = this.rows.find((r) => r.request_id === requestId);
    if (!row) return;
    row.rating = rating;
    const tr = this.body.querySelector<HTMLTableRowElement>(`tr[data-id="${CSS.escape(requestId)}"]`);
    if (!tr) return;
    // A keyboard user who just rated (or the row itself) keeps the focus: replacing the row used to
    // drop it to the page's start, so rating the next answer meant tabbing through the page again.
    const focused = tr.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
    const fresh = this.renderRow(row, false);
    tr.replaceWith(fresh);
    if (!focused) return;
    const star = focused.dataset.rate;
    (star ? fresh.querySelector<HTMLElement>(`[data-rate="${star}"]`) : fresh)?.focus();
  }

  private render(): void {
    if (this.rows.length === 0) {
      fill(
        this.body,
        h(
          'tr',
          { class: 'empty-row' },
          h(
            'td',
            { colspan: 9, class: 'empty' },
            'No requests yet. Send one to /v1/chat/completions with model "auto".',
          ),
        ),
      );
    } else {
      fill(this.body, ...this.rows.map((r) => this.renderRow(r, false)));
    }
    this.renderPager();
  }

  private renderPager(): void {
    const newest = byId<HTMLButtonElement>('page-newest');
    newest.toggleAttribute('disabled', this.onNewestPage);
    newest.textContent = this.unseen > 0 ? `Newest (${this.unseen} new)` : 'Newest';
    byId('page-newer').toggleAttribute('disabled', this.onNewestPage);
    byId('page-older').toggleAttribute('disabled', this.rows.length < PAGE_SIZE);
    byId('page-info').textContent =
      this.rows.length === 0
        ? ''
        : `${formatTime(this.rows[this.rows.length - 1]?.created_at ?? 0)} – ${formatTime(this.rows[0]?.created_at ?? 0)}`;
  }

  private renderRow(row: DecisionRow, fresh: boolean): HTMLTableRowElement {
    const d = row.decision;
    const model = row.answered_by ?? d.model;
    const fellBack = row.answered_by !== null && row.answered_by !== d.model;
    const tr = h(
      'tr',
      {
        'data-id': row.request_id,
        class: [
          fresh ? 'fresh' : '',
          row.status === 'error' ? 'failed' : '',
          this.selected === row.request_id ? 'selected' : '',
        ]
          .filter(Boolean)
          .join(' '),
        tabindex: 0,
        title: d.explanation,
      },
      h('td', { class: 'time' }, formatTime(row.created_at)),
      h(
        'td',
        { class: 'model' },
        model,
        fellBack ? h('span', { class: 'note', title: `routed to ${d.model}, answered by ${model}` }, ' ↪') : null,
      ),
      h(
        'td',
        {},
        h('span', { class: 'badge' }, d.strategy),
        d.exploration ? h('span', { class: 'note' }, ' explore') : null,
      ),
      h('td', { class: 'num' }, formatPct(d.confidence)),
      h('td', { class: 'num' }, formatMs(row.latency_ms)),
      h('td', { class: 'num' }, formatUsd(row.cost_usd)),
      h('td', { class: 'rating' }, this.renderStars(row)),
      h('td', { class: 'prompt' }, row.prompt_preview),
      h('td', { class: 'status' }, row.status === 'error' ? 'error' : ''),
    );
    return tr;
  }

  private renderStars(row: DecisionRow): HTMLElement {
    const stars = h('span', { class: 'stars', role: 'radiogroup', 'aria-label': 'Rate this answer' });
    for (let n = 1; n <= 5; n++) {
      const on = row.rating !== null && n <= row.rating;
      stars.append(
        h(
          'button',
          {
            class: on ? 'star on' : 'star',
            'data-rate': n,
            role: 'radio',
            'aria-checked': row.rating === n ? 'true' : 'false',
            'aria-label': `${n} star${n > 1 ? 's' : ''}`,
            title: `Rate ${n}/5`,
          },
          on ? '★' : '☆',
        ),
      );
    }
    return stars;
  }

  private onClick(e: Event): void {
    const target = e.target as HTMLElement;
    const tr = target.closest<HTMLTableRowElement>('tr[data-id]');
    if (!tr) return;
    const id = tr.dataset.id ?? '';
    const star = target.closest<HTMLElement>('[data-rate]');
    if (star) {
      void this.rate(id, Number(star.dataset.rate));
      return;
    }
    this.selected = id;
    for (const other of this.body.querySelectorAll('tr.selected')) other.classList.remove('selected');
    tr.classList.add('selected');
    this.callbacks.onOpenTrace(id);
  }

  private async rate(requestId: string, rating: number): Promise<void> {
    const previous = this.rows.find((r) => r.request_id === requestId)?.rating ?? null;
    this.setRating(requestId, rating); // shown at once; undone below if the daemon refuses
    try {
      const result = await this.transport.call('rate', { request_id: requestId, rating });
      this.setRating(requestId, result.rating);
    } catch (err) {
      this.setRating(requestId, previous);
      this.callbacks.onError(`Rating not stored: ${(err as Error).message}`);
    }
  }
}
