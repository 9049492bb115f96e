// Research for issue 10's transfer targets (gpt-4-1106-preview vs Mixtral): how far can a router
// that reads only the prompt get on each pair file, and which prompt traits carry across files?
//   node --import tsx scripts/research/transfer-ceiling.ts [--data DIR]
// 1. Per file, the APGR each single dense / kind trait gives on its own (fold 0, both signs shown
//    by the sign of APGR − 0.5): a trait that ranks the gap the same way in every file transfers.
// 2. Ceilings on folds 1–4, each cross-fitted over the hash folds (the scored fold never fitted):
//    - in-domain kNN (k = 50) over USE embeddings and in-domain ridge on dense + kind traits: what
//      the prompt alone tells with the file's OWN labels (a transfer prior cannot beat this much);
//    - "item difficulty known": the row's mean score over the file's OTHER models (RouterBench: 9
//      more models), binned, with each bin's mean gap taken from the other folds. This knows how hard
//      the item really is, which no prompt reader does; it bounds any difficulty-style prior;
//    - the oracle (the true gap) for scale.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from '../../daemon/benchmark/csv';
import { parseArgs } from 'node:util';
import { apgr, cpt, mean, qualityCurve } from '../../daemon/benchmark/metrics';
import {
  EmbeddingLookup,
  loadPriorDataset,
  type PriorDataset,
  type PriorRow,
} from '../../daemon/benchmark/prior-train';
import { defaultCacheDir } from '../../daemon/benchmark/cache';
import { denseAndKind } from '../../daemon/benchmark/prior-kind-head';
import { solveAugmented } from '../../daemon/benchmark/solve';
import { FEATURE_NAMES } from '../../daemon/core/learned/features';
import { KIND_NAMES } from '../../daemon/core/learned/prior-kind';
import { PAIR_FILES, STRONG, WEAK } from '../train-prior';

const TRAITS = [...FEATURE_NAMES, ...KIND_NAMES];

interface PairRow {
  row: PriorRow;
  strong: number;
  weak: number;
  others: number | null;
}

function pairRows(d: PriorDataset): PairRow[] {
  const s = d.rows[0]!.models.indexOf(STRONG);
  const w = d.rows[0]!.models.indexOf(WEAK);
  return d.rows
    .filter((r) => r.raw[s] !== null && r.raw[w] !== null)
    .map((r) => {
      const o = r.scores.filter((v, j) => j !== s && j !== w && v !== null) as number[];
      return { row: r, strong: r.raw[s]!, weak: r.raw[w]!, others: o.length >= 3 ? mean(o) : null };
    });
}

function score(rows: readonly PairRow[], s: readonly number[]): number {
  return apgr(
    qualityCurve(
      rows.map((r) => r.strong),
      rows.map((r) => r.weak),
      s,
    ),
  );
}

function ridge(train: readonly PairRow[], l2: number): (r: PriorRow) => number {
  const F = TRAITS.length;
  const A = Array.from({ length: F }, (_, i) => new Float64Array(F + 1).fill(0).map((_, j) => (i === j ? l2 : 0)));
  A[0]![0] = 1e-6; // the bias is not shrunk
  for (const t of train) {
    const x = denseAndKind(t.row);
    const y = t.strong - t.weak;
    for (let i = 0; i < F; i++) {
      A[i]![F]! += x[i]! * y;
      for (let j = 0; j < F; j++) A[i]![j]! += x[i]! * x[j]!;
    }
  }
  const w = solveAugmented(A);
  return (r) => {
    const x = denseAndKind(r);
    return w.reduce((a, wi, i) => a + wi * x[i]!, 0);
  };
}

function main(): void {
  const { values } = parseArgs({
    options: { data: { type: 'string', default: path.resolve(__dirname, '..', '..', '..', 'shared', 'eval-data') } },
  });
  const embeddings = new EmbeddingLookup(defaultCacheDir());
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const files = PAIR_FILES.map((f) => ({ file: f, rows: pairRows(loadPriorDataset(values.data, f)) }));

  log('1. single traits, fold 0 APGR (> .5: a larger trait means a larger gpt-4 − Mixtral gap)');
  log(
    `${'trait'.padEnd(16)}${files
      .map((f) =>
        f.file
          .replace(/^(routellm_|routerbench_)/, '')
          .slice(0, 9)
          .padStart(10),
      )
      .join('')}`,
  );
  for (let t = 1; t < TRAITS.length; t++) {
    const cells = files.map((f) => {
      const rows = f.rows.filter((r) => r.row.fold === 0);
      const v = rows.map((r) => denseAndKind(r.row)[t]!);
      return new Set(v).size < 2 ? '     —    ' : score(rows, v).toFixed(3).padStart(10);
    });
    log(`${TRAITS[t]!.padEnd(16)}${cells.join('')}`);
  }

  log('\n2. ceilings on folds 1–4 (cross-fitted over hash folds; the scored fold never fitted)');
  for (const f of files) {
    const test = f.rows.filter((r) => r.row.fold !== 0);
    const gap = (r: PairRow) => r.strong - r.weak;
    const line: string[] = [
      `${f.file}: ${test.length} rows, gpt-4 ${mean(test.map((r) => r.strong)).toFixed(3)}, Mixtral ${mean(test.map((r) => r.weak)).toFixed(3)}`,
      `oracle ${score(test, test.map(gap)).toFixed(3)}`,
    ];
    // Ridge and kNN in-domain, fitted on every other fold (fold 0 included).
    for (const l2 of [1, 100]) {
      const byFold = [1, 2, 3, 4].map((k) =>
        ridge(
          f.rows.filter((x) => x.row.fold !== k),
          l2,
        ),
      );
      const s = test.map((r) => byFold[r.row.fold - 1]!(r.row));
      line.push(`ridge(dense+kind, l2 ${l2}) ${score(test, s).toFixed(3)}`);
    }
    const vec = new Map(f.rows.map((r) => [r, embeddings.get(r.row.prompt)]));
    // MMLU's 10k rows would take minutes: there kNN scores fold 1 only.
    const knnRows = f.rows.length > 3000 ? test.filter((r) => r.row.fold === 1) : test;
    if (knnRows.every((r) => vec.get(r)) && f.rows.every((r) => vec.get(r))) {
      for (const k of [50, 200]) {
        const s = knnRows.map((r) => {
          const q = vec.get(r)!;
          const sims = f.rows
            .filter((x) => x.row.fold !== r.row.fold)
            .map((x) => {
              const v = vec.get(x)!;
              let dot = 0;
              for (let i = 0; i < 512; i++) dot += q[i]! * v[i]!;
              return { dot, y: gap(x) };
            })
            .sort((a, b) => b.dot - a.dot);
          return mean(sims.slice(0, k).map((x) => x.y));
        });
        line.push(`kNN(USE, k ${k})${knnRows === test ? '' : ' on fold 1 only'} ${score(knnRows, s).toFixed(3)}`);
      }
    } else line.push('kNN: embeddings not cached');
    if (test.every((r) => r.row.group !== undefined)) {
      // MMLU: the subject known (each row scored by its subject's mean gap on the other folds).
      const s = test.map((r) => {
        const same = f.rows.filter((x) => x.row.fold !== r.row.fold && x.row.group === r.row.group);
        return same.length ? mean(same.map(gap)) : 0;
      });
      line.push(`subject known (its mean gap on the other folds) ${score(test, s).toFixed(3)}`);
    }
    if (test.every((r) => r.others !== null)) {
      const bins = 10;
      const binOf = (r: PairRow) => Math.min(bins - 1, Math.floor(r.others! * bins));
      const s = test.map((r) => {
        const same = f.rows.filter((x) => x.row.fold !== r.row.fold && binOf(x) === binOf(r));
        return same.length ? mean(same.map(gap)) : 0;
      });
      line.push(`difficulty known (other models' mean, binned) ${score(test, s).toFixed(3)}`);
      // Every other model's own outcome on the row as a feature (ridge, cross-fitted): which models
      // fail it, not only how many.
      const profile = (r: PairRow) => {
        const st = r.row.models.indexOf(STRONG);
        const wk = r.row.models.indexOf(WEAK);
        return [1, ...r.row.scores.filter((_, j) => j !== st && j !== wk).map((v) => v ?? 0.5)];
      };
      for (const l2 of [1, 30]) {
        const fits = [1, 2, 3, 4].map((k) => {
          const train = f.rows.filter((x) => x.row.fold !== k);
          const P = profile(train[0]!).length;
          const A = Array.from({ length: P }, (_, i) =>
            new Float64Array(P + 1).fill(0).map((_, j) => (i === j && i > 0 ? l2 : 0)),
          );
          for (const t of train) {
            const x = profile(t);
            for (let i = 0; i < P; i++) {
              A[i]![P]! += x[i]! * gap(t);
              for (let j = 0; j < P; j++) A[i]![j]! += x[i]! * x[j]!;
            }
          }
          return solveAugmented(A);
        });
        const s2 = test.map((r) => profile(r).reduce((a, v, i) => a + v * fits[r.row.fold - 1]![i]!, 0));
        line.push(`the other models' outcomes known (ridge l2 ${l2}) ${score(test, s2).toFixed(3)}`);
      }
    }
    log(line.join('\n  '));
  }
  embeddings.close();
  mtBenchCeiling(values.data, log);
}

/**
 * MT-Bench (72 questions): what knowing each question's CATEGORY (writing, roleplay, reasoning,
 * math, coding, extraction, stem, humanities) would give, the most a prior that reads the prompt's
 * kind could learn from it: each question scored by the mean gpt-4 − Mixtral gap of the OTHER
 * questions of its category (leave one out), and, as an upper bound, of all of them (in-sample).
 */
function mtBenchCeiling(dataDir: string, log: (s: string) => void): void {
  const [header, ...body] = parseCsv(readFileSync(path.join(dataDir, 'routellm_mt_bench_judgements.csv'), 'utf8'));
  const col = (n: string) => header!.indexOf(n);
  const rows = body
    .filter((r) => r[col('contaminated')] !== 'True' && r[col('prompt')])
    .map((r) => ({
      category: r[col('category')]!,
      strong: Number(r[col('gpt-4-1106-preview')]),
      weak: Number(r[col('mistralai/Mixtral-8x7B-Instruct-v0.1')]),
    }));
  const gapMean = (xs: typeof rows) => mean(xs.map((x) => x.strong - x.weak));
  const fig = (s: number[]) => {
    const c = qualityCurve(
      rows.map((r) => r.strong),
      rows.map((r) => r.weak),
      s,
    );
    return `APGR ${apgr(c).toFixed(3)} CPT50 ${cpt(c, 0.5)?.toFixed(1)}%`;
  };
  log(`\n3. MT-Bench (${rows.length} questions, turn 1 decides), category known:`);
  const cats = [...new Set(rows.map((r) => r.category))];
  log(
    `  gaps by category: ${cats.map((c) => `${c} ${gapMean(rows.filter((r) => r.category === c)).toFixed(2)}`).join(', ')}`,
  );
  log(
    `  leave-one-out category mean: ${fig(rows.map((r) => gapMean(rows.filter((x) => x !== r && x.category === r.category))))}`,
  );
  log(`  in-sample category mean: ${fig(rows.map((r) => gapMean(rows.filter((x) => x.category === r.category))))}`);
  log(`  oracle: ${fig(rows.map((r) => r.strong - r.weak))}`);
}

main();
