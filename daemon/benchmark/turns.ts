// Multi-turn score tables (MT-Bench: `prompt` is turn 1, `turn2` the second user turn, and
// `<model>_turn1` / `<model>_turn2` the judge's score of each turn) routed per request, as the
// daemon routes them: each turn is its own request and row. Turn 2's request carries turn 1 as
// context (the daemon's routing text joins the conversation's user turns; the earlier answer is
// left out, since it differs per model) and is scored by that turn's judge score. The file's own
// protocol (RouteLLM's) instead decides once on turn 1 and scores the mean of both turns.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from './csv';
import { tableFromRecords, type EvalTable } from './data';

export function loadTurnTable(file: string, only?: readonly string[]): EvalTable {
  const [header, ...body] = parseCsv(readFileSync(file, 'utf8'));
  if (!header?.includes('turn2'))
    throw new Error(`${path.basename(file)}: --per-turn needs a "turn2" column and <model>_turn1/_turn2 scores`);
  const models = header
    .filter((c) => c.endsWith('_turn1') && header.includes(`${c.slice(0, -'_turn1'.length)}_turn2`))
    .map((c) => c.slice(0, -'_turn1'.length))
    // Reference-only columns (other routers' answers) have turn scores but no mean score column.
    .filter((m) => header.includes(m));
  const records: Record<string, string>[] = [];
  for (const cells of body) {
    const r = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
    if (!r.prompt) continue;
    const turn = (n: 1 | 2, prompt: string) => ({
      uid: `${r.uid ?? ''}#turn${n}`,
      prompt,
      contaminated: r.contaminated ?? '',
      ...Object.fromEntries(models.map((m) => [m, r[`${m}_turn${n}`] ?? ''])),
    });
    records.push(turn(1, r.prompt));
    if (r.turn2) records.push(turn(2, `${r.prompt}\n${r.turn2}`));
  }
  return tableFromRecords(`${path.basename(file)} (per turn)`, records, only);
}
