// A CSV of some of the bundled benchmark sample's rows, for tests that benchmark a few of them
// (the sample's vectors ship with it, so a run on them embeds nothing).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCsv } from '../../daemon/benchmark/csv';
import { samplePath } from '../../daemon/benchmark/sample';

/** Writes the header and sample rows [from, to) to `file`; returns `file`. */
export function writeSampleRows(file: string, from: number, to: number): string {
  const [header, ...rows] = parseCsv(readFileSync(samplePath(), 'utf8'));
  const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;
  writeFileSync(file, [header!, ...rows.slice(from, to)].map((r) => r.map(quote).join(',')).join('\n'));
  return file;
}
