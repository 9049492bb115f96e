// The daemon's V8 young generation is kept at its starting size. V8 grows it (up to 2 × 16 MB
// semi-spaces on 64-bit) while many objects survive a scavenge — as when the learner loads 100k
// outcomes — and keeps it grown: `npm run bench:router` on an idle machine measured the main
// thread's new space at 32 MB committed and empty after a full collection, 263 MB RSS in all,
// against 226 MB with this (cached decision p50 0.95 → 0.87 ms in those two runs). The USE worker
// gets the same from its resourceLimits (embeddings/threaded.ts). The flag is read each time V8
// grows the space, so setting it after start-up takes effect (--max-semi-space-size would not).
import { setFlagsFromString } from 'node:v8';

export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
