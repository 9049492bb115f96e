// What the embedder sees of a routing text: its focus (the question of a long prompt, bounded; see
// core/learned/focus.ts), so the embedding and the lexical features describe the same words.
import { createHash } from 'node:crypto';
import { routingFocus } from '../core/learned/focus';

export function boundForEmbedding(text: string): string {
  return routingFocus(text);
}

/** 16-byte content key: the embedder id is part of it so two models never share a cache entry. */
export function contentKey(embedderId: string, boundedText: string): string {
  return createHash('sha256').update(embedderId).update('\0').update(boundedText).digest('hex').slice(0, 32);
}
