// Research harness for issue 10's online-from-the-prior target: replays RouteLLM MMLU as
// `fugusashi benchmark FILE --online --with-prior --prior-data DIR --holdout-fold F` does (the prior
// trained without MMLU; only the chosen model's score revealed; 30 % uniform draws, the rest
// Thompson), and at each checkpoint prints the router's APGR on the held-out fold next to
// diagnostic views (fixed correction shares, kNN residuals alone), so settings are chosen on fold 0.
//   node --import tsx scripts/research/online-tune.ts [--fold 0] [--limit 3000] [--checkpoints 300,1000,3000]
// QualityModelOptions overrides come as JSON in ONLINE_OPTIONS.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { foldOf, seededRandom } from '../../daemon/benchmark/folds';
import { apgr, qualityCurve } from '../../daemon/benchmark/metrics';
import { thompson } from '../../daemon/benchmark/run';
import { onlineRows, STRONG, WEAK, type OnlineRow } from './online-rows';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../../daemon/core/learned/quality-model';

const CACHE = process.env.ONLINE_CACHE ?? '/tmp/online2-cache';

interface Row extends OnlineRow {
  /** The prior's prompt profile: its skills, then its difficulty. */
  profile: number[];
}

async function loadRows(): Promise<Row[]> {
  const { pool, rows } = await onlineRows(CACHE);
  return rows.map((r) => {
    const profile = pool.prior.profile(pool.prior.input(r.features, null));
    return { ...r, profile: [...profile.skills, profile.difficulty] };
  });
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Writes the rows for numpy: <out>.f32 (vectors), <out>.json (uid, fold, scores, logits, lexical ids, dense). */
function dump(rows: Row[], out: string): void {
  const dims = rows[0]!.vector.length;
  const all = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => all.set(r.vector, i * dims));
  writeFileSync(`${out}.f32`, Buffer.from(all.buffer));
  const meta = rows.map((r) => ({
    uid: r.uid,
    fold: foldOf(r.prompt, 5),
    scores: r.scores,
    logits: r.logits,
    dense: Array.from(r.features.dense),
    lexical: Array.from(r.features.lexical),
    profile: r.profile,
  }));
  writeFileSync(`${out}.json`, JSON.stringify({ dims, rows: meta }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fold: { type: 'string', default: '0' },
      limit: { type: 'string', default: '3000' },
      checkpoints: { type: 'string', default: '300,1000,3000' },
      seed: { type: 'string', default: '1' },
      explore: { type: 'string', default: '0.3' },
      diagnostics: { type: 'boolean', default: false },
      dump: { type: 'string' },
    },
  });
  if (values.dump) return dump(await loadRows(), values.dump);
  const fold = Number(values.fold);
  const seed = Number(values.seed);
  const explore = Number(values.explore);
  const overrides = JSON.parse(process.env.ONLINE_OPTIONS ?? '{}') as Partial<QualityModelOptions>;
  const options: QualityModelOptions = { ...DEFAULT_QUALITY_MODEL, ...overrides };
  const rows = await loadRows();
  const random = seededRandom(seed);
  const evaluated = rows.filter((r) => foldOf(r.prompt, 5) === fold);
  let stream = rows.filter((r) => foldOf(r.prompt, 5) !== fold);
  for (let i = stream.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [stream[i], stream[j]] = [stream[j]!, stream[i]!];
  }
  stream = stream.slice(0, Number(values.limit));
  const checkpoints = values.checkpoints.split(',').map(Number);
  const names = [STRONG, WEAK];
  const strong = evaluated.map((r) => r.scores[0]);
  const weak = evaluated.map((r) => r.scores[1]);
  const apgrOf = (score: number[]) => apgr(qualityCurve(strong, weak, score));
  const model = new QualityModel(rows[0]!.vector.length, options);
  const priorDiff = evaluated.map((r) => sigmoid(r.logits[0]) - sigmoid(r.logits[1]));
  console.log(`fold ${fold}: ${evaluated.length} rows evaluated; prior alone ${apgrOf(priorDiff).toFixed(3)}`);
  const started = Date.now();
  for (let i = 0; i < stream.length; i++) {
    const r = stream[i]!;
    const priors = r.logits.map(sigmoid);
    const p = model.size === 0 ? null : model.predict(r.vector, r.features, names, priors).models;
    const chosen = random() < explore || !p ? Math.floor(random() * 2) : thompson(p, random);
    model.add(r.key, r.vector, r.features, names[chosen]!, r.scores[chosen]!, 1, r.logits[chosen]);
    if (checkpoints.includes(i + 1)) {
      await model.refit(seededRandom(seed + i), undefined, 'exact');
      const c = model.correction();
      const diff = (correction?: { alpha: number; knnShare: number }) =>
        evaluated.map((e) => {
          const q = model.predict(e.vector, e.features, names, e.logits.map(sigmoid), correction).models;
          return q[0]!.quality - q[1]!.quality;
        });
      const line = [`n=${i + 1}`, `router ${apgrOf(diff()).toFixed(3)}`, `α ${c.alpha.toFixed(2)} knn ${c.knnShare}`];
      if (values.diagnostics) {
        for (const knnShare of [0, 0.4, 1])
          for (const alpha of [0.5, 1])
            line.push(`a${alpha}k${knnShare} ${apgrOf(diff({ alpha, knnShare })).toFixed(3)}`);
      }
      console.log(`${line.join('  ')}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
