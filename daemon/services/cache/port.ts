// gateway (issue 12): the response cache's persistence port. The embedded implementation is a
// JSON-lines journal in the data dir (jsonl-store.ts); a PostgreSQL one can implement the same
// four methods later. Entries are small (the answer text, its usage and where it came from).
import type { ToolCall, Usage } from '../../../shared/openai';

export interface CachedAnswer {
  content: string | null;
  tool_calls?: ToolCall[];
  finish_reason: 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;
}

export interface CacheEntry {
  /** "cache-" + hex: shown in routing_decision.cache.entry_id. */
  id: string;
  /** sha256 of the normalised request (+ pool/strategy fingerprint). */
  key: string;
  created_at: number;
  expires_at: number;
  /** Pool model that produced the answer, and a fingerprint of its config then. */
  model: string;
  model_fp: string;
  answer: CachedAnswer;
  usage: Usage;
  /** What the original answer cost and took: a hit saves this much. */
  cost_usd: number;
  latency_ms: number;
  /** Semantic entries: the last user turn's unit embedding (int8, base64) + a hash of everything else. */
  semantic?: { vector: string; rest: string };
}

export interface CacheCounters {
  hits: number;
  semantic_hits: number;
  saved_usd: number;
  saved_ms: number;
}

export interface ResponseCacheStore {
  /** Live entries (oldest use first) and the counters, at start. */
  load(): { entries: CacheEntry[]; counters: CacheCounters };
  put(entry: CacheEntry): void;
  /** A hit: the entry becomes most recently used; counters are persisted. */
  touch(id: string, counters: CacheCounters): void;
  remove(ids: readonly string[]): void;
  close(): void;
}

export const EMPTY_COUNTERS: CacheCounters = { hits: 0, semantic_hits: 0, saved_usd: 0, saved_ms: 0 };
