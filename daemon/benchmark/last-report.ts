// Where the most recent benchmark report lives, so the dashboard can chart it after the run ended
// (the CLI runs in its own process; the daemon may restart). One JSON file in the data directory,
// written to a temp file and renamed so a reader never sees half a report.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchmarkReport } from '../../shared/api';

export function lastBenchmarkPath(dataDir: string): string {
  return path.join(dataDir, 'benchmark', 'last.json');
}

export function saveLastBenchmark(dataDir: string, report: BenchmarkReport): void {
  const file = lastBenchmarkPath(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(report));
  renameSync(tmp, file);
}

/** The saved report, or null when none was saved (or the file is unreadable). */
export function loadLastBenchmark(dataDir: string): BenchmarkReport | null {
  const file = lastBenchmarkPath(dataDir);
  if (!existsSync(file)) return null;
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchmarkReport;
    return report && typeof report === 'object' && typeof report.dataset === 'string' ? report : null;
  } catch {
    return null;
  }
}
