// Pure: what the user attached to a chat request (files, selections, `#file`, plain strings), read
// into text by the participant, goes into the prompt within the chosen model's context window.
// When it does not fit, every attachment gets a fair share (small ones whole, the big ones cut to
// what is left), and each cut one says how many characters were dropped.
import type { ModelListEntry } from '../../shared/openai';
import { AUTO_MODEL_ID } from '../ids';
import { answerRoomTokens, DEFAULT_CONTEXT_TOKENS, estimateTokens } from '../lm/messages';

export interface ResolvedReference {
  /** How the user would name it: a workspace-relative path, `path:12-30`, or the variable's name. */
  label: string;
  kind: 'file' | 'selection' | 'text' | 'unreadable';
  text: string;
  /** The language id of the file, for the code fence. */
  language?: string | undefined;
}

export interface AttachmentsResult {
  /** The prompt with the attachments after it (the prompt alone when there are none). */
  content: string;
  /** Characters of attachment text left out to fit. */
  droppedChars: number;
  /** Labels of the attachments that were cut. */
  cut: string[];
}

/** Characters per token of the budget: the same rough estimate as estimateTokens. */
const CHARS_PER_TOKEN = 4;

export function truncationMarker(dropped: number): string {
  return `\n[… ${dropped} characters dropped to fit the model's context window]`;
}

/**
 * Splits `maxChars` over texts of the given lengths: a text shorter than its fair share keeps all of
 * it and leaves the rest to the others (water-filling), so one huge file cannot crowd out a small
 * selection. Returns the characters each may keep, in the input order.
 */
export function fairShares(lengths: readonly number[], maxChars: number): number[] {
  const order = lengths.map((len, i) => ({ len, i })).sort((a, b) => a.len - b.len);
  const shares = new Array<number>(lengths.length).fill(0);
  let left = Math.max(0, Math.floor(maxChars));
  order.forEach(({ len, i }, k) => {
    const share = Math.min(len, Math.floor(left / (order.length - k)));
    shares[i] = share;
    left -= share;
  });
  return shares;
}

function fence(text: string): string {
  // A fence longer than any backtick run inside, so file contents cannot close it early.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

function block(ref: ResolvedReference, text: string): string {
  const title = { file: 'File', selection: 'Selection', text: 'Attached', unreadable: 'Could not read' }[ref.kind];
  if (ref.kind === 'text' || ref.kind === 'unreadable') return `${title} \`${ref.label}\`:\n${text}`;
  const f = fence(text);
  return `${title} \`${ref.label}\`:\n${f}${ref.language ?? ''}\n${text}\n${f}`;
}

/**
 * The user's prompt followed by the attachments, the whole at most `maxChars` long when it can be
 * (the prompt itself is never cut: only attachment text is dropped, each cut with a marker).
 */
export function promptWithReferences(
  prompt: string,
  refs: readonly ResolvedReference[],
  maxChars: number,
): AttachmentsResult {
  if (refs.length === 0) return { content: prompt, droppedChars: 0, cut: [] };
  const header = '\n\n---\nAttached by the user:\n';
  const empty = refs.map((r) => block(r, ''));
  // Room for attachment text: the budget less the prompt, the headings, fences and markers.
  const overhead =
    prompt.length +
    header.length +
    empty.reduce((n, b) => n + b.length + 2, 0) +
    refs.length * truncationMarker(0).length +
    refs.length * 8;
  const shares = fairShares(
    refs.map((r) => r.text.length),
    maxChars - overhead,
  );
  let droppedChars = 0;
  const cut: string[] = [];
  const blocks = refs.map((ref, i) => {
    const keep = shares[i] ?? 0;
    if (keep >= ref.text.length) return block(ref, ref.text);
    const dropped = ref.text.length - keep;
    droppedChars += dropped;
    cut.push(ref.label);
    return block(ref, ref.text.slice(0, keep) + truncationMarker(dropped));
  });
  return { content: `${prompt}${header}\n${blocks.join('\n\n')}`, droppedChars, cut };
}

/**
 * The context window the attachments must fit: the forced model's, or for a routing mode the largest
 * in the pool (the router then sends a long prompt only to models whose window holds it).
 */
export function contextTokensFor(model: string, pool: readonly ModelListEntry[]): number {
  const isAuto = model === AUTO_MODEL_ID || model.startsWith('auto:');
  const windows = pool
    // Routing modes send only to models they can call (a model whose API key is unset is left out).
    .filter((m) => (isAuto ? m.id !== AUTO_MODEL_ID && !m.id.startsWith('auto:') && !m.unavailable : m.id === model))
    .map((m) => m.context_window ?? DEFAULT_CONTEXT_TOKENS);
  return windows.length > 0 ? Math.max(...windows) : DEFAULT_CONTEXT_TOKENS;
}

/**
 * Characters the prompt and its attachments may take: the window less room for the answer (a
 * quarter, at most 4096 tokens) and the conversation that goes with it.
 */
export function attachmentBudgetChars(contextTokens: number, historyText: string): number {
  const answerRoom = answerRoomTokens(contextTokens);
  const tokens = contextTokens - answerRoom - estimateTokens(historyText) - 64;
  return Math.max(0, tokens) * CHARS_PER_TOKEN;
}
