// `npm run train:prior`: trains the bundled router prior (daemon/assets/prior-v1.json) from the
// licence-compatible files of the shared eval data, seeded and reproducible.
//   --data DIR        eval data (default ../shared/eval-data, i.e. /work/shared/eval-data)
//   --out FILE        artifact (default daemon/assets/prior-v1.json)
//   --tune            choose hyper-parameters on the tuning split (hash fold 0 of every file)
//   --evaluate        report transfer / in-domain figures on folds 1–4 (never tuned on)
//   --cache-dir DIR   USE embeddings cache (for --embedding 512)
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCsv } from '../daemon/benchmark/csv';
import { solveAugmented } from '../daemon/benchmark/solve';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PRIOR_HYPER, type PriorHyper } from '../daemon/core/learned/prior-fit';
import { defaultCacheDir } from '../daemon/benchmark/cache';
import { apgr, cpt, mean, qualityCurve } from '../daemon/benchmark/metrics';
import {
  EmbeddingLookup,
  loadPriorDataset,
  DEFAULT_BALANCE,
  DEFAULT_DISCRIMINATION,
  DEFAULT_MEMBERS,
  PRIOR_TRAINING_FILES,
  priorScores,
  trainPrior,
  type PriorDataset,
  type PriorRow,
  type TrainedPrior,
} from '../daemon/benchmark/prior-train';
import { canonicalModelName } from '../daemon/core/learned/prior';
import type { KindHeadOptions } from '../daemon/benchmark/prior-kind-head';
import { textFeatures } from '../daemon/core/learned/features';

export type Hyper = PriorHyper & {
  embedding: number;
  balance: number;
  lexicalScale?: number;
  members?: number;
  discrimination?: { beta: number; irtWeight: number } | null;
  kindDifficulty?: KindHeadOptions | null;
};
export const CHOSEN: Hyper = {
  ...DEFAULT_PRIOR_HYPER,
  embedding: 0,
  balance: DEFAULT_BALANCE,
  members: DEFAULT_MEMBERS,
};

/** The pair the transfer targets are stated for, and the files that hold it. */
export const STRONG = canonicalModelName('gpt-4-1106-preview');
export const WEAK = canonicalModelName('mistralai/Mixtral-8x7B-Instruct-v0.1');
export const PAIR_FILES = [
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
    // Leave-one-dataset-out on the tuning split: each file's fold-0 rows, prior trained without
    // that file. Folds 1–4 and MT-Bench are never looked at here. Two figures per setting: the
    // gpt-4 vs Mixtral APGR per file (pairs whose fold-0 gap is under 0.1 are too noisy and are
    // skipped, which drops ARC), and the mean APGR over every model pair of the RouterBench files
    // with such a gap (~30 pairs per file: far less noisy than one pair on ~200 rows).
    // Round 1: skills {2, 4, 8} × l2Head {1e-4, 1e-3} × balance {0.3, 0.7}: 8, 1e-3, 0.3 won.
    // Round 2 (seed 1; figures: pair mean | all-pairs mean): as shipped .551|.557; per-dataset
    // centring of difficulty and abilities .561|.558, of difficulty only .558|.563; + USE
    // embedding .562|.541 (×5 scale: worse); words off .542|.524; words ×0.5 .567|.560, ×0.3
    // .575|.556, ×0.1 .564|.547; label smoothing .05 .560|.558; 4 epochs .550|.560; l2Head 3e-3
    // .555|.556; 4 skills .523|.531; balance 0.7 .563|.548, 1.0 .553|.544; scoring by −P(weak)
    // .527|.549; a ridge "discrimination" skill (strong − weak slope) .563–.588|.536–.551.
    // Seeds 2 and 3: as shipped .567|.552, .538|.531; centring of difficulty + words ×0.3
    // .554|.542, .563|.530. So the seed alone moves these means by ±.015 and single files by ±.06:
    // none of the options is a gain beyond noise, and the shipped settings stay. (Centring with
    // the datasets' offsets started at their mean scores, which makes it bite: .567|.540.)
    // Round 3 (5 fits): the discrimination head as the prior's prompt side (DEFAULT_DISCRIMINATION
    // in prior-train.ts, where the grid of β and the fit's weight is listed; harness:
    // scripts/research/prior-transfer.ts) against the item-response fit alone (null): shipped.
    // Round 4 (the prior's difficulty from the prompt's kind, DEFAULT_KIND_DIFFICULTY in
    // prior-kind-head.ts; chosen with scripts/research/prior-kind.ts): shipped, against the form
    // before it (the fit's own difficulty) and the item-response fit alone.
    const grid: Partial<Hyper>[] = [{}, { kindDifficulty: null }, { discrimination: null, kindDifficulty: null }];
    for (const g of grid) {
      const h = { ...chosen, ...g };
      const perFile = datasets
        .filter((d) => d.file !== 'llmrouter_dcrouter_scores.csv') // its models appear nowhere else
        .map((d) => {
          const t = trainPrior(
            datasets.filter((x) => x !== d),
            { hyper: h, embeddings },
          );
          return tuningApgr(t, d, embeddings);
        });
      const pairs = perFile.map((f) => f.pair).filter((p): p is number => p !== null);
      log(
        `${JSON.stringify(g)} → pair ${pairs.map((s) => s.toFixed(3)).join(' ')} mean ${mean(pairs).toFixed(3)} | ` +
          `all pairs ${perFile.map((f) => f.allPairs.toFixed(3)).join(' ')} mean ${mean(perFile.map((f) => f.allPairs)).toFixed(3)}`,
      );
    }
    return;
  }

  if (values.evaluate) {
    log(
      `hyper ${JSON.stringify(chosen)}, discrimination ${JSON.stringify(DEFAULT_DISCRIMINATION)}; ` +
        'figures on hash folds 1–4 (fold 0 was the tuning split)',
    );
    for (const file of PAIR_FILES) {
      const d = datasets.find((x) => x.file === file)!;
      const others = datasets.filter((x) => x.file !== file && PAIR_FILES.includes(x.file));
      const b = transferBaselines(others, d, embeddings);
      log(
        `baselines ${file} (trained on the other pair files): ridge on length features ${b.ridge.toFixed(3)}, ` +
          `kNN k=50 ${b.knn === null ? 'not measured (embeddings not cached)' : b.knn.toFixed(3)}`,
      );
      const t = trainPrior(
        datasets.filter((x) => x.file !== file),
        { hyper: chosen, embeddings },
      );
      const r = pairApgr(t, d, [1, 2, 3, 4], embeddings);
      log(`transfer ${file}: APGR ${r.apgr.toFixed(3)} CPT50 ${r.cpt50?.toFixed(1)}% (${r.rows} rows)`);
    }
    const all = trainPrior(datasets, { hyper: chosen, embeddings });
    for (const m of mtBench(all, dataDir, embeddings))
      log(
        `MT-Bench (never trained on), ${m.protocol}: APGR ${m.apgr.toFixed(3)} CPT50 ${m.cpt50?.toFixed(1)}% (${m.rows} rows)`,
      );
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

/**
 * MT-Bench (80 two-turn questions, GPT-4 judge 1–10), scored three ways:
 * - "RouteLLM protocol": one decision per question on turn 1, the routed model's mean of both turns
 *   (how RouteLLM's published figures were made);
 * - "whole conversation": one decision per question on both user turns;
 * - "per request": what the daemon does; each turn is a request routed on its own text (turn 2's
 *   request carries turn 1 as context, as routingText joins it; the earlier answer is left out,
 *   since it differs per model), scored by that turn's judge score.
 */
export function mtBench(
  t: TrainedPrior,
  dataDir: string,
  embeddings?: EmbeddingLookup,
): { protocol: string; apgr: number; cpt50: number | null; rows: number }[] {
  const [header, ...body] = parseCsv(readFileSync(path.join(dataDir, 'routellm_mt_bench_judgements.csv'), 'utf8'));
  const col = (name: string) => {
    const i = header!.indexOf(name);
    if (i < 0) throw new Error(`MT-Bench file: no column ${name}`);
    return i;
  };
  const S = 'gpt-4-1106-preview';
  const W = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
  const rows = body.filter((r) => r[col('contaminated')] !== 'True' && r[col('prompt')]);
  const models = [STRONG, WEAK];
  const gapOfText = (text: string) => {
    const features = textFeatures(text);
    const vector = t.artifact.input.embedding > 0 ? (embeddings?.get(text) ?? null) : null;
    const p = priorScores(t, { features, models } as PriorRow, vector);
    return p[0]! - p[1]!;
  };
  const num = (r: string[], c: string) => Number(r[col(c)]);
  const score = (items: { text: string; strong: number; weak: number }[]) => {
    const curve = qualityCurve(
      items.map((i) => i.strong),
      items.map((i) => i.weak),
      items.map((i) => gapOfText(i.text)),
    );
    return { apgr: apgr(curve), cpt50: cpt(curve, 0.5), rows: items.length };
  };
  const turn1 = (r: string[]) => r[col('prompt')]!;
  const both = (r: string[]) => `${turn1(r)}\n${r[col('turn2')]!}`;
  return [
    {
      protocol: 'RouteLLM protocol (turn 1 decides)',
      ...score(rows.map((r) => ({ text: turn1(r), strong: num(r, S), weak: num(r, W) }))),
    },
    {
      protocol: 'whole conversation decides',
      ...score(rows.map((r) => ({ text: both(r), strong: num(r, S), weak: num(r, W) }))),
    },
    {
      protocol: 'per request (each turn routed)',
      ...score(
        rows.flatMap((r) => [
          { text: turn1(r), strong: num(r, `${S}_turn1`), weak: num(r, `${W}_turn1`) },
          { text: both(r), strong: num(r, `${S}_turn2`), weak: num(r, `${W}_turn2`) },
        ]),
      ),
    },
  ];
}

/** Fold-0 APGR of gpt-4 vs Mixtral, and the mean over all model pairs, of a left-out file. */
function tuningApgr(
  t: TrainedPrior,
  d: PriorDataset,
  embeddings: EmbeddingLookup,
): { pair: number | null; allPairs: number } {
  const rows = d.rows.filter((r) => r.fold === 0);
  const p = rows.map((r) =>
    priorScores(t, r, t.artifact.input.embedding > 0 ? (embeddings.get(r.prompt) ?? null) : null),
  );
  return pairApgrs(rows, p);
}

/**
 * APGR of gpt-4 vs Mixtral, and the mean over all model pairs with a clear gap (≥ 0.1), of `rows`
 * ranked by `p` (each row's predicted score per model, null where there is none).
 */
export function pairApgrs(rows: PriorRow[], p: (number | null)[][]): { pair: number | null; allPairs: number } {
  const models = rows[0]?.models ?? [];
  const one = (s: number, w: number): number | null => {
    const idx = rows
      .map((_, i) => i)
      .filter(
        (i) => rows[i]!.scores[s] !== null && rows[i]!.scores[w] !== null && p[i]![s] !== null && p[i]![w] !== null,
      );
    const strong = idx.map((i) => rows[i]!.scores[s]!);
    const weak = idx.map((i) => rows[i]!.scores[w]!);
    if (idx.length < 20 || mean(strong) - mean(weak) < 0.1) return null;
    return apgr(
      qualityCurve(
        strong,
        weak,
        idx.map((i) => p[i]![s]! - p[i]![w]!),
      ),
    );
  };
  const all: number[] = [];
  for (let a = 0; a < models.length; a++)
    for (let b = 0; b < models.length; b++) {
      const v = a === b ? null : one(a, b);
      if (v !== null) all.push(v);
    }
  return { pair: one(models.indexOf(STRONG), models.indexOf(WEAK)), allPairs: mean(all) };
}

/** The strong − weak score difference of a pair row (0..1 scale), or null. */
function gapOf(d: PriorDataset, r: PriorDataset['rows'][number]): number | null {
  const s = r.models.indexOf(STRONG);
  const w = r.models.indexOf(WEAK);
  if (s < 0 || w < 0 || r.scores[s] === null || r.scores[w] === null) return null;
  void d;
  return r.scores[s]! - r.scores[w]!;
}

/**
 * The simple baselines, trained on the other pair files (the same transfer setting as the prior)
 * and scored on the evaluated file's folds 1–4: ridge regression of strong − weak on the 11 length
 * and layout features, and kNN (k = 50) over the USE embeddings of the prompts' focus.
 */
function transferBaselines(
  train: readonly PriorDataset[],
  test: PriorDataset,
  embeddings: EmbeddingLookup,
): { ridge: number; knn: number | null } {
  const xs: Float32Array[] = [];
  const ys: number[] = [];
  for (const d of train)
    for (const r of d.rows) {
      const y = gapOf(d, r);
      if (y !== null) {
        xs.push(r.features.dense);
        ys.push(y);
      }
    }
  const F = xs[0]!.length;
  const A = Array.from({ length: F }, (_, i) => Array.from({ length: F }, (_, j) => (i === j ? 1 : 0)));
  const bvec = new Array<number>(F).fill(0);
  xs.forEach((x, n) => {
    for (let i = 0; i < F; i++) {
      bvec[i]! += x[i]! * ys[n]!;
      for (let j = 0; j < F; j++) A[i]![j]! += x[i]! * x[j]!;
    }
  });
  const w = solveAugmented(A.map((row, i) => Float64Array.from([...row, bvec[i]!])));
  const rows = test.rows.filter((r) => r.fold !== 0 && gapOf(test, r) !== null);
  const s = rows[0]!.models.indexOf(STRONG);
  const wk = rows[0]!.models.indexOf(WEAK);
  const curveOf = (score: number[]) =>
    apgr(
      qualityCurve(
        rows.map((r) => r.raw[s]!),
        rows.map((r) => r.raw[wk]!),
        score,
      ),
    );
  const ridge = curveOf(rows.map((r) => w.reduce((acc, wi, i) => acc + wi * r.features.dense[i]!, 0)));
  // kNN needs every prompt's embedding cached.
  const trainVecs: { v: Float32Array; y: number }[] = [];
  for (const d of train)
    for (const r of d.rows) {
      const y = gapOf(d, r);
      const v = embeddings.get(r.prompt);
      if (y === null || !v) continue; // rows not embedded yet are left out of kNN's memory
      trainVecs.push({ v, y });
    }
  const testVecs = rows.map((r) => embeddings.get(r.prompt));
  if (testVecs.some((v) => !v)) return { ridge, knn: null };
  const knnScore = testVecs.map((q) => {
    const sims = trainVecs.map((t) => {
      let dot = 0;
      for (let i = 0; i < 512; i++) dot += q![i]! * t.v[i]!;
      return { dot, y: t.y };
    });
    sims.sort((a, b) => b.dot - a.dot);
    return mean(sims.slice(0, 50).map((x) => x.y));
  });
  process.stdout.write(`  (kNN memory: ${trainVecs.length} embedded rows of the other files)\n`);
  return { ridge, knn: curveOf(knnScore) };
}
