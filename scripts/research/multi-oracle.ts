// Research (not shipped): how cheaply the best single model's quality can be reached on a score
// table with cost columns (RouterBench) with perfect knowledge of every prompt's scores — the
// bound on issue 10's cost target ("gpt-4's quality at ≤ 60 % of its cost").
//   node --import tsx scripts/research/multi-oracle.ts DATA.csv [REFERENCE_MODEL]
import { completeRows, loadTable } from '../../daemon/benchmark/data';

function main(): void {
  const [file, reference = 'gpt-4-1106-preview'] = process.argv.slice(2);
  if (!file) throw new Error('usage: multi-oracle.ts DATA.csv [REFERENCE_MODEL]');
  const table = loadTable(file);
  if (!table.hasCosts) throw new Error(`${table.name} has no |total_cost columns`);
  const rows = completeRows(
    table,
    table.models.map((_, i) => i),
  ).filter((r) => r.costs!.every((c) => c !== null));
  const M = table.models.length;
  const ref = table.models.indexOf(reference);
  if (ref < 0) throw new Error(`no column ${reference}`);
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  const refQuality = mean((r) => r.scores[ref]!);
  const refCost = mean((r) => r.costs![ref]!);
  const summary = (pick: (r: (typeof rows)[number]) => number) => ({
    quality: round(mean((r) => r.scores[pick(r)]!)),
    cost_share: round(mean((r) => r.costs![pick(r)]!) / refCost),
  });
  const cheapest = (r: (typeof rows)[number], among: number[]) =>
    among.reduce((a, b) => (r.costs![b]! < r.costs![a]! ? b : a));
  const all = Array.from({ length: M }, (_, m) => m);
  console.log(
    JSON.stringify(
      {
        file: table.name,
        rows: rows.length,
        reference: { model: reference, quality: round(refQuality) },
        models: table.models.map((name, m) => ({
          name,
          quality: round(mean((r) => r.scores[m]!)),
          cost_share: round(mean((r) => r.costs![m]!) / refCost),
        })),
        // Per prompt the cheapest model that scores best on it (its score is the row's best).
        oracle_cheapest_best: summary((r) => {
          const top = Math.max(...r.scores.map((s) => s!));
          return cheapest(
            r,
            all.filter((m) => r.scores[m] === top),
          );
        }),
        // Two models only: the cheap one unless it scores below the reference on this prompt.
        oracle_pairs_with_reference: table.models
          .map((name, m) => ({ name, ...summary((r) => (r.scores[m]! >= r.scores[ref]! ? m : ref)) }))
          .filter((p) => p.name !== reference),
      },
      null,
      1,
    ),
  );
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

main();
