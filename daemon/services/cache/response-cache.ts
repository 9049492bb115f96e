// gateway (issue 12): the response cache's memory side: exact entries by key in LRU order (a Map
// keeps insertion order; a hit re-inserts), a TTL, a size bound, and invalidation of a model's
// entries when its config changes. Persistence goes through the ResponseCacheStore port.
import type { ServiceConfig } from '../deps';
import { modelFingerprint } from './key';
import { EMPTY_COUNTERS, type CacheCounters, type CacheEntry, type ResponseCacheStore } from './port';

export interface CacheSettings {
  exact: boolean;
  semantic: boolean;
  ttlS: number;
  maxEntries: number;
  /** Cache requests with temperature > 0 too (off by default: such answers are meant to vary). */
  anyTemperature: boolean;
  /** Cosine similarity a semantic hit needs. */
  semanticThreshold: number;
}

export const DEFAULT_CACHE_SETTINGS: CacheSettings = {
  exact: false,
  semantic: false,
  ttlS: 24 * 3600,
  maxEntries: 10_000,
  anyTemperature: false,
  semanticThreshold: 0.95,
};

export interface CacheStats extends CacheCounters {
  entries: number;
}

export class ResponseCache {
  private readonly byKey = new Map<string, CacheEntry>();
  private counters: CacheCounters;
  private sweptFor: ServiceConfig | null = null;
  /** Semantic index hooks (semantic.ts) follow every add/remove. */
  onAdd?: (entry: CacheEntry) => void;
  onRemove?: (entry: CacheEntry) => void;

  constructor(
    private readonly store: ResponseCacheStore,
    private readonly now: () => number = Date.now,
  ) {
    const { entries, counters } = store.load();
    for (const e of entries) this.byKey.set(e.key, e);
    this.counters = { ...EMPTY_COUNTERS, ...counters };
  }

  get size(): number {
    return this.byKey.size;
  }

  entries(): IterableIterator<CacheEntry> {
    return this.byKey.values();
  }

  /** A live entry for `key` whose model still has the config it answered with. */
  get(key: string, config: ServiceConfig): CacheEntry | undefined {
    this.sweepIfChanged(config);
    const entry = this.byKey.get(key);
    if (!entry) return undefined;
    if (!this.isLive(entry, config)) {
      this.drop([entry]);
      return undefined;
    }
    return entry;
  }

  isLive(entry: CacheEntry, config: ServiceConfig): boolean {
    if (entry.expires_at <= this.now()) return false;
    const model = config.pool.find((m) => m.name === entry.model);
    return model !== undefined && model.enabled !== false && modelFingerprint(model) === entry.model_fp;
  }

  put(entry: CacheEntry, settings: CacheSettings): void {
    const old = this.byKey.get(entry.key);
    if (old) this.drop([old], false);
    this.byKey.set(entry.key, entry);
    this.onAdd?.(entry);
    this.store.put(entry);
    if (this.byKey.size > settings.maxEntries) {
      const evicted: CacheEntry[] = [];
      for (const e of this.byKey.values()) {
        if (this.byKey.size - evicted.length <= settings.maxEntries) break;
        evicted.push(e);
      }
      this.drop(evicted);
    }
  }

  /** Counts a hit (money and time saved) and makes the entry most recently used. */
  hit(entry: CacheEntry, semantic: boolean): void {
    this.byKey.delete(entry.key);
    this.byKey.set(entry.key, entry);
    this.counters.hits++;
    if (semantic) this.counters.semantic_hits++;
    this.counters.saved_usd += entry.cost_usd;
    this.counters.saved_ms += entry.latency_ms;
    this.store.touch(entry.id, this.counters);
  }

  stats(): CacheStats {
    return { ...this.counters, saved_ms: Math.round(this.counters.saved_ms), entries: this.byKey.size };
  }

  /** After a config reload: drop the entries of models that changed or left the pool. */
  private sweepIfChanged(config: ServiceConfig): void {
    if (this.sweptFor === config) return;
    this.sweptFor = config;
    const stale = [...this.byKey.values()].filter((e) => !this.isLive(e, config));
    this.drop(stale);
  }

  private drop(entries: readonly CacheEntry[], persist = true): void {
    for (const e of entries) {
      this.byKey.delete(e.key);
      this.onRemove?.(e);
    }
    if (persist) this.store.remove(entries.map((e) => e.id));
  }
}
