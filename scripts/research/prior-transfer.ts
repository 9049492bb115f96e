// Research harness for issue 10's transfer targets: the IRT prior against and blended with a
// "discrimination" head (a ridge regression of how much stronger models beat weaker ones on a prompt,
// fitted on every model pair of the training files), leave-one-dataset-out.
//   node --import tsx scripts/research/prior-transfer.ts [--folds 0|1,2,3,4] [--mt-bench]
// Settings are chosen with --folds 0 (the tuning split); --folds 1,2,3,4 and --mt-bench only report.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { apgr, cpt, mean, qualityCurve } from '../../daemon/benchmark/metrics';
import {
  loadPriorDataset,
  PRIOR_TRAINING_FILES,
  trainPrior,
  type PriorDataset,
} from '../../daemon/benchmark/prior-train';
import { parseCsv } from '../../daemon/benchmark/csv';
import { FEATURE_COUNT, LEXICAL_DIMS, textFeatures, type TextFeatures } from '../../daemon/core/learned/features';
import { logitOf, priorInput, RouterPrior, sigmoid, type PriorArtifact } from '../../daemon/core/learned/prior';
import { discriminationHead, type DiscriminationOptions } from '../../daemon/benchmark/prior-discrimination';
import { PAIR_FILES, STRONG, WEAK } from '../train-prior';

const CACHE = '/tmp/prior-transfer-cache';

function cachedPrior(key: string, make: () => PriorArtifact): RouterPrior {
  mkdirSync(CACHE, { recursive: true });
  const f = path.join(CACHE, `${key}.json`);
  if (existsSync(f)) return new RouterPrior(JSON.parse(readFileSync(f, 'utf8')) as PriorArtifact);
  const a = make();
  writeFileSync(f, JSON.stringify(a));
  return new RouterPrior(a);
}

/** Routing score strong − weak: P difference of the IRT prior plus β·(a_s − a_w)·g(q) on the logit. */
function scorer(
  prior: RouterPrior,
  head: Float64Array | null,
  beta: number,
  irtWeight = 1,
  difficulty: { head: Float64Array; weight: number } | null = null,
) {
  const abilities = Object.values(prior.artifact.models).map((r) => r.ability);
  const meanAbility = mean(abilities);
  return (f: TextFeatures, s: string, w: string): number | null => {
    const rs = prior.artifact.models[s];
    const rw = prior.artifact.models[w];
    if (!rs || !rw) return null;
    const p = prior.profile(prior.input(f, null));
    let g = 0;
    if (head) {
      const x = priorInput(f, null, { embedding: 0, lexical: head.length > FEATURE_COUNT ? LEXICAL_DIMS : 0 });
      for (let j = 0; j < x.index.length; j++) g += head[x.index[j]!]! * x.value[j]!;
    }
    // As shipped (withDiscriminationSkill): the abilities stay, the fit's prompt side is scaled.
    const keep = process.env.SCALE_ABILITY ? irtWeight : 1;
    // DIFF_WEIGHT: the difficulty head at its own weight (the skills at irtWeight).
    const dw = process.env.DIFF_WEIGHT === undefined ? irtWeight : Number(process.env.DIFF_WEIGHT);
    const side = (r: typeof rs) => logitOf(r, p) - r.ability + p.difficulty;
    let h = 0;
    if (difficulty)
      for (let i = 0; i < difficulty.head.length; i++) h += difficulty.weight * difficulty.head[i]! * (f.dense[i] ?? 0);
    const zs =
      -h + keep * rs.ability + irtWeight * side(rs) - dw * p.difficulty + beta * (rs.ability - meanAbility) * g;
    const zw =
      -h + keep * rw.ability + irtWeight * side(rw) - dw * p.difficulty + beta * (rw.ability - meanAbility) * g;
    return sigmoid(zs) - sigmoid(zw);
  };
}

function evaluate(
  d: PriorDataset,
  folds: number[],
  score: (f: TextFeatures, s: string, w: string) => number | null,
): { pair: number | null; allPairs: number; cpt50: number | null } {
  const rows = d.rows.filter((r) => folds.includes(r.fold));
  const models = d.rows[0]!.models;
  const one = (s: number, w: number, minGap: number) => {
    const idx = rows.map((_, i) => i).filter((i) => rows[i]!.scores[s] !== null && rows[i]!.scores[w] !== null);
    const strong = idx.map((i) => rows[i]!.scores[s]!);
    const weak = idx.map((i) => rows[i]!.scores[w]!);
    if (idx.length < 20 || mean(strong) - mean(weak) < minGap) return null;
    const sc = idx.map((i) => score(rows[i]!.features, models[s]!, models[w]!));
    if (sc.some((v) => v === null)) return null;
    const curve = qualityCurve(strong, weak, sc as number[]);
    return { apgr: apgr(curve), cpt50: cpt(curve, 0.5) };
  };
  const all: number[] = [];
  for (let a = 0; a < models.length; a++)
    for (let b = 0; b < models.length; b++) {
      const v = a === b ? null : one(a, b, 0.1);
      if (v) all.push(v.apgr);
    }
  // On folds 1–4 the pair is reported whatever its gap; on fold 0 gaps under 0.1 are too noisy.
  const p = one(models.indexOf(STRONG), models.indexOf(WEAK), folds.includes(0) ? 0.1 : -1);
  return { pair: p?.apgr ?? null, allPairs: mean(all), cpt50: p?.cpt50 ?? null };
}

function mtBenchTurn1(dataDir: string): { f: TextFeatures; strong: number; weak: number }[] {
  const [header, ...body] = parseCsv(readFileSync(path.join(dataDir, 'routellm_mt_bench_judgements.csv'), 'utf8'));
  const col = (n: string) => header!.indexOf(n);
  return body
    .filter((r) => r[col('contaminated')] !== 'True' && r[col('prompt')])
    .map((r) => ({
      f: textFeatures(r[col('prompt')]!),
      strong: Number(r[col('gpt-4-1106-preview')]),
      weak: Number(r[col('mistralai/Mixtral-8x7B-Instruct-v0.1')]),
    }));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      folds: { type: 'string', default: '0' },
      data: { type: 'string', default: '/work/shared/eval-data' },
      'mt-bench': { type: 'boolean' },
      // In-domain on the tuning split: trained on every file without fold 0, scored on fold 0.
      'in-domain': { type: 'boolean' },
      members: { type: 'string', default: '5' },
    },
  });
  const folds = values.folds.split(',').map(Number);
  const members = Number(values.members);
  const datasets = PRIOR_TRAINING_FILES.map((f) => loadPriorDataset(values.data, f.file, f.licence));
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const heads: { name: string; opts: DiscriminationOptions }[] = [
    { name: 'centred', opts: { centre: true, datasetPower: 1, l2: 1 } },
    ...(process.env.WORDS
      ? [{ name: 'centred words l2=100', opts: { centre: true, datasetPower: 1, l2: 1, lexicalL2: 100 } }]
      : []),
  ];
  const betas = (process.env.BETAS ?? '1,2,4').split(',').map(Number);
  const irtWeights = (process.env.IRT_WEIGHTS ?? '1,0.5,0.25').split(',').map(Number);
  type Result = Record<string, { pair: number | null; allPairs: number; cpt50: number | null }>;
  const perFile: Record<string, Result> = {};
  const evalSets = values['mt-bench'] ? [] : PAIR_FILES;
  const inDomain = values['in-domain'] === true;
  const withoutFold0 = datasets.map((d) => ({ ...d, rows: d.rows.filter((r) => r.fold !== 0) }));
  for (const file of evalSets) {
    const d = datasets.find((x) => x.file === file)!;
    const train = inDomain ? withoutFold0 : datasets.filter((x) => x !== d);
    const prior = inDomain
      ? cachedPrior(
          `without-fold0-m${members}`,
          () => trainPrior(withoutFold0, { hyper: { members, discrimination: null, kindDifficulty: null } }).artifact,
        )
      : cachedPrior(
          `without-${file}-m${members}`,
          () => trainPrior(train, { hyper: { members, discrimination: null, kindDifficulty: null } }).artifact,
        );
    const res: Result = {};
    res['irt'] = evaluate(d, folds, scorer(prior, null, 0));
    for (const h of heads) {
      const head = discriminationHead(train, h.opts);
      res[`${h.name} alone`] = evaluate(d, folds, scorer(prior, head, 1, 0));
      for (const b of betas)
        for (const iw of irtWeights) res[`${h.name} β${b} irt×${iw}`] = evaluate(d, folds, scorer(prior, head, b, iw));
      if (process.env.DIFF_HEAD) {
        const dh = discriminationHead(train, { ...h.opts, target: 'difficulty' });
        for (const dw of process.env.DIFF_HEAD.split(',').map(Number))
          res[`${h.name} β1 irt×0 dense difficulty ×${dw}`] = evaluate(
            d,
            folds,
            scorer(prior, head, 1, 0, { head: dh, weight: dw }),
          );
      }
    }
    perFile[file] = res;
    if (process.env.VERBOSE)
      log(
        `${file}: ${Object.entries(res)
          .map(([k, v]) => `${k} ${v.pair?.toFixed(3) ?? '–'}|${v.allPairs.toFixed(3)}`)
          .join('; ')}`,
      );
  }
  if (evalSets.length) {
    log(`\nfolds ${folds.join(',')}: variant → pair APGR per file (MMLU GSM8K ARC Wino MBPP), mean | all-pairs mean`);
    for (const k of Object.keys(perFile[PAIR_FILES[0]!]!)) {
      const pairs = PAIR_FILES.map((f) => perFile[f]![k]!.pair);
      const ok = pairs.filter((p): p is number => p !== null);
      log(
        `${k.padEnd(30)} ${pairs.map((p) => p?.toFixed(3) ?? '  –  ').join(' ')}  mean ${mean(ok).toFixed(3)} | ${mean(PAIR_FILES.map((f) => perFile[f]![k]!.allPairs)).toFixed(3)}  cpt50 ${PAIR_FILES.map((f) => perFile[f]![k]!.cpt50?.toFixed(0) ?? '–').join(' ')}`,
      );
    }
  }
  if (values['mt-bench']) {
    const prior = cachedPrior(
      `all-m${members}`,
      () => trainPrior(datasets, { hyper: { members, discrimination: null, kindDifficulty: null } }).artifact,
    );
    const items = mtBenchTurn1(values.data);
    const run = (name: string, sc: (f: TextFeatures, s: string, w: string) => number | null) => {
      const curve = qualityCurve(
        items.map((i) => i.strong),
        items.map((i) => i.weak),
        items.map((i) => sc(i.f, STRONG, WEAK)!),
      );
      log(`MT-Bench ${name}: APGR ${apgr(curve).toFixed(3)} CPT50 ${cpt(curve, 0.5)?.toFixed(1)}%`);
    };
    run('irt', scorer(prior, null, 0));
    for (const h of heads) {
      const head = discriminationHead(datasets, h.opts);
      run(`${h.name} alone`, scorer(prior, head, 1, 0));
      for (const b of betas) for (const iw of irtWeights) run(`${h.name} β${b} irt×${iw}`, scorer(prior, head, b, iw));
    }
  }
}

main();
