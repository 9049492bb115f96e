// Research (not shipped): writes a score table's rows as the stack's views read them — the USE
// vector of each prompt's focus (Float32, row-major) and a JSON of scores, costs and hash folds —
// so that variants of the views (kNN widths, calibration, cost-aware picks) can be tried offline.
//   node --import tsx scripts/research/dump-views-input.ts DATA.csv OUT_PREFIX
import { writeFileSync } from 'node:fs';
import { embeddedCompleteRows } from '../multi-rows';
import { foldOf } from '../../daemon/benchmark/folds';

async function main(): Promise<void> {
  const [file, out] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: dump-views-input.ts DATA.csv OUT_PREFIX');
  const { table, rows, vectors, disk } = await embeddedCompleteRows(file);
  const dims = vectors[0]!.length;
  const flat = new Float32Array(rows.length * dims);
  vectors.forEach((v, i) => flat.set(v, i * dims));
  writeFileSync(`${out}.f32`, Buffer.from(flat.buffer));
  writeFileSync(
    `${out}.json`,
    JSON.stringify({
      models: table.models,
      dims,
      scores: rows.map((r) => r.scores),
      costs: rows.map((r) => r.costs),
      outer: rows.map((r) => foldOf(r.prompt, 5)),
      inner: rows.map((r) => foldOf(`inner:${r.prompt}`, 3)),
      prompts: rows.map((r) => r.prompt),
    }),
  );
  disk.close();
}
void main();
