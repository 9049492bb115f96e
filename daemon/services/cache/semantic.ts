// gateway (issue 12): the semantic cache index (opt-in). Filled in by the semantic step.
import type { ChatCompletionRequest } from '../../../shared/openai';
import type { CacheEntry } from './port';

export interface SemanticIndex {
  /** The entry's semantic part: embedding of the last user turn + hash of the rest; null when not embeddable. */
  describe(request: ChatCompletionRequest): Promise<CacheEntry['semantic'] | null>;
  /** The most similar live entry at or above the threshold, with the same rest-of-request hash. */
  find(
    request: ChatCompletionRequest,
    exactKey: string,
    threshold: number,
    isLive: (entry: CacheEntry) => boolean,
  ): Promise<{ entry: CacheEntry; similarity: number } | null>;
}
