// Tuning and reporting harness for how the learned router combines the router prior with outcomes
// (in-domain, full feedback). Nested by hash folds: settings are chosen on fold 0 as the test fold
// (`--eval 0`) and reported on folds 1–4 (`--eval 1,2,3,4`, each trained on the other four folds).
// The prior is trained now without FILE (leave-one-dataset-out), so FILE's rows never trained it.
//   node --import tsx scripts/tune-prior-blend.ts FILE [--eval 0] [--data DIR] [--grid]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { foldOf, seededRandom } from '../daemon/benchmark/folds';
import { apgr, qualityCurve } from '../daemon/benchmark/metrics';
import { trainPriorWithout } from '../daemon/benchmark/prior-bench';
import { rankWithinFolds } from '../daemon/benchmark/run';
import { textFeatures } from '../daemon/core/learned/features';
import { PoolPrior } from '../daemon/core/learned/pool-prior';
import { staticPriorLogits } from '../daemon/core/learned/prior-offsets';
import { DEFAULT_QUALITY_MODEL, QualityModel, type QualityModelOptions } from '../daemon/core/learned/quality-model';
import { embeddedCompleteRows } from './multi-rows';

const STRONG = 'gpt-4-1106-preview';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      eval: { type: 'string', default: '0' },
      data: { type: 'string', default: '/work/shared/eval-data' },
      l2: { type: 'string' },
      k: { type: 'string' },
      temperature: { type: 'string' },
      epochs: { type: 'string' },
      lr: { type: 'string' },
      tau: { type: 'string' },
      ratings: { type: 'string' },
      seeds: { type: 'string', default: '1' },
      exclude: { type: 'string' },
      weak: { type: 'string' },
    },
  });
  const file = positionals[0]!;
  const WEAK =
    values.weak ??
    (path.basename(file).startsWith('routerbench')
      ? 'mistralai/mixtral-8x7b-chat'
      : 'mistralai/Mixtral-8x7B-Instruct-v0.1');
  const evalFolds = values.eval.split(',').map(Number);
  const { rows, vectors, disk } = await embeddedCompleteRows(file, [STRONG, WEAK]);
  disk.close();
  const t0 = Date.now();
  const artifact = trainPriorWithout(values.data, [path.basename(file)]);
  const pool = new PoolPrior(artifact);
  const configs = [STRONG, WEAK].map((m) => ({ name: m, model: m, cost_per_output_token: 0 }));
  const prepared = rows.map((r, i) => {
    const features = textFeatures(r.prompt);
    return {
      row: r,
      key: String(i),
      vector: vectors[i]!,
      features,
      fold: foldOf(r.prompt, 5),
      logits: staticPriorLogits(pool, features, vectors[i]!, configs),
    };
  });
  process.stderr.write(`prior trained in ${Date.now() - t0} ms; ${prepared.length} rows\n`);
  const strong = prepared.map((p) => p.row.scores[0]!);
  const weak = prepared.map((p) => p.row.scores[1]!);
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  // In the order predictions are made: fold by fold.
  const evaluated = evalFolds.flatMap((f) => prepared.map((_, i) => i).filter((i) => prepared[i]!.fold === f));
  const score = (s: number[]) => {
    const f = evaluated.map((i) => prepared[i]!.fold);
    const r = rankWithinFolds(s, f);
    return apgr(
      qualityCurve(
        evaluated.map((i) => strong[i]!),
        evaluated.map((i) => weak[i]!),
        r,
      ),
    ).toFixed(3);
  };
  const priorOnly = evaluated.map((i) => sig(prepared[i]!.logits[0]!) - sig(prepared[i]!.logits[1]!));
  console.log(`${path.basename(file)} eval folds ${evalFolds.join(',')} (${evaluated.length} rows)`);
  console.log(`prior alone: ${score(priorOnly)}`);

  const linear = { ...DEFAULT_QUALITY_MODEL.linear };
  if (values.l2) linear.l2 = Number(values.l2);
  if (values.epochs) linear.epochs = Number(values.epochs);
  if (values.lr) linear.learningRate = Number(values.lr);
  if (values.tau) linear.residualPrecision = Number(values.tau);
  const base: QualityModelOptions = {
    ...DEFAULT_QUALITY_MODEL,
    linear,
    k: values.k ? Number(values.k) : DEFAULT_QUALITY_MODEL.k,
    temperature: values.temperature ? Number(values.temperature) : DEFAULT_QUALITY_MODEL.temperature,
  };
  // Per variant, per evaluated row: strong − weak of (knn, linear) with and without the prior.
  const out = new Map<string, number[]>();
  const push = (name: string, v: number) => {
    let a = out.get(name);
    if (!a) out.set(name, (a = []));
    a.push(v);
  };
  if (values.ratings) {
    // Few ratings, one model's score each (a coin flip picks which), from the other folds.
    const excluded = new Set<string>();
    if (values.exclude)
      for (const line of (await import('node:fs')).readFileSync(values.exclude, 'utf8').split('\n').slice(1))
        excluded.add(line.slice(0, 16));
    const taus = [5, 20, 100];
    for (const n of values.ratings.split(',').map(Number)) {
      const sums = new Map<string, number>();
      const seeds = Number(values.seeds);
      for (let seed = 1; seed <= seeds; seed++) {
        const out2 = new Map<string, number[]>();
        const add2 = (name: string, v: number) => {
          let a = out2.get(name);
          if (!a) out2.set(name, (a = []));
          a.push(v);
        };
        const evalRows = evaluated.filter((i) => !excluded.has(prepared[i]!.row.uid));
        for (const f of evalFolds) {
          const random = seededRandom(seed * 1000 + f);
          const pool2 = prepared.filter((p) => p.fold !== f);
          for (let i = pool2.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [pool2[i], pool2[j]] = [pool2[j]!, pool2[i]!];
          }
          const stream = pool2.slice(0, n).map((p) => ({ p, j: random() < 0.5 ? 0 : 1 }));
          const test = evalRows.filter((i) => prepared[i]!.fold === f).map((i) => prepared[i]!);
          for (const tau of [0, ...taus]) {
            const model = new QualityModel(512, { ...base, linear: { ...linear, residualPrecision: tau } });
            for (const { p, j } of stream)
              model.add(
                p.key,
                p.vector,
                p.features,
                [STRONG, WEAK][j]!,
                p.row.scores[j]!,
                1,
                tau ? p.logits[j] : undefined,
              );
            await model.refit(seededRandom(seed + f), undefined, 'exact');
            const opts = model.options as { priorPseudoCount: number };
            for (const p of test) {
              const p0 = [sig(p.logits[0]!), sig(p.logits[1]!)];
              if (!tau) {
                const q = model.predict(p.vector, p.features, [STRONG, WEAK]).models;
                add2('no prior (default)', q[0]!.quality - q[1]!.quality);
                add2('prior alone', p0[0]! - p0[1]!);
                for (const w of [50])
                  add2(
                    `nblend w=${w}`,
                    q.reduce(
                      (acc, x, jj) => acc + (jj ? -1 : 1) * ((x.outcomes * x.quality + w * p0[jj]!) / (x.outcomes + w)),
                      0,
                    ),
                  );
                continue;
              }
              for (const c of [2, 5, 20]) {
                opts.priorPseudoCount = c;
                const q = model.predict(p.vector, p.features, [STRONG, WEAK], p0).models;
                if (c === 5) add2(`tau=${tau} linear`, q[0]!.linear! - q[1]!.linear!);
                add2(`tau=${tau} c=${c} knn`, q[0]!.knn - q[1]!.knn);
                for (const share of [0.2, 0.3, 0.5])
                  add2(
                    `tau=${tau} c=${c} share=${share}`,
                    share * (q[0]!.knn - q[1]!.knn) + (1 - share) * (q[0]!.linear! - q[1]!.linear!),
                  );
              }
            }
          }
        }
        const order = evalFolds.flatMap((f) => evalRows.filter((i) => prepared[i]!.fold === f));
        const f2 = order.map((i) => prepared[i]!.fold);
        for (const [name, sc] of out2) {
          const v = apgr(
            qualityCurve(
              order.map((i) => strong[i]!),
              order.map((i) => weak[i]!),
              rankWithinFolds(sc, f2),
            ),
          );
          sums.set(name, (sums.get(name) ?? 0) + v / seeds);
        }
      }
      console.log(`--- ${n} one-sided ratings (mean of ${values.seeds} seeds)`);
      for (const [name, v] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, 14))
        console.log(`${name}: ${v.toFixed(3)}`);
      for (const name of ['prior alone', 'no prior (default)', 'nblend w=50'])
        console.log(`${name}: ${sums.get(name)!.toFixed(3)}`);
    }
    return;
  }
  const counts = [2, 5, 20];
  for (const f of evalFolds) {
    const train = prepared.filter((p) => p.fold !== f);
    const test = evaluated.filter((i) => prepared[i]!.fold === f).map((i) => prepared[i]!);
    for (const withPrior of [false, true]) {
      const model = new QualityModel(512, { ...base });
      for (const p of train)
        [STRONG, WEAK].forEach((m, j) =>
          model.add(p.key, p.vector, p.features, m, p.row.scores[j]!, 1, withPrior ? p.logits[j] : undefined),
        );
      await model.refit(seededRandom(1 + f), undefined, 'exact');
      for (const p of test) {
        if (!withPrior) {
          const q = model.predict(p.vector, p.features, [STRONG, WEAK]).models;
          push('none:knn', q[0]!.knn - q[1]!.knn);
          push('none:linear', (q[0]!.linear ?? 0) - (q[1]!.linear ?? 0));
          push('none:blend(default)', q[0]!.quality - q[1]!.quality);
          const p0 = [sig(p.logits[0]!), sig(p.logits[1]!)];
          // The current combination: (n·store + 50·prior)/(n + 50), n = the model's outcomes.
          for (const w of [50, 500, 2000]) {
            const b = q.map((x, j) => (x.outcomes * x.quality + w * p0[j]!) / (x.outcomes + w));
            push(`nblend w=${w}`, b[0]! - b[1]!);
          }
        } else {
          const p0 = [sig(p.logits[0]!), sig(p.logits[1]!)];
          const opts = model.options as { priorPseudoCount: number; residualKnn: boolean };
          for (const residual of [true])
            for (const c of counts) {
              opts.priorPseudoCount = c;
              opts.residualKnn = residual;
              const q = model.predict(p.vector, p.features, [STRONG, WEAK], p0).models;
              push(`${residual ? 'res' : 'shr'}knn c=${c}`, q[0]!.knn - q[1]!.knn);
              if (c === 5 && residual) push('reslinear', q[0]!.linear! - q[1]!.linear!);
              for (const share of [0.2, 0.3, 0.5])
                push(
                  `${residual ? 'res' : 'shr'} c=${c} share=${share}`,
                  share * (q[0]!.knn - q[1]!.knn) + (1 - share) * (q[0]!.linear! - q[1]!.linear!),
                );
            }
        }
      }
    }
  }
  for (const [name, s] of out) console.log(`${name}: ${score(s)}`);
}

void main();
