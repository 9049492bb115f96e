// Embeds every prompt of the shared eval data into the benchmark's embedding cache, so training the
// prior and the benchmark runs read vectors from disk instead of running USE again (~30 ms each).
// Usage: node --import tsx scripts/embed-eval-data.ts [DATA_DIR] [--cache-dir DIR]
import path from 'node:path';
import { defaultCacheDir, openBenchmarkEmbedder } from '../daemon/benchmark/cache';
import { loadTable } from '../daemon/benchmark/data';

const FILES = [
  'routellm_gsm8k_responses.csv',
  'routellm_mt_bench_judgements.csv',
  'routerbench_arc_challenge.csv',
  'routerbench_mbpp.csv',
  'routerbench_winogrande.csv',
  'llmrouter_dcrouter_scores.csv',
  'routellm_mmlu_responses.csv',
  'alpaca_eval2_weighted_gpt4_turbo_winrates.csv',
  'routerdc_split2_model7_scores.csv',
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--cache-dir');
  const cacheDir = at >= 0 ? args[at + 1]! : defaultCacheDir();
  const dataDir =
    args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--cache-dir' && args[i - 1] !== '--only') ??
    '../shared/eval-data';
  // --only FILE --reverse: a second process can embed one file from its end into another cache
  // dir; the two .emb files concatenate into one (append-only records).
  const only = args.indexOf('--only');
  const files = only >= 0 ? [args[only + 1]!] : FILES;
  const { embedder, disk } = openBenchmarkEmbedder(cacheDir);
  try {
    for (const file of files) {
      const table = loadTable(path.join(dataDir, file));
      const prompts = table.rows.map((r) => r.prompt);
      if (args.includes('--reverse')) prompts.reverse();
      const started = Date.now();
      for (let i = 0; i < prompts.length; i += 256) {
        await embedder.embed(prompts.slice(i, i + 256));
        process.stderr.write(`${file}: ${Math.min(i + 256, prompts.length)}/${prompts.length}\n`);
      }
      process.stderr.write(`${file}: done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  } finally {
    disk.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
