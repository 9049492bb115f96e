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
        // Two models, told each prompt's true difficulty: the cheap one, or the reference for the
        // hardest prompts as ranked by how the other models (neither of the two) scored on them —
        // the most a router that predicts difficulty perfectly could do. Where it first reaches the
        // reference's quality, and its best quality at ≤ 60 % of the reference's cost; a random
        // split reaches the reference only at 100 % (`random_at_60`: its quality at 60 %).
        difficulty_oracle_with_reference: table.models
          .map((name, m) => ({ name, ...difficultyOracle(rows, m, ref, refQuality, refCost) }))
          .filter((p) => p.name !== reference),
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

type Row = { scores: (number | null)[]; costs: (number | null)[] | null };

function difficultyOracle(rows: readonly Row[], cheap: number, ref: number, refQuality: number, refCost: number) {
  const others = rows[0]!.scores.map((_, m) => m).filter((m) => m !== cheap && m !== ref);
  const ease = rows.map((r) => others.reduce((s, m) => s + r.scores[m]!, 0) / others.length);
  // Hardest first; ties in a fixed order (by row) so the bound is reproducible.
  const order = rows.map((_, i) => i).sort((a, b) => ease[a]! - ease[b]! || a - b);
  let quality = rows.reduce((s, r) => s + r.scores[cheap]!, 0);
  let cost = rows.reduce((s, r) => s + r.costs![cheap]!, 0);
  const n = rows.length;
  let reachesAt: number | null = null;
  let bestAt60 = cost / n / refCost <= 0.6 ? quality / n : Number.NaN;
  for (const i of order) {
    const r = rows[i]!;
    quality += r.scores[ref]! - r.scores[cheap]!;
    cost += r.costs![ref]! - r.costs![cheap]!;
    if (reachesAt === null && quality / n >= refQuality - 1e-12) reachesAt = cost / n / refCost;
    if (cost / n / refCost <= 0.6 && !(quality / n <= bestAt60)) bestAt60 = quality / n;
  }
  const cheapQuality = rows.reduce((s, r) => s + r.scores[cheap]!, 0) / n;
  const cheapCost = rows.reduce((s, r) => s + r.costs![cheap]!, 0) / n / refCost;
  const share60 = Math.max(0, Math.min(1, (0.6 - cheapCost) / (1 - cheapCost)));
  return {
    reaches_reference_at: reachesAt === null ? null : round(reachesAt),
    best_quality_at_60: round(bestAt60),
    random_at_60: round(cheapQuality + share60 * (refQuality - cheapQuality)),
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

main();
