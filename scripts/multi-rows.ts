// The research scripts' common start on a score table: the rows scored for every model (all the
// file's, or the named ones), and their prompts' USE vectors from the benchmark's embedding cache
// (embedded 64 at a time).
import { defaultCacheDir, openBenchmarkEmbedder } from '../daemon/benchmark/cache';
import { completeRows, loadTable } from '../daemon/benchmark/data';

export async function embeddedCompleteRows(file: string, models?: string[]) {
  const table = loadTable(file, models);
  const rows = completeRows(
    table,
    table.models.map((_, i) => i),
  );
  const { embedder, disk } = openBenchmarkEmbedder(defaultCacheDir());
  const vectors: Float32Array[] = [];
  for (let i = 0; i < rows.length; i += 64)
    vectors.push(...(await embedder.embed(rows.slice(i, i + 64).map((r) => r.prompt))));
  return { table, rows, vectors, embedder, disk };
}
