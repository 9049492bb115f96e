// What the embedder sees of a routing text: its focus (the question of a long prompt, bounded; see
// core/learned/focus.ts), so the embedding and the lexical features describe the same words.
import * as crypto from 'node:crypto';
import { routingFocus } from '../core/learned/focus';

export function boundForEmbedding(text: string): string {
  return routingFocus(text);
}

// crypto.hash (Node ≥ 20.12) digests in one native call. createHash leaves a Hash object whose
// native state is freed only when V8 collects its small JS wrapper: the 100k keys a daemon computes
// at start-up (the learner keys every stored prompt) left megabytes of holes in malloc's heap.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;

/** 16-byte content key: the embedder id is part of it so two models never share a cache entry. */
export function contentKey(embedderId: string, boundedText: string): string {
  // The digest of the parts one after the other. Hex of the first 16 bytes only: slicing the full
  // hex string would keep all 64 characters alive behind each key.
  const digest = oneShot
    ? oneShot('sha256', `${embedderId}\0${boundedText}`, 'buffer')
    : crypto.createHash('sha256').update(embedderId).update('\0').update(boundedText).digest();
  return digest.toString('hex', 0, 16);
}
