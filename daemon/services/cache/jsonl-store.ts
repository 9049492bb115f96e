// gateway (issue 12): the embedded ResponseCacheStore: an append-only JSON-lines journal in the
// data dir (put / touch / remove lines), replayed at start and compacted when dead lines dominate.
// Appends are synchronous so an acknowledged answer's entry survives a crash of the daemon.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { EMPTY_COUNTERS, type CacheCounters, type CacheEntry, type ResponseCacheStore } from './port';

type Line =
  | { op: 'put'; entry: CacheEntry }
  | { op: 'touch'; id: string; counters: CacheCounters }
  | { op: 'remove'; ids: string[] };

export class JsonlCacheStore implements ResponseCacheStore {
  private lines = 0;

  constructor(private readonly file: string) {}

  load(): { entries: CacheEntry[]; counters: CacheCounters } {
    const entries = new Map<string, CacheEntry>();
    let counters: CacheCounters = { ...EMPTY_COUNTERS };
    if (existsSync(this.file)) {
      for (const raw of readFileSync(this.file, 'utf8').split('\n')) {
        if (!raw) continue;
        let line: Line;
        try {
          line = JSON.parse(raw) as Line;
        } catch {
          continue; // a torn last line after a crash
        }
        this.lines++;
        if (line.op === 'put') {
          entries.delete(line.entry.id);
          entries.set(line.entry.id, line.entry);
        } else if (line.op === 'touch') {
          const e = entries.get(line.id);
          if (e) {
            entries.delete(line.id);
            entries.set(line.id, e);
          }
          counters = line.counters;
        } else if (line.op === 'remove') for (const id of line.ids) entries.delete(id);
      }
    }
    const now = Date.now();
    const live = [...entries.values()].filter((e) => e.expires_at > now);
    if (this.lines > 2 * live.length + 200) this.compact(live, counters);
    return { entries: live, counters };
  }

  put(entry: CacheEntry): void {
    this.append({ op: 'put', entry });
  }

  touch(id: string, counters: CacheCounters): void {
    this.append({ op: 'touch', id, counters });
  }

  remove(ids: readonly string[]): void {
    if (ids.length > 0) this.append({ op: 'remove', ids: [...ids] });
  }

  close(): void {}

  private append(line: Line): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    this.lines++;
  }

  private compact(live: readonly CacheEntry[], counters: CacheCounters): void {
    const tmp = `${this.file}.tmp`;
    const lines = live.map((entry) => JSON.stringify({ op: 'put', entry }));
    const last = live.at(-1);
    if (last) lines.push(JSON.stringify({ op: 'touch', id: last.id, counters }));
    writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    renameSync(tmp, this.file);
    this.lines = lines.length;
  }
}
