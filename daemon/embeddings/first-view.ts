// How the router gets a prompt's embedding without waiting for USE (~30 ms of CPU per new prompt):
// the full vector when it is cached, else the fast view (fast-view.ts, well under a millisecond)
// at once, with the full one computed in the background, a few at a time, so that a rating of the
// answer, or the same prompt again, finds it. Outcomes are always learned with the full vector
// (the Learner embeds a rated prompt whose vector is not cached before storing it).
import { FastView, loadFastView } from './fast-view';
import { USE_ID } from './use';

export type PromptView = 'full' | 'fast';

export interface ViewedEmbedding {
  vector: Float32Array;
  /** 'fast': the distilled first view decided; the full embedding follows in the background. */
  view: PromptView;
}

/**
 * Full embeddings computed ahead of a rating: one at a time, at most one started every second
 * (30–100 ms of CPU each, ≤ 10 % of a core); prompts offered meanwhile are dropped, not queued. On a
 * 2-core machine under load, embedding every new prompt in the background took most of a core from
 * the request path; one every 250 ms still cost ~1 ms of CPU per `auto` request on unique
 * MMLU-length prompts (`npm run bench:new-prompts`: 3.5–4.9 ms of daemon CPU per request, against
 * 2.8–3.6 ms at one a second, side by side). A dropped prompt loses nothing: its rating gets it
 * embedded before learning.
 */
export const BACKGROUND_LIMIT = 1;
export const BACKGROUND_GAP_MS = 1000;

/** What the explanation adds when the fast view decided. */
export const FAST_VIEW_NOTE =
  "read from the prompt's fast first view (a static embedding distilled from USE); its full embedding is computed after the answer for learning";

/**
 * The fast view to use with this encoder: the bundled one for USE (whose space it shares), none for
 * another encoder (its vectors would not be comparable) or when turned off.
 */
export function fastViewFor(
  encoderId: string,
  setting: FastView | boolean | undefined,
  log: (msg: string) => void = () => {},
): FastView | null {
  if (setting === false) return null;
  if (setting instanceof FastView) return setting.header.space === encoderId ? setting : null;
  if (encoderId !== USE_ID) return null;
  try {
    return loadFastView();
  } catch (err) {
    log(`fast first view unavailable, new prompts wait for USE: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/**
 * Runs `work` for at most `limit` texts at once, starting one at most every `gapMs`; a text offered
 * while full (or too soon) is dropped, not queued.
 */
export class BoundedBackground {
  private readonly running = new Set<string>();
  private lastStart = -Infinity;
  dropped = 0;

  constructor(
    private readonly work: (text: string) => Promise<unknown>,
    readonly limit = BACKGROUND_LIMIT,
    readonly gapMs = BACKGROUND_GAP_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.running.size;
  }

  offer(text: string): boolean {
    if (this.running.has(text)) return true;
    const now = this.now();
    if (this.running.size >= this.limit || now - this.lastStart < this.gapMs) {
      this.dropped++;
      return false;
    }
    this.lastStart = now;
    this.running.add(text);
    // Never an unhandled rejection: the learner logs embedding failures itself.
    void this.work(text)
      .catch(() => undefined)
      .finally(() => this.running.delete(text));
    return true;
  }
}
