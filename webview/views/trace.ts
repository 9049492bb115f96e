// One request's full story: the decision and why, every upstream attempt with its timing,
// orchestration steps, feedback, and the answer.
import type { Trace } from '../../shared/api';
import { byId, fill, h } from '../dom';
import { formatMs, formatPct, formatTime, formatUsd } from '../format';
import type { Transport } from '../transport';

function field(label: string, value: string | Node): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('span', { class: 'field-label' }, label),
    h('span', { class: 'field-value' }, value),
  );
}

/**
 * "1000 in (800 read from cache, 100 written to cache) · 10 out": the prompt-cache split the cost was
 * priced from (cached tokens cost less, cache writes more); left out when the upstream reported none.
 */
export function tokensText(usage: Trace['usage']): string {
  if (!usage) return '–';
  const details = usage.prompt_tokens_details;
  const parts: string[] = [];
  if (details?.cached_tokens) parts.push(`${details.cached_tokens} read from cache`);
  if (details?.cache_creation_tokens) {
    const hour = details.cache_creation_1h_tokens ? ` (${details.cache_creation_1h_tokens} for 1 h)` : '';
    parts.push(`${details.cache_creation_tokens} written to cache${hour}`);
  }
  const split = parts.length ? ` (${parts.join(', ')})` : '';
  return `${usage.prompt_tokens} in${split} · ${usage.completion_tokens} out`;
}

/** Attempt timings as bars on one time axis starting at the first attempt. */
function timeline(trace: Trace): HTMLElement {
  const start = Math.min(...trace.attempts.map((a) => a.started_at));
  const end = Math.max(...trace.attempts.map((a) => a.started_at + a.duration_ms), start + 1);
  const span = end - start;
  const list = h('ol', { class: 'attempts' });
  for (const a of trace.attempts) {
    const bar = h('span', { class: `attempt-bar ${a.status}` });
    bar.style.marginLeft = `${((a.started_at - start) / span) * 100}%`;
    bar.style.width = `${Math.max(0.5, (a.duration_ms / span) * 100)}%`;
    list.append(
      h(
        'li',
        { class: `attempt ${a.status}` },
        h(
          'div',
          { class: 'attempt-head' },
          h('strong', {}, a.model),
          ` ${a.status === 'ok' ? 'answered' : 'failed'} in ${formatMs(a.duration_ms)}`,
          a.first_byte_ms === null ? '' : ` · first byte ${formatMs(a.first_byte_ms)}`,
          a.upstream_status ? ` · HTTP ${a.upstream_status}` : '',
        ),
        h('div', { class: 'attempt-track' }, bar),
        a.error ? h('div', { class: 'attempt-error' }, a.error) : null,
      ),
    );
  }
  return list;
}

export class TraceView {
  private readonly panel = byId('trace');
  private requestId: string | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly onError: (message: string) => void,
    /** After the panel closed (Close or Escape): the table puts the focus back on the row. */
    private readonly onClosed: () => void = () => undefined,
  ) {}

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  close(): void {
    this.panel.hidden = true;
    this.requestId = null;
    this.onClosed();
  }

  async open(requestId: string): Promise<void> {
    this.requestId = requestId;
    this.panel.hidden = false;
    fill(this.panel, h('vscode-progress-ring', {}), h('span', {}, ` loading ${requestId}…`));
    try {
      const trace = await this.transport.call('trace', { request_id: requestId });
      if (this.requestId === requestId) this.render(trace);
    } catch (err) {
      fill(this.panel, h('p', { class: 'error' }, `Could not load the trace: ${(err as Error).message}`));
      this.onError(`Could not load trace ${requestId}`);
    }
  }

  /** Reloads the open trace when something about it changed (a rating). */
  refreshIf(requestId: string): void {
    if (this.requestId === requestId && !this.panel.hidden) void this.open(requestId);
  }

  private render(t: Trace): void {
    const d = t.decision;
    const close = h('vscode-button', { secondary: true, id: 'trace-close' }, 'Close');
    close.addEventListener('click', () => this.close());
    fill(
      this.panel,
      h('div', { class: 'trace-head' }, h('h3', {}, 'Trace ', h('code', {}, t.request_id)), close),
      h('p', { class: 'explanation' }, d.explanation),
      h(
        'div',
        { class: 'fields' },
        field('time', formatTime(t.created_at)),
        field('source', t.source),
        field('requested', t.requested_model),
        field('routed to', `${d.model} (${d.strategy}, ${formatPct(d.confidence)} sure)`),
        field('answered by', t.answered_by ?? '–'),
        field('routing', formatMs(d.latency_ms)),
        field('total', formatMs(t.latency_ms)),
        field('cost', `${formatUsd(t.cost_usd)} (estimated ${formatUsd(d.estimated_cost)})`),
        field('tokens', tokensText(t.usage)),
      ),
      d.chain && d.chain.length
        ? h(
            'details',
            { open: true },
            h('summary', {}, 'Strategy chain'),
            h(
              'ol',
              {},
              ...d.chain.map((c) =>
                h('li', {}, h('strong', {}, c.strategy), c.abstained ? ' passed: ' : ': ', c.reason),
              ),
            ),
          )
        : null,
      d.alternatives.length
        ? h(
            'details',
            {},
            h('summary', {}, 'Alternatives'),
            h('ol', {}, ...d.alternatives.map((a) => h('li', {}, `${a.model}: ${a.score.toFixed(3)}`))),
          )
        : null,
      h('h4', {}, `Attempts (${t.attempts.length})`),
      t.attempts.length ? timeline(t) : h('p', { class: 'empty' }, 'No upstream call was made.'),
      t.steps && t.steps.length
        ? h(
            'details',
            { open: true },
            h('summary', {}, `Orchestration steps (${t.steps.length})`),
            h(
              'ol',
              {},
              ...t.steps.map((s) =>
                h(
                  'li',
                  {},
                  h('strong', {}, `${s.kind} ${s.id}`),
                  ` → ${s.model} · ${s.status} · ${formatMs(s.duration_ms)} · ${formatUsd(s.cost_usd)} — ${s.reason}`,
                ),
              ),
            ),
          )
        : null,
      h('h4', {}, 'Feedback'),
      t.feedback.length
        ? h(
            'ul',
            {},
            ...t.feedback.map((f) =>
              h(
                'li',
                {},
                `${f.rating}/5 · ${f.source} · ${formatTime(f.created_at)}${f.comment ? ` — ${f.comment}` : ''}`,
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'Not rated yet: click the stars in the table.'),
      t.error ? h('p', { class: 'error' }, t.error) : null,
      t.response_text !== null
        ? h('details', {}, h('summary', {}, 'Answer'), h('pre', { class: 'answer' }, t.response_text))
        : null,
    );
  }
}
