// Pure: what the benchmark task's terminal shows (progress lines and the summary) and its exit code.
import type { BenchmarkProgress, BenchmarkReport } from '../../shared/api';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANCELLED = 130;

/** Terminal text uses CRLF; pseudoterminals do not translate \n. */
export const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

export function progressLine(p: BenchmarkProgress): string {
  const pct = p.total > 0 ? Math.round((p.done / p.total) * 100) : 0;
  const width = 24;
  const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${p.phase} (${p.done}/${p.total})`;
}

const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? 'n/a' : x.toFixed(digits));

export function summaryLines(r: BenchmarkReport): string[] {
  const lines = [
    `Benchmark summary: ${r.dataset} (${r.mode}), ${r.rows} rows, ${r.models.length} models, ${(r.duration_ms / 1000).toFixed(1)} s`,
  ];
  if (r.strong && r.weak) lines.push(`  strong ${r.strong} vs weak ${r.weak}`);
  if (r.apgr !== undefined)
    lines.push(`  APGR ${num(r.apgr)} · CPT(50%) ${num(r.cpt50, 1)} · CPT(80%) ${num(r.cpt80, 1)}`);
  if (r.best_single)
    lines.push(
      `  best single model ${r.best_single.model}: quality ${num(r.best_single.quality)}, cost ${num(r.best_single.cost, 5)}`,
    );
  if (r.oracle_quality !== undefined) lines.push(`  oracle quality ${num(r.oracle_quality)}`);
  if (r.lambda_sweep?.length) {
    lines.push('  λ sweep (quality / cost):');
    for (const p of r.lambda_sweep) lines.push(`    λ=${p.lambda}: ${num(p.quality)} / ${num(p.cost, 5)}`);
  }
  if (r.learning_curve?.length) {
    const last = r.learning_curve.at(-1);
    if (last) lines.push(`  online learning: ${num(last.value)} after ${last.n} outcomes`);
  }
  return lines;
}
