// `npm run train:prior`: trains the bundled router prior (daemon/assets/prior-v1.json) from the
// licence-compatible files of the shared eval data, seeded and reproducible.
//   --data DIR        eval data (default ../shared/eval-data, i.e. /work/shared/eval-data)
//   --out FILE        artifact (default daemon/assets/prior-v1.json)
//   --tune            choose hyper-parameters on the tuning split (hash fold 0 of every file)
//   --evaluate        report transfer / in-domain figures on folds 1–4 (never tuned on)
//   --cache-dir DIR   USE embeddings cache (for --embedding 512)
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCsv } from '../daemon/benchmark/csv';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PRIOR_HYPER, type PriorHyper } from '../daemon/core/learned/prior-fit';
import { defaultCacheDir } from '../daemon/benchmark/cache';
import { apgr, cpt, mean, qualityCurve } from '../daemon/benchmark/metrics';
import {
  EmbeddingLookup,
  loadPriorDataset,
  DEFAULT_BALANCE,
  PRIOR_TRAINING_FILES,
  priorScores,
  trainPrior,
  type PriorDataset,
  type TrainedPrior,
} from '../daemon/benchmark/prior-train';
import { canonicalModelName } from '../daemon/core/learned/prior';

export type Hyper = PriorHyper & { embedding: number; balance: number };
export const CHOSEN: Hyper = { ...DEFAULT_PRIOR_HYPER, embedding: 0, balance: DEFAULT_BALANCE };

const STRONG = canonicalModelName('gpt-4-1106-preview');
const WEAK = canonicalModelName('mistralai/Mixtral-8x7B-Instruct-v0.1');
const PAIR_FILES = [
  'routellm_mmlu_responses.csv',
  'routellm_gsm8k_responses.csv',
  'routerbench_arc_challenge.csv',
  'routerbench_winogrande.csv',
  'routerbench_mbpp.csv',
];

export function pairApgr(
  t: TrainedPrior,
  d: PriorDataset,
  folds: readonly number[],
  embeddings?: EmbeddingLookup,
): { apgr: number; cpt50: number | null; rows: number } {
  const s = d.rows[0]!.models.indexOf(STRONG);
  const w = d.rows[0]!.models.indexOf(WEAK);
  const rows = d.rows.filter((r) => folds.includes(r.fold) && r.raw[s] !== null && r.raw[w] !== null);
  const score = rows.map((r) => {
    const p = priorScores(t, r, t.artifact.input.embedding > 0 ? (embeddings?.get(r.prompt) ?? null) : null);
    return p[s]! - p[w]!;
  });
  const curve = qualityCurve(
    rows.map((r) => r.raw[s]!),
    rows.map((r) => r.raw[w]!),
    score,
  );
  return { apgr: apgr(curve), cpt50: cpt(curve, 0.5), rows: rows.length };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: path.resolve(__dirname, '..', '..', 'shared', 'eval-data') },
      out: { type: 'string', default: path.resolve(__dirname, '..', 'daemon', 'assets', 'prior-v1.json') },
      tune: { type: 'boolean' },
      evaluate: { type: 'boolean' },
      'cache-dir': { type: 'string' },
      embedding: { type: 'string' },
    },
  });
  const dataDir = values.data;
  const datasets = PRIOR_TRAINING_FILES.map((f) => loadPriorDataset(dataDir, f.file, f.licence));
  const embeddings = new EmbeddingLookup(values['cache-dir'] ?? defaultCacheDir());
  const chosen: Hyper = { ...CHOSEN, embedding: values.embedding ? Number(values.embedding) : CHOSEN.embedding };
  const log = (s: string) => process.stdout.write(`${s}\n`);

  if (values.tune) {
    // Leave-one-dataset-out on the tuning split: each pair file's fold-0 rows, prior trained
    // without that file. Folds 1–4 are never looked at here.
    const grid: Partial<Hyper>[] = [];
    for (const skills of [2, 4, 8])
      for (const l2Head of [1e-4, 1e-3])
        for (const balance of [0.3, 0.7]) grid.push({ skills, l2Head, epochs: 8, balance });
    let best: { h: Hyper; score: number } | null = null;
    for (const g of grid) {
      const h = { ...chosen, ...g };
      const scores = PAIR_FILES.map((file) => {
        const d = datasets.find((x) => x.file === file)!;
        const t = trainPrior(
          datasets.filter((x) => x.file !== file),
          { hyper: h, embeddings },
        );
        return pairApgr(t, d, [0], embeddings).apgr;
      });
      const m = mean(scores);
      log(`${JSON.stringify(g)} → ${scores.map((s) => s.toFixed(3)).join(' ')} mean ${m.toFixed(3)}`);
      if (!best || m > best.score) best = { h, score: m };
    }
    log(`best on the tuning split: ${JSON.stringify(best!.h)} (${best!.score.toFixed(3)})`);
    return;
  }

  if (values.evaluate) {
    log(`hyper ${JSON.stringify(chosen)}; figures on hash folds 1–4 (fold 0 was the tuning split)`);
    for (const file of PAIR_FILES) {
      const d = datasets.find((x) => x.file === file)!;
      const t = trainPrior(
        datasets.filter((x) => x.file !== file),
        { hyper: chosen, embeddings },
      );
      const r = pairApgr(t, d, [1, 2, 3, 4], embeddings);
      log(`transfer ${file}: APGR ${r.apgr.toFixed(3)} CPT50 ${r.cpt50?.toFixed(1)}% (${r.rows} rows)`);
    }
    const all = trainPrior(datasets, { hyper: chosen, embeddings });
    const mt = loadPriorDataset(dataDir, 'routellm_mt_bench_judgements.csv');
    const r = pairApgr(all, mt, [0, 1, 2, 3, 4], embeddings);
    log(`MT-Bench (never trained on): APGR ${r.apgr.toFixed(3)} CPT50 ${r.cpt50?.toFixed(1)}% (${r.rows} rows)`);
    return;
  }

  // The bundled benchmark sample's rows stay out of the shipped prior, so `fugusashi benchmark`
  // with no arguments scores the prior on rows it never saw.
  const sampleUids = new Set(
    parseCsv(readFileSync(path.resolve(__dirname, '..', 'test', 'fixtures', 'benchmark', 'sample.csv'), 'utf8'))
      .slice(1)
      .map((r) => r[0]!),
  );
  const trained = trainPrior(datasets, {
    hyper: chosen,
    embeddings,
    exclude: (d, r) => d.file === 'routellm_mmlu_responses.csv' && sampleUids.has(r.uid),
  });
  writeFileSync(values.out, `${JSON.stringify(trained.artifact)}\n`);
  log(`wrote ${values.out} (${Object.keys(trained.artifact.models).length} models)`);
  embeddings.close();
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
}
