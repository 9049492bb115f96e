// What the learned router reads of a long prompt: the question, not the material around it.
// Few-shot prompts (benchmarks, many tools) repeat the same worked examples before every question;
// embedded whole, they all land on one point and the router cannot tell them apart. The last block
// after a blank line is the question in that layout, and in "<pasted code>\n\nwhy does this fail?"
// too; when that block is too short to stand alone, or the text has no blocks, head and tail are
// kept instead. The bound also keeps an uncached embedding cheap (USE's cost grows with tokens).

export const FOCUS_MAX_CHARS = 600;
/** A last block shorter than this ("thanks", "Answer:") is not the question on its own. */
const MIN_BLOCK_CHARS = 40;
const FOCUS_HEAD_CHARS = 200;
// Real blank lines, and the escaped "\n\n" of prompts stored as string literals (RouterBench).
const BLOCK_BREAK = /\n[ \t]*\n|\\n\\n/;

export function routingFocus(text: string): string {
  const t = text.trim();
  if (t.length <= FOCUS_MAX_CHARS) return t;
  const blocks = t.split(BLOCK_BREAK);
  const last = blocks.length > 1 ? blocks[blocks.length - 1]!.trim() : '';
  const focus = last.length >= MIN_BLOCK_CHARS ? last : t;
  if (focus.length <= FOCUS_MAX_CHARS) return focus;
  const tail = FOCUS_MAX_CHARS - FOCUS_HEAD_CHARS;
  return `${focus.slice(0, FOCUS_HEAD_CHARS)}\n…\n${focus.slice(focus.length - tail)}`;
}
