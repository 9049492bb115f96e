// A process's RSS by kind of mapping (MB, Linux only), from /proc/PID/smaps: glibc malloc's main
// arena (`[heap]`) and its per-thread arenas (anonymous mappings aligned to 64 MB, at most 64 MB),
// the tfjs WASM memory (the anonymous mapping of its size, when known), files (node's binary and
// libraries, shared with every node process), and the rest (mostly V8's heap pages).
import { existsSync, readFileSync } from 'node:fs';

export function rssByMapping(pid: number | 'self' = 'self', wasmBytes = 0): Record<string, number> | undefined {
  const file = `/proc/${pid}/smaps`;
  if (!existsSync(file)) return undefined;
  const out: Record<string, number> = {};
  let kind = 'other';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const start = BigInt(`0x${head[1]!}`);
      const size = Number(BigInt(`0x${head[2]!}`) - start);
      const name = head[3]!.trim();
      if (name === '[heap]') kind = 'malloc_main_arena';
      else if (name.startsWith('/')) kind = 'files';
      else if (name) kind = 'other';
      else if (wasmBytes > 0 && size >= wasmBytes && size < wasmBytes + 2 ** 20) kind = 'worker_wasm';
      else if (start % BigInt(64 * 2 ** 20) === 0n && size <= 64 * 2 ** 20) kind = 'malloc_thread_arenas';
      else kind = 'v8_heap_and_other_anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)]));
}

/** RSS (MB) of each mapping that looks like a glibc thread arena (64 MB-aligned, at most 64 MB). */
export function threadArenas(pid: number | 'self' = 'self'): number[] {
  const out: number[] = [];
  let arena = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const start = BigInt(`0x${head[1]!}`);
      const size = Number(BigInt(`0x${head[2]!}`) - start);
      arena = !head[3]!.trim() && start % BigInt(64 * 2 ** 20) === 0n && size <= 64 * 2 ** 20;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && arena) out.push(Math.round(Number(rss[1]) / 1024));
  }
  return out;
}
