// How should a model the prior's data never saw be placed from its public quality figure? Every
// model of a 2025–26 pool is placed that way, and all of them sit above the figures of the models
// the map is fitted on (1008–1251), so the linear map from figure to [ability, skills] is
// extrapolated. This places models of the data as if unseen, pair by pair: both models of a pair
// are placed from a map fitted without either, on a prior trained without the evaluated file
// (transfer), and the pair's APGR is read on the file's rows.
//   node --import tsx scripts/research/placement-extrapolation.ts [--folds 0] [--variants a,b]
// Variants: data (the models' own fitted rows: the reference), linear (every coordinate read off the
// figure: the placement until the fold-0 result below), clamped (skills read at the figure clamped
// to the fitted models' range; ability not clamped), ability (skills = the fitted models' mean; only
// the ability follows the figure: shipped, RouterPrior.placedSkills). Fold 0: data .523, linear
// .489, clamped .490, ability .535; folds 1-4, looked at once: .509, .496, -, .504.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { apgr, qualityCurve } from '../../daemon/benchmark/metrics';
import {
  loadPriorDataset,
  PRIOR_TRAINING_FILES,
  trainPrior,
  type PriorDataset,
} from '../../daemon/benchmark/prior-train';
import { priorInput, type PriorModelRow } from '../../daemon/core/learned/prior';
import { predictFitted } from '../../daemon/core/learned/prior-fit';
import { PUBLIC_QUALITY } from '../../daemon/core/learned/public-quality';
import { CHOSEN, PAIR_FILES } from '../train-prior';

type Variant = 'data' | 'linear' | 'clamped' | 'ability';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(__dirname, '..', '..', '..', 'shared', 'eval-data') },
    folds: { type: 'string', default: '0' },
    variants: { type: 'string', default: 'data,linear,clamped,ability' },
    'min-gap': { type: 'string', default: '0.1' },
  },
});
const folds = values.folds.split(',').map(Number);
const variants = values.variants.split(',') as Variant[];
const minGap = Number(values['min-gap']);

/** Least squares of each row coordinate on the figure, over `names`. */
function fitMap(models: Record<string, PriorModelRow>, names: string[]) {
  const pts = names.map((n) => ({ q: PUBLIC_QUALITY[n]!.value, v: [models[n]!.ability, ...models[n]!.skills] }));
  const center = pts.reduce((s, p) => s + p.q, 0) / pts.length;
  const sxx = pts.reduce((s, p) => s + (p.q - center) ** 2, 0);
  const dims = pts[0]!.v.length;
  const mean: number[] = [];
  const slope: number[] = [];
  for (let k = 0; k < dims; k++) {
    const m = pts.reduce((s, p) => s + p.v[k]!, 0) / pts.length;
    mean.push(m);
    slope.push(pts.reduce((s, p) => s + (p.q - center) * (p.v[k]! - m), 0) / sxx);
  }
  const qs = pts.map((p) => p.q);
  return { center, mean, slope, lo: Math.min(...qs), hi: Math.max(...qs) };
}

function place(map: ReturnType<typeof fitMap>, figure: number, variant: Variant): PriorModelRow {
  const at = (q: number, k: number) => map.mean[k]! + map.slope[k]! * (q - map.center);
  const skillFigure = variant === 'clamped' ? Math.min(map.hi, Math.max(map.lo, figure)) : figure;
  const skills = map.mean.slice(1).map((_, i) => (variant === 'ability' ? map.mean[i + 1]! : at(skillFigure, i + 1)));
  return { ability: at(figure, 0), skills, outcomes: 0 };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

const datasets: PriorDataset[] = PRIOR_TRAINING_FILES.map((f) => loadPriorDataset(values.data, f.file, f.licence));
const log = (s: string) => process.stdout.write(`${s}\n`);
const summary = new Map<Variant, number[]>(variants.map((v) => [v, []]));
const extrapolated = new Map<Variant, number[]>(variants.map((v) => [v, []]));

for (const file of PAIR_FILES) {
  const evaluated = datasets.find((d) => d.file === file)!;
  const t = trainPrior(datasets, { hyper: CHOSEN, exclude: (d) => d.file === file });
  const models = t.artifact.models;
  const K = t.artifact.skills;
  const D = t.prior.inputDims;
  const cols = evaluated.rows[0]!.models;
  const rows = evaluated.rows.filter((r) => folds.includes(r.fold));
  const inputs = rows.map((r) => priorInput(r.features, null, t.artifact.input));
  const withFigure = Object.keys(models).filter((n) => PUBLIC_QUALITY[n]);
  const perVariant = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  for (let a = 0; a < cols.length; a++) {
    for (let b = 0; b < cols.length; b++) {
      const sa = cols[a]!;
      const sb = cols[b]!;
      if (a === b || !PUBLIC_QUALITY[sa] || !PUBLIC_QUALITY[sb] || !models[sa] || !models[sb]) continue;
      const both = rows.filter((r) => r.raw[a] !== null && r.raw[b] !== null);
      const gap = mean(both.map((r) => r.scores[a]!)) - mean(both.map((r) => r.scores[b]!));
      if (gap < minGap) continue; // a is the stronger model of the pair, clearly
      const map = fitMap(
        models,
        withFigure.filter((n) => n !== sa && n !== sb),
      );
      const beyond = PUBLIC_QUALITY[sa].value > map.hi || PUBLIC_QUALITY[sb].value > map.hi;
      for (const v of variants) {
        const ra = v === 'data' ? models[sa] : place(map, PUBLIC_QUALITY[sa].value, v);
        const rb = v === 'data' ? models[sb] : place(map, PUBLIC_QUALITY[sb].value, v);
        const strong: number[] = [];
        const weak: number[] = [];
        const score: number[] = [];
        rows.forEach((r, i) => {
          if (r.raw[a] === null || r.raw[b] === null) return;
          const [pa, pb] = predictFitted(t.fitted, K, D, inputs[i]!, [ra, rb]);
          strong.push(r.raw[a]!);
          weak.push(r.raw[b]!);
          score.push(pa! - pb!);
        });
        const value = apgr(qualityCurve(strong, weak, score));
        perVariant.get(v)!.push(value);
        summary.get(v)!.push(value);
        if (beyond) extrapolated.get(v)!.push(value);
      }
    }
  }
  log(
    `${file}: ${perVariant.get(variants[0]!)!.length} pairs; ` +
      variants.map((v) => `${v} ${mean(perVariant.get(v)!).toFixed(3)}`).join(' | '),
  );
}
log(
  `all pairs (${summary.get(variants[0]!)!.length}): ` +
    variants.map((v) => `${v} ${mean(summary.get(v)!).toFixed(3)}`).join(' | '),
);
log(
  `pairs with a model above the map's range (${extrapolated.get(variants[0]!)!.length}): ` +
    variants.map((v) => `${v} ${mean(extrapolated.get(v)!).toFixed(3)}`).join(' | '),
);
