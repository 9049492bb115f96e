// Research harness (issue 10, round online10): the store alone against the prior + its correction
// on the SAME revealed outcomes of the online replay (as online-paired.ts: RouteLLM MMLU, a prior
// trained without MMLU, 30 % uniform draws, the rest Thompson on the shipped learner), and blends
// of the two views' strong − weak gaps: z-scored over the evaluated rows (weight w on the store),
// or in quality space (what a live learner can do) at w = n / (n + N0) or a fixed w.
//   node --import tsx scripts/research/online-blend.ts [--fold 0] [--seeds 1,2,3] [--checkpoints 300,1000,3000]
//   [--policy nothing]   the replay follows the store alone (the benchmark's --online without --with-prior)
//   ONLINE_VARIANTS='{"now":{"now":true}}' NO_STORE=1   the shipped learner against the one before, paired
// Round online10, fold 0, seeds 1–6, 300 / 1,000 / 3,000 (the learner before: .635 / .639 / .653):
// the store alone .587–.632 / .604–.628 / .638–.647; z-blend w .25 +.005 / +.003 / +.008;
// quality-space blend at n / (n + 3,000), built into the learner and run paired, +.0045 / +.0005 /
// +.0035 (half at 1,000 and 10,000 no better; fixed w .15–.35 within ±.005). Folds 1–4 × seeds 1–3,
// run once for it: .630 / .636 / .644 against .630 / .634 / .642 (+.000 / +.002 / +.002, standard
// error of the paired difference .0014 / .0028 / .0026): not kept. From nothing (--policy nothing),
// fold 0 seeds 1–3 at 3,000: .653 / .572 / .677 (mean .634; the learner from the prior .648 on
// that stream): the "0.653 from nothing" quoted for issue 10 is seed 1's.
// From nothing on folds 1–4 × seeds 1–2 (--checkpoints 100,300,500,1000,2000,3000): .579 / .621 /
// .625 at 300 / 1,000 / 3,000, the learner from the prior on the same outcomes .630 / .637 / .641.
import { parseArgs } from 'node:util';
import { foldOf, seededRandom } from '../../daemon/benchmark/folds';
import { apgr, qualityCurve } from '../../daemon/benchmark/metrics';
import { thompson } from '../../daemon/benchmark/run';
import { shuffle, sigmoid } from '../../daemon/core/learned/linear';
import { onlineRows, STRONG, WEAK } from './online-rows';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../../daemon/core/learned/quality-model';

const CACHE = process.env.ONLINE_CACHE ?? '/tmp/online10/cache';
/** The learner before round online10 (heads from the first outcomes): the replay's policy. */
const BEFORE: QualityModelOptions = { ...DEFAULT_QUALITY_MODEL, headsFrom: undefined };
const VARIANTS = JSON.parse(process.env.ONLINE_VARIANTS ?? '{}') as Record<
  string,
  Partial<QualityModelOptions> & { now?: boolean }
>;
const SCHEDULES = (process.env.BLEND_SCHEDULES ?? '1000,3000,10000').split(',').map(Number);
/** Held-out runs: only the learner before and the variants (no store alone, no blends). */
const NO_STORE = process.env.NO_STORE === '1';
const FIXED = (process.env.BLEND_FIXED ?? '').split(',').filter(Boolean).map(Number);
const WEIGHTS = (process.env.BLEND_WEIGHTS ?? '0.25,0.5,0.75').split(',').map(Number);

function zscore(a: number[]): number[] {
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length) || 1;
  return a.map((x) => (x - mean) / sd);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fold: { type: 'string', default: '0' },
      seeds: { type: 'string', default: '1,2,3' },
      checkpoints: { type: 'string', default: '300,1000,3000' },
      explore: { type: 'string', default: '0.3' },
      // 'nothing': the replay's choices follow the store alone (the benchmark's --online without
      // --with-prior), so its curve is the "from nothing" one on the same fold and seed.
      policy: { type: 'string', default: 'prior' },
    },
  });
  const fold = Number(values.fold);
  const explore = Number(values.explore);
  const checkpoints = values.checkpoints.split(',').map(Number);
  const { rows } = await onlineRows(CACHE);
  const names = [STRONG, WEAK];
  const evaluated = rows.filter((r) => foldOf(r.prompt, 5) === fold);
  const strong = evaluated.map((r) => r.scores[0]);
  const weak = evaluated.map((r) => r.scores[1]);
  const apgrOf = (score: number[]) => apgr(qualityCurve(strong, weak, score));
  const priorDiff = evaluated.map((r) => sigmoid(r.logits[0]) - sigmoid(r.logits[1]));
  console.log(`fold ${fold}: ${evaluated.length} rows; prior alone ${apgrOf(priorDiff).toFixed(3)}`);
  const sums = new Map<string, number>();
  const add = (key: string, v: number) => sums.set(key, (sums.get(key) ?? 0) + v);
  for (const seed of values.seeds.split(',').map(Number)) {
    const random = seededRandom(seed);
    const shuffled = rows.filter((r) => foldOf(r.prompt, 5) !== fold);
    shuffle(shuffled, random);
    const stream = shuffled.slice(0, Math.max(...checkpoints));
    const dims = rows[0]!.vector.length;
    const shipped = new QualityModel(dims, BEFORE);
    const store = new QualityModel(dims, BEFORE);
    // Variants: JSON overrides of BEFORE (null: the option off); {"now": {"now": true}} is the shipped learner.
    const variants = Object.entries(VARIANTS).map(([name, o]) => {
      const raw: Record<string, unknown> = 'now' in o ? { ...DEFAULT_QUALITY_MODEL } : { ...BEFORE, ...o };
      for (const [k, v] of Object.entries(raw)) if (v === null || k === 'now') delete raw[k];
      return [name, new QualityModel(dims, raw as unknown as QualityModelOptions)] as const;
    });
    for (let i = 0; i < stream.length; i++) {
      const r = stream[i]!;
      const priors = r.logits.map(sigmoid);
      // The policy (and 'shipped' in the output) is the learner before this round.
      const fromNothing = values.policy === 'nothing';
      const p = fromNothing
        ? store.size === 0
          ? null
          : store.predict(r.vector, r.features, names).models
        : shipped.size === 0
          ? null
          : shipped.predict(r.vector, r.features, names, priors).models;
      const chosen = random() < explore || !p ? Math.floor(random() * 2) : thompson(p, random);
      for (const m of [shipped, ...variants.map(([, v]) => v)])
        m.add(r.key, r.vector, r.features, names[chosen]!, r.scores[chosen]!, 1, r.logits[chosen]);
      store.add(r.key, r.vector, r.features, names[chosen]!, r.scores[chosen]!, 1);
      if (!checkpoints.includes(i + 1)) continue;
      const n = i + 1;
      const line = [`seed ${seed} n=${n}`];
      const diffOf = (m: QualityModel, withPrior: boolean) =>
        evaluated.map((e) => {
          const q = m.predict(e.vector, e.features, names, withPrior ? e.logits.map(sigmoid) : undefined).models;
          return q[0]!.quality - q[1]!.quality;
        });
      const all: [string, QualityModel, boolean][] = [
        ['shipped', shipped, true],
        ...(NO_STORE ? [] : [['store', store, false] as [string, QualityModel, boolean]]),
        ...variants.map(([name, v]) => [name, v, true] as [string, QualityModel, boolean]),
      ];
      const diffs = new Map<string, number[]>();
      for (const [name, m, withPrior] of all) {
        await m.refit(seededRandom(seed + i), undefined, 'exact');
        const d = diffOf(m, withPrior);
        diffs.set(name, d);
        const v = apgrOf(d);
        add(`n=${n} ${name}`, v);
        line.push(`${name} ${v.toFixed(3)}`);
      }
      if (NO_STORE) {
        console.log(line.join('  '));
        continue;
      }
      const zs = zscore(diffs.get('shipped')!);
      const zt = zscore(diffs.get('store')!);
      for (const w of WEIGHTS) {
        const v = apgrOf(zs.map((x, j) => (1 - w) * x + w * zt[j]!));
        add(`n=${n} blend ${w}`, v);
        line.push(`blend ${w} ${v.toFixed(3)}`);
      }
      // Quality-space blends (what a live learner can do: each model's quality mixed per prompt) on
      // an evidence schedule w = n / (n + N0).
      const ds = diffs.get('shipped')!;
      const dt = diffs.get('store')!;
      for (const n0 of SCHEDULES) {
        const w = n / (n + n0);
        const v = apgrOf(ds.map((x, j) => (1 - w) * x + w * dt[j]!));
        add(`n=${n} q-blend N0 ${n0}`, v);
        line.push(`q ${n0} ${v.toFixed(3)}`);
      }
      for (const w of FIXED) {
        const v = apgrOf(ds.map((x, j) => (1 - w) * x + w * dt[j]!));
        add(`n=${n} q-blend fixed ${w}`, v);
        line.push(`q w${w} ${v.toFixed(3)}`);
      }
      console.log(line.join('  '));
    }
  }
  const seeds = values.seeds.split(',').length;
  for (const [key, sum] of sums) console.log(`mean ${key}: ${(sum / seeds).toFixed(3)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
