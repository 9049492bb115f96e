// Rebuilds the sentence embeddings shipped with the benchmark's bundled sample
// (test/fixtures/benchmark/sample-vectors/, copied to dist/models by esbuild): `fugusashi
// benchmark` with no arguments run once into a fresh cache with no shipped vectors, so the file is
// the one that run writes, vectors computed in the same batches bit for bit (a different batching
// moves USE's vectors by ~1e-7), and the figures of a run that reads them are the same as before.
// Run it after changing the sample, the embedder or how a text is keyed:
//   node --import tsx scripts/sample-vectors.ts
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { benchmarkCommand } from '../daemon/benchmark/cli';
import { sampleVectorsDir } from '../daemon/benchmark/sample';
import { USE_ID } from '../daemon/embeddings/use';

const FILE = `${USE_ID}.512.emb`;

async function main(): Promise<void> {
  const shipped = path.join(sampleVectorsDir(), FILE);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-sample-vectors-'));
  // Beside it, not in the scratch dir: a rename across file systems (/tmp on its own) fails.
  const aside = `${shipped}.before`;
  if (existsSync(shipped)) renameSync(shipped, aside);
  let built = false;
  try {
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
    const code = await benchmarkCommand(['--cache-dir', scratch, '--json'], { stdout: quiet });
    if (code !== 0) throw new Error(`the sample benchmark exited with ${code}`);
    copyFileSync(path.join(scratch, 'embeddings', FILE), shipped);
    built = true;
    rmSync(aside, { force: true });
    process.stderr.write(`wrote ${shipped}\n`);
  } finally {
    if (!built && existsSync(aside)) renameSync(aside, shipped);
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
