// Cross-validation folds by prompt hash: duplicates of a prompt always land in the same fold (no
// leakage from train to test), and the split does not depend on row order.
import { createHash } from 'node:crypto';

export function foldOf(prompt: string, folds: number): number {
  const h = createHash('sha256').update(prompt).digest();
  return h.readUInt32BE(0) % folds;
}

/** Deterministic PRNG (mulberry32) so benchmark runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
