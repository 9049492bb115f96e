// What the embedder sees of a routing text. Long prompts are cut to their head and tail: the
// instruction is usually at the start and the actual question at the end, and USE's cost grows with
// the number of tokens, so a bound keeps an uncached embedding cheap.
import { createHash } from 'node:crypto';

export const EMBED_HEAD_CHARS = 500;
export const EMBED_TAIL_CHARS = 1_000;

export function boundForEmbedding(text: string): string {
  const t = text.trim();
  if (t.length <= EMBED_HEAD_CHARS + EMBED_TAIL_CHARS) return t;
  return `${t.slice(0, EMBED_HEAD_CHARS)}\n…\n${t.slice(t.length - EMBED_TAIL_CHARS)}`;
}

/** 16-byte content key: the embedder id is part of it so two models never share a cache entry. */
export function contentKey(embedderId: string, boundedText: string): string {
  return createHash('sha256').update(embedderId).update('\0').update(boundedText).digest('hex').slice(0, 32);
}
