// Pure: renders recent routed answers as one Markdown document and remembers which line each entry
// starts on, so the CodeLens provider can put "rate" lenses above it. Unit-tested without VS Code.
import type { DecisionRow } from '../../shared/api';

export interface AnswerEntry {
  row: DecisionRow;
  /** The answer text (from the trace); null when the request failed or was not stored. */
  answer: string | null;
}

export interface RenderedAnswers {
  text: string;
  /** One per entry: the 0-based line of its heading, where the lenses go. */
  entries: { requestId: string; line: number; rating: number | null; model: string }[];
}

export function stars(rating: number): string {
  const n = Math.max(0, Math.min(5, Math.round(rating)));
  return '★'.repeat(n) + '☆'.repeat(5 - n);
}

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export function renderAnswers(items: readonly AnswerEntry[], now = Date.now()): RenderedAnswers {
  const lines: string[] = [
    '# Fugusashi: recent answers',
    '',
    'Newest first. Rate an answer with the links above it (1–5 stars, or thumbs up/down): ratings teach the router.',
    '',
  ];
  const entries: RenderedAnswers['entries'] = [];
  if (items.length === 0) lines.push('_No routed answers yet. Ask `@fugusashi` in the chat, or use “Fugusashi: Ask”._');
  items.forEach(({ row, answer }, i) => {
    entries.push({
      requestId: row.request_id,
      line: lines.length,
      rating: row.rating,
      model: row.answered_by ?? row.decision.model,
    });
    lines.push(`## ${i + 1}. ${oneLine(row.prompt_preview || '(empty prompt)', 100)}`);
    lines.push('');
    const model = row.answered_by ?? row.decision.model;
    const fallback =
      row.answered_by && row.answered_by !== row.decision.model ? ` (routed to ${row.decision.model}, fell back)` : '';
    lines.push(
      `- **Model:** ${model}${fallback} · ${row.decision.strategy} · ${Math.round(row.decision.confidence * 100)}% confident · ${ago(now - row.created_at)}`,
    );
    lines.push(`- **Reason:** ${oneLine(row.decision.explanation, 240)}`);
    lines.push(
      `- **Rating:** ${row.rating === null ? 'not rated yet' : `${stars(row.rating)} (${row.rating}/5)`} · request \`${row.request_id}\``,
    );
    lines.push('');
    if (row.status === 'error') lines.push('> _The request failed._');
    else for (const l of (answer ?? '(answer not stored)').split('\n')) lines.push(`> ${l}`);
    lines.push('', '---', '');
  });
  return { text: lines.join('\n'), entries };
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
