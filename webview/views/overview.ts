// Overview: headline figures, model usage over time, strategy distribution, per-model rankings.
import type { FeedbackStats, ModelRanking, UsageBucket, UsageStats } from '../../shared/api';
import { Chart } from '../charts';
import { byId, fill, h } from '../dom';
import { formatCount, formatCountOf, formatInt, formatMs, formatPct, formatTime, formatUsd } from '../format';
import { bucketName, fillBuckets } from '../buckets';
import { colourFor } from '../theme';

function card(label: string, value: string, detail: string, id: string): HTMLElement {
  return h(
    'div',
    { class: 'card', 'data-card': id },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value),
    h('div', { class: 'card-detail' }, detail),
  );
}

export function renderCards(stats: UsageStats, feedback: FeedbackStats | null): void {
  const saved = stats.cost_if_most_expensive_usd - stats.cost_usd;
  const savedShare = stats.cost_if_most_expensive_usd > 0 ? saved / stats.cost_if_most_expensive_usd : null;
  fill(
    byId('cards'),
    card('Requests', formatInt(stats.requests), formatCountOf(stats.errors, 'error'), 'requests'),
    card(
      'Tokens',
      formatCount(stats.prompt_tokens + stats.completion_tokens),
      `${formatCount(stats.prompt_tokens)} in · ${formatCount(stats.completion_tokens)} out`,
      'tokens',
    ),
    card(
      'Cost',
      formatUsd(stats.cost_usd),
      `${formatUsd(stats.cost_if_most_expensive_usd)} on the priciest model`,
      'cost',
    ),
    card(
      'Saved',
      formatUsd(Math.max(0, saved)),
      savedShare === null ? 'no priced traffic yet' : `${formatPct(savedShare)} less`,
      'saved',
    ),
    card('Routing latency', formatMs(stats.mean_routing_latency_ms), 'mean time to decide', 'latency'),
    card(
      'Ratings',
      feedback ? formatInt(feedback.ratings) : '–',
      feedback ? `${formatCountOf(feedback.outcomes, 'outcome')} learned from` : '',
      'ratings',
    ),
  );
}

export function renderStrategies(stats: UsageStats): void {
  const rows = [...stats.per_strategy].sort((a, b) => b.requests - a.requests);
  const total = rows.reduce((s, r) => s + r.requests, 0);
  const list = byId('strategies');
  if (total === 0) {
    fill(list, h('p', { class: 'empty' }, 'No routed requests yet.'));
    return;
  }
  fill(
    list,
    ...rows.map((r) =>
      h(
        'div',
        { class: 'bar-row', 'data-strategy': r.strategy },
        h('span', { class: 'bar-label' }, r.strategy),
        h(
          'span',
          { class: 'bar-track' },
          h('span', { class: 'bar-fill', 'data-share': (r.requests / total).toFixed(4) }),
        ),
        h('span', { class: 'bar-value' }, `${formatInt(r.requests)} · ${formatPct(r.requests / total)}`),
      ),
    ),
  );
  // Widths through CSSOM (allowed by the CSP), not inline style attributes (blocked by it).
  for (const fillEl of list.querySelectorAll<HTMLElement>('.bar-fill')) {
    fillEl.style.width = `${Number(fillEl.dataset.share) * 100}%`;
  }
}

export class UsageChart {
  private readonly chart = new Chart(byId('usage-chart'));

  render(buckets: UsageBucket[], bucketMs: number, models: readonly string[]): void {
    const names = [...new Set(buckets.flatMap((b) => Object.keys(b.per_model)))].sort();
    const empty = byId('usage-empty');
    empty.hidden = buckets.length > 0;
    const sorted = fillBuckets(buckets, bucketMs, Date.now(), (start): UsageBucket => ({
      start,
      per_model: {},
      cost_usd: 0,
    }));
    // Stacked bars: series k is the sum of models 0..k, drawn tallest first so each model's share
    // shows as its own band (uPlot draws later series on top).
    const palette = models.length ? models : names;
    const running = sorted.map(() => 0);
    const stacked = names.map((name) => {
      const values = sorted.map((b, i) => (running[i] = (running[i] ?? 0) + (b.per_model[name] ?? 0)));
      return { label: name, colour: colourFor(name, palette), values, bars: true };
    });
    this.chart.render({
      x: sorted.map((b) => b.start / 1000),
      time: true,
      yLabel: 'requests',
      height: 220,
      formatY: (v) => (Number.isInteger(v) ? String(v) : ''),
      yRange: [0, Math.max(1, ...running) * 1.1],
      xPad: bucketMs / 2000,
      series: stacked.reverse(),
    });
    byId('usage-caption').textContent =
      buckets.length === 0
        ? ''
        : `requests per ${bucketName(bucketMs)} · ` + `${formatTime(sorted[0]?.start ?? 0)} – now`;
  }

  rebuild(): void {
    this.chart.rebuild();
  }
}

export function renderRankings(rankings: ModelRanking[], stats: UsageStats | null): void {
  const usage = new Map((stats?.models ?? []).map((m) => [m.model, m]));
  const rows = [...rankings].sort((a, b) => (b.win_rate ?? -1) - (a.win_rate ?? -1) || b.requests - a.requests);
  // Models that answered but are not ranked yet still belong in the table.
  for (const m of usage.values()) {
    if (!rows.some((r) => r.model === m.model)) {
      rows.push({
        model: m.model,
        ratings: 0,
        mean_rating: null,
        win_rate: null,
        cost_per_request_usd: m.requests ? m.cost_usd / m.requests : 0,
        requests: m.requests,
        by_capability: [],
      });
    }
  }
  const body = byId('rankings-body');
  if (rows.length === 0) {
    fill(body, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No models have answered yet.')));
    return;
  }
  fill(
    body,
    ...rows.map((r) => {
      const u = usage.get(r.model);
      return h(
        'tr',
        { 'data-model': r.model },
        h('td', {}, r.model),
        h('td', { class: 'num' }, formatInt(r.requests)),
        h('td', { class: 'num' }, formatPct(r.win_rate)),
        h('td', { class: 'num' }, r.mean_rating === null ? '–' : `${r.mean_rating.toFixed(2)} ★`),
        h('td', { class: 'num' }, formatInt(r.ratings)),
        h('td', { class: 'num' }, formatUsd(r.cost_per_request_usd)),
        h('td', { class: 'num' }, u ? formatMs(u.mean_latency_ms) : '–'),
      );
    }),
  );
}
