// Routing quality with the fast first view against full USE, as `fugusashi benchmark FILE --folds 5`
// scores it (same folds, seeds, model, within-fold ranking), for each way of using the fast view:
//   full        every prompt read with USE (today's figure)
//   fast query  stored outcomes keep their USE vectors; a new prompt is read with the fast view
//   fast both   stored outcomes and new prompts both in the fast view (USE never runs)
//   words only  no embedding at all for the new prompt (routing.embeddings.wait_ms today)
// Usage: node --import tsx scripts/eval-fast-embedding.ts [--data DIR] [--asset FILE] [FILE…]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../daemon/benchmark/cache';
import { completeRows, loadTable } from '../daemon/benchmark/data';
import { foldOf, seededRandom } from '../daemon/benchmark/folds';
import { apgr, qualityCurve } from '../daemon/benchmark/metrics';
import { rankWithinFolds } from '../daemon/benchmark/run';
import { textFeatures } from '../daemon/core/learned/features';
import { DEFAULT_QUALITY_MODEL, QualityModel } from '../daemon/core/learned/quality-model';
import { readCacheFile } from '../daemon/embeddings/disk-cache';
import { loadFastView, textFor } from '../daemon/embeddings/fast-view';
import { contentKey } from '../daemon/embeddings/text';
import { USE_ID } from '../daemon/embeddings/use';

const STRONG = 'gpt-4-1106-preview';
const WEAK = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
/** RouterBench names the same Mixtral differently. */
const weakOf = (file: string) => (file.startsWith('routerbench') ? 'mistralai/mixtral-8x7b-chat' : WEAK);
const DEFAULT_FILES = [
  'routellm_mmlu_responses.csv',
  'routellm_gsm8k_responses.csv',
  'routerbench_arc_challenge.csv',
  'routerbench_winogrande.csv',
  'routerbench_mbpp.csv',
];
type View = 'full' | 'fast query' | 'fast both' | 'words only';
const VIEWS: View[] = ['full', 'fast query', 'fast both', 'words only'];

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      data: { type: 'string', default: '../shared/eval-data' },
      'cache-dir': { type: 'string', default: defaultCacheDir() },
      asset: { type: 'string' },
      folds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
    },
  });
  const k = Number(values.folds);
  const seed = Number(values.seed);
  const fast = loadFastView(values.asset);
  const cache = readCacheFile(path.join(values['cache-dir'], 'embeddings', `${USE_ID}.512.emb`), 512);
  const files = positionals.length ? positionals : DEFAULT_FILES;
  console.log(['file', 'rows', ...VIEWS, 'fast query − full'].join('\t'));
  for (const file of files) {
    const weakModel = weakOf(file);
    const table = loadTable(path.join(values.data, file), [STRONG, weakModel]);
    const all = completeRows(table, [0, 1]);
    const rows = all
      .map((row) => {
        const text = textFor(row.prompt);
        const use = cache.get(contentKey(USE_ID, text));
        return use
          ? {
              row,
              key: contentKey(USE_ID, text),
              use,
              fast: fast.embed(row.prompt),
              features: textFeatures(row.prompt),
            }
          : null;
      })
      .filter((r) => r !== null);
    if (rows.length < all.length)
      console.error(`${file}: ${all.length - rows.length} rows without a cached USE vector left out`);
    const folds = rows.map((r) => foldOf(r.row.prompt, k));
    const raw: Record<View, number[]> = { full: [], 'fast query': [], 'fast both': [], 'words only': [] };
    for (const v of VIEWS) raw[v] = new Array<number>(rows.length).fill(0);
    for (let f = 0; f < k; f++) {
      for (const stored of ['use', 'fast'] as const) {
        const model = new QualityModel(512, DEFAULT_QUALITY_MODEL);
        rows.forEach((r, i) => {
          if (folds[i] === f) return;
          r.row.scores.forEach((s, m) => {
            if (s !== null) model.add(r.key, r[stored], r.features, m === 0 ? STRONG : weakModel, s);
          });
        });
        await model.refit(seededRandom(seed + f), undefined, 'exact');
        rows.forEach((r, i) => {
          if (folds[i] !== f) return;
          const score = (vector: Float32Array | null) => {
            const p = model.predict(vector, r.features, [STRONG, weakModel]).models;
            return p[0]!.quality - p[1]!.quality;
          };
          if (stored === 'use') {
            raw.full[i] = score(r.use);
            raw['fast query'][i] = score(r.fast);
            raw['words only'][i] = score(null);
          } else raw['fast both'][i] = score(r.fast);
        });
      }
    }
    const strong = rows.map((r) => r.row.scores[0]!);
    const weak = rows.map((r) => r.row.scores[1]!);
    const result = VIEWS.map((v) => apgr(qualityCurve(strong, weak, rankWithinFolds(raw[v], folds))));
    console.log(
      [
        file.replace(/\.csv$/, ''),
        rows.length,
        ...result.map((x) => x.toFixed(3)),
        (result[1]! - result[0]!).toFixed(3),
      ].join('\t'),
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
