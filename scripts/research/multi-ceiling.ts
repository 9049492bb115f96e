// Research (not shipped): the multi-model stack against its own ceiling, from multi-live-parts.ts
// dumps (one per scored fold). "live" chooses the weights and offsets on each fold's out-of-fold
// training rows, as MultiStack.fit does; the ceiling chooses them on the scored rows themselves
// (no margin), so no blend of these views can do better on those rows.
//   node --import tsx scripts/research/multi-ceiling.ts F1.json F2.json ...
import { readFileSync } from 'node:fs';
import {
  argmax,
  DEFAULT_STACK_FIT,
  fitStack,
  stackQualities,
  type StackRow,
} from '../../daemon/core/learned/multi-stack';

interface DumpRow {
  knn: number[];
  linear: number[];
  scores: number[];
}

function stackRows(rows: readonly DumpRow[]): StackRow[] {
  return rows.map((r) => ({ parts: { knn: r.knn, linear: r.linear, irt: r.knn.map(() => 0) }, scores: r.scores }));
}

function main(): void {
  const files = process.argv.slice(2);
  if (!files.length) throw new Error('usage: multi-ceiling.ts F1.json [F2.json …]');
  const sums = { live: 0, knn: 0, linear: 0, ceiling: 0, viewOracle: 0 };
  let n = 0;
  let single: number[] = [];
  let oracle = 0;
  for (const f of files) {
    const dump = JSON.parse(readFileSync(f, 'utf8')) as { oof: DumpRow[]; test: DumpRow[] };
    const test = stackRows(dump.test);
    const live = fitStack(stackRows(dump.oof), { ...DEFAULT_STACK_FIT, irt: false });
    const ceiling = fitStack(test, { ...DEFAULT_STACK_FIT, irt: false, margin: -1 });
    if (!single.length) single = test[0]!.scores.map(() => 0);
    for (const r of test) {
      const s = (m: number) => r.scores[m]!;
      const picks = [argmax(stackQualities(r.parts, live)), argmax(r.parts.knn), argmax(r.parts.linear)];
      sums.live += s(picks[0]!);
      sums.knn += s(picks[1]!);
      sums.linear += s(picks[2]!);
      sums.ceiling += s(argmax(stackQualities(r.parts, ceiling)));
      sums.viewOracle += Math.max(...picks.map(s));
      r.scores.forEach((x, m) => (single[m] = single[m]! + x));
      oracle += Math.max(...r.scores);
      n++;
    }
  }
  const best = Math.max(...single) / n;
  const points = (x: number) => Math.round(10_000 * (x / n - best)) / 100;
  console.log(
    JSON.stringify({
      rows: n,
      best_single: Math.round(10_000 * best) / 10_000,
      oracle_points: points(oracle),
      live_points: points(sums.live),
      knn_points: points(sums.knn),
      linear_points: points(sums.linear),
      ceiling_points: points(sums.ceiling),
      view_oracle_points: points(sums.viewOracle),
    }),
  );
}

main();
