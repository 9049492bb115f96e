// Research (not shipped): writes a score table's rows as the stack's views read them — the USE
// vector of each prompt's focus (Float32, row-major) and a JSON of scores, costs and hash folds —
// so that variants of the views (kNN widths, calibration, cost-aware picks) can be tried offline.
//   node --import tsx scripts/research/dump-views-input.ts DATA.csv OUT_PREFIX
import { writeFileSync } from 'node:fs';
import { defaultCacheDir, openBenchmarkEmbedder } from '../../daemon/benchmark/cache';
import { completeRows, loadTable } from '../../daemon/benchmark/data';
import { foldOf } from '../../daemon/benchmark/folds';

async function main(): Promise<void> {
  const [file, out] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: dump-views-input.ts DATA.csv OUT_PREFIX');
  const table = loadTable(file);
  const rows = completeRows(
    table,
    table.models.map((_, i) => i),
  );
  const { embedder, disk } = openBenchmarkEmbedder(defaultCacheDir());
  const vectors: Float32Array[] = [];
  for (let i = 0; i < rows.length; i += 64)
    vectors.push(...(await embedder.embed(rows.slice(i, i + 64).map((r) => r.prompt))));
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
