// gateway (issue 12): the cascade strategy on RouterBench's recorded answers (ARC-Challenge,
// Winogrande, MBPP: 11 models' per-prompt correctness and cost per call). Offline simulation of
// exactly what the live cascade does: ask the cheapest model of the chain, accept unless the check
// fails, else escalate; the last model's answer is final.
//
// The judge is simulated from the recorded scores with a stated accuracy a: it accepts a correct
// answer with probability a and rejects a wrong one with probability a (seeded). Each judge call
// costs what the chain's cheapest model costs on that prompt (a small judge reading prompt + answer).
//
// No tuning on the reported rows: rows are split 50/50 by a hash of the uid. On the first half the
// chain is chosen (the models on the cost/quality Pareto front, cheapest first, at most 3: the
// cheapest, the best, and the front's middle model) and the best single model is named; every
// figure is on the second half.
//   npm run bench:cascade
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../../daemon/benchmark/csv';

const DATA = '/work/shared/eval-data';
const FILES = ['routerbench_arc_challenge.csv', 'routerbench_winogrande.csv', 'routerbench_mbpp.csv'];
const ACCURACIES = [0.8, 0.9, 0.95, 1];

interface Row {
  uid: string;
  score: Map<string, number>;
  cost: Map<string, number>;
}

function load(file: string): { models: string[]; rows: Row[] } {
  const [header, ...records] = parseCsv(readFileSync(`${DATA}/${file}`, 'utf8'));
  const cols = header!;
  const models = cols.filter((c) => cols.includes(`${c}|total_cost`));
  const rows: Row[] = [];
  for (const r of records) {
    if (r.length !== cols.length) continue;
    const row: Row = { uid: r[cols.indexOf('uid')]!, score: new Map(), cost: new Map() };
    let ok = true;
    for (const m of models) {
      const s = Number(r[cols.indexOf(m)]);
      const c = Number(r[cols.indexOf(`${m}|total_cost`)]);
      if (!Number.isFinite(s) || !Number.isFinite(c) || r[cols.indexOf(m)] === '') ok = false;
      row.score.set(m, s);
      row.cost.set(m, c);
    }
    if (ok) rows.push(row);
  }
  return { models, rows };
}

function half(uid: string): 0 | 1 {
  return (createHash('sha256').update(uid).digest()[0]! & 1) as 0 | 1;
}

function mean(rows: readonly Row[], f: (r: Row) => number): number {
  return rows.reduce((s, r) => s + f(r), 0) / rows.length;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chainFrom(train: readonly Row[], models: readonly string[]): string[] {
  const stats = models.map((m) => ({
    m,
    q: mean(train, (r) => r.score.get(m)!),
    c: mean(train, (r) => r.cost.get(m)!),
  }));
  const front = stats
    .filter((s) => !stats.some((o) => o !== s && o.q >= s.q && o.c <= s.c && (o.q > s.q || o.c < s.c)))
    .sort((a, b) => a.c - b.c);
  if (front.length <= 3) return front.map((s) => s.m);
  return [front[0]!.m, front[Math.floor((front.length - 1) / 2)]!.m, front.at(-1)!.m];
}

for (const file of FILES) {
  const { models, rows } = load(file);
  const train = rows.filter((r) => half(r.uid) === 0);
  const test = rows.filter((r) => half(r.uid) === 1);
  const best = models.map((m) => ({ m, q: mean(train, (r) => r.score.get(m)!) })).sort((a, b) => b.q - a.q)[0]!.m;
  const chain = chainFrom(train, models);
  const bestQ = mean(test, (r) => r.score.get(best)!);
  const bestC = mean(test, (r) => r.cost.get(best)!);
  console.log(`\n${file}: ${test.length} test rows (of ${rows.length}); chain ${chain.join(' → ')}`);
  console.log(
    `  best single model (${best}): quality ${bestQ.toFixed(3)}, cost $${(bestC * 1000).toFixed(4)} per 1k requests`,
  );
  for (const m of chain)
    console.log(
      `  ${m} alone: quality ${mean(test, (r) => r.score.get(m)!).toFixed(3)}, cost $${(mean(test, (r) => r.cost.get(m)!) * 1000).toFixed(4)} per 1k`,
    );
  for (const a of ACCURACIES) {
    const random = mulberry32(42);
    let quality = 0;
    let cost = 0;
    const acceptedAt = chain.map(() => 0);
    for (const r of test) {
      const judgeCost = r.cost.get(chain[0]!)!;
      for (let i = 0; i < chain.length; i++) {
        const m = chain[i]!;
        cost += r.cost.get(m)!;
        const last = i === chain.length - 1;
        if (last) {
          quality += r.score.get(m)!;
          acceptedAt[i]!++;
          break;
        }
        cost += judgeCost;
        const correct = r.score.get(m)! >= 0.5;
        const accept = random() < a ? correct : !correct;
        if (accept) {
          quality += r.score.get(m)!;
          acceptedAt[i]!++;
          break;
        }
      }
    }
    const q = quality / test.length;
    const c = cost / test.length;
    console.log(
      `  cascade, judge accuracy ${a.toFixed(2)}: quality ${q.toFixed(3)} (${((100 * q) / bestQ).toFixed(1)} % of best), ` +
        `cost $${(c * 1000).toFixed(4)} per 1k (${((100 * c) / bestC).toFixed(1)} % of best); accepted at steps ${acceptedAt.join('/')}`,
    );
  }
}
