import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand } from '../../../daemon/benchmark/cli';
import type { BenchmarkReport } from '../../../shared/api';
import { sink } from '../../helpers/sink';

// An MT-Bench-shaped file: turn 1 in `prompt`, the second user turn in `turn2`, the judge's score of
// each turn per model, the mean as the model's column, a reference router's turn scores, and one
// contaminated question.
const HEADER =
  'uid,question_id,category,prompt,turn2,weak,strong,weak_turn1,weak_turn2,strong_turn1,strong_turn2,unify_turn1,unify_turn2,contaminated';
const ROWS = [
  'a1,1,math,"What is 17 * 23?",Now divide it by 3.,5,9,4,6,9,9,9,9,False',
  'a2,2,writing,"Write a haiku about rain.",Make it sadder.,8,8.5,8,8,9,8,9,8,False',
  'a3,3,coding,"Write a Python function to reverse a linked list.",Now make it recursive.,6,9.5,7,5,10,9,10,9,False',
  'a4,4,roleplay,"Pretend you are a pirate and greet me.",,7,7,7,,7,,7,,False',
  'a5,5,math,"Leaked question",Leaked turn,1,10,1,1,10,10,10,10,True',
];

void test('benchmark FILE --per-turn routes a multi-turn file per request: one row per user turn, scored by that turn', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-per-turn-'));
  const file = path.join(dir, 'mt.csv');
  writeFileSync(file, [HEADER, ...ROWS].join('\n'));
  const emit = path.join(dir, 'scores.csv');
  const run = async (perTurn: boolean) => {
    const stdout = sink();
    const stderr = sink();
    const args = [file, '--prior-only', '--strong', 'strong', '--weak', 'weak', '--json', '--emit', emit];
    const code = await benchmarkCommand(perTurn ? [...args, '--per-turn'] : args, { stdout, stderr });
    assert.equal(code, 0, stderr.text());
    return JSON.parse(stdout.text()) as BenchmarkReport;
  };
  const perTurn = await run(true);
  // Three questions with two turns, one with a single turn; the contaminated one is dropped.
  assert.equal(perTurn.rows, 7);
  // Routing every turn to the strong model scores the mean of its turn scores, not of the means.
  assert.ok(Math.abs(perTurn.curve!.at(-1)!.quality - (9 + 9 + 9 + 8 + 10 + 9 + 7) / 7) < 1e-9);
  assert.ok(Math.abs(perTurn.curve![0]!.quality - (4 + 6 + 8 + 8 + 7 + 5 + 7) / 7) < 1e-9);
  const uids = readFileSync(emit, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',')[0]);
  assert.deepEqual(uids.sort(), ['a1#turn1', 'a1#turn2', 'a2#turn1', 'a2#turn2', 'a3#turn1', 'a3#turn2', 'a4#turn1']);
  // Without --per-turn the file's own protocol: one row per question (turn 1 decides).
  assert.equal((await run(false)).rows, 4);
});

void test('benchmark FILE --per-turn on a file without turns says what it needs', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-per-turn-'));
  const file = path.join(dir, 'flat.csv');
  writeFileSync(file, 'uid,prompt,a,b\nx,hello,1,0\ny,bye,0,1\n');
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand([file, '--prior-only', '--per-turn', '--strong', 'a', '--weak', 'b'], {
    stdout,
    stderr,
  });
  assert.notEqual(code, 0);
  assert.match(stderr.text(), /--per-turn needs a "turn2" column/);
});
