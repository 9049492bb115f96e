// Pure Markdown rendering of routing facts for the chat participant (no vscode import: unit-tested).
import type { Trace, UsageStats } from '../../shared/api';
import type { RoutingDecision } from '../../shared/openai';

const pct = (x: number) => `${Math.round(x * 100)}%`;
const usd = (x: number) => (x === 0 ? '$0' : x < 0.01 ? `$${x.toFixed(5)}` : `$${x.toFixed(3)}`);
/** Markdown-safe inline text (model names and reasons come from config and the daemon). */
const inline = (s: string) =>
  s
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    .replace(/\s+/g, ' ')
    .trim();

/** The one line shown above every routed answer: model, confidence, one-line reason. */
export function decisionHeader(d: RoutingDecision): string {
  const extra = d.exploration ? ' · exploring' : '';
  return `**${inline(d.model)}** · ${pct(d.confidence)} confident · ${inline(d.strategy)}${extra} — ${inline(firstSentence(d.explanation))}\n\n`;
}

export function firstSentence(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

/** `/why`: the last decision with its alternatives, scores and the strategy chain. */
export function whyMarkdown(
  t: Pick<Trace, 'request_id' | 'prompt_preview' | 'decision' | 'answered_by' | 'latency_ms' | 'cost_usd' | 'rating'>,
): string {
  const d = t.decision;
  const lines = [
    `### Why ${inline(d.model)}`,
    '',
    `Prompt: “${inline(t.prompt_preview.slice(0, 120))}”`,
    '',
    `${inline(d.explanation)}`,
    '',
    `Strategy **${inline(d.strategy)}**, confidence ${pct(d.confidence)}, routing took ${d.latency_ms.toFixed(1)} ms, ` +
      `estimated cost ${usd(d.estimated_cost)}${d.exploration ? ' (exploration draw)' : ''}.`,
  ];
  if (t.answered_by && t.answered_by !== d.model)
    lines.push('', `Answered by **${inline(t.answered_by)}** after a fallback.`);
  if (d.alternatives.length) {
    lines.push('', '| model | score |', '|---|---:|');
    for (const a of d.alternatives)
      lines.push(`| ${inline(a.model)}${a.model === d.model ? ' ✓' : ''} | ${a.score.toFixed(3)} |`);
  }
  if (d.chain?.length) {
    lines.push('', 'Strategies consulted:');
    for (const c of d.chain)
      lines.push(`- ${inline(c.strategy)}: ${c.abstained ? 'passed' : 'decided'} — ${inline(c.reason)}`);
  }
  lines.push(
    '',
    `Request \`${t.request_id}\` · ${Math.round(t.latency_ms)} ms · ${usd(t.cost_usd)}` +
      (t.rating ? ` · rated ${t.rating}/5` : ''),
  );
  return lines.join('\n');
}

/** `/stats`: totals and the per-model table. */
export function statsMarkdown(s: UsageStats): string {
  const saved = s.cost_if_most_expensive_usd - s.cost_usd;
  const lines = [
    `### Fugusashi usage`,
    '',
    `${s.requests} requests (${s.errors} errors), ${s.prompt_tokens + s.completion_tokens} tokens, ` +
      `cost ${usd(s.cost_usd)} (vs ${usd(s.cost_if_most_expensive_usd)} on the priciest model: saved ${usd(Math.max(0, saved))}). ` +
      `Mean routing time ${s.mean_routing_latency_ms.toFixed(1)} ms.`,
  ];
  if (s.models.length) {
    lines.push('', '| model | requests | errors | cost | mean latency |', '|---|---:|---:|---:|---:|');
    for (const m of s.models) {
      lines.push(
        `| ${inline(m.model)} | ${m.requests} | ${m.errors} | ${usd(m.cost_usd)} | ${Math.round(m.mean_latency_ms)} ms |`,
      );
    }
  }
  return lines.join('\n');
}
