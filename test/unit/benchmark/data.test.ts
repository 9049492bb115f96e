import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../../daemon/benchmark/csv';
import { loadTable, uidOf } from '../../../daemon/benchmark/data';
import { foldOf } from '../../../daemon/benchmark/folds';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-data-'));

void test('CSV cells may hold commas, doubled quotes and newlines', () => {
  const rows = parseCsv('a,b,c\r\n"x, y","say ""hi""","line1\nline2"\n1,,3\n');
  assert.deepEqual(rows, [
    ['a', 'b', 'c'],
    ['x, y', 'say "hi"', 'line1\nline2'],
    ['1', '', '3'],
  ]);
});

void test('loads model columns, drops contaminated rows, reads |total_cost and ignores response columns', () => {
  const file = path.join(dir, 't.csv');
  writeFileSync(
    file,
    [
      'uid,prompt,gpt-4,mixtral,gpt-4|total_cost,mixtral|total_cost,gpt-4|model_response,mixtral_response,contaminated,orig_index',
      'u1,"What is 2+2, really?",True,False,0.01,0.001,"4",four,False,7',
      'u2,Contaminated one,True,True,0.01,0.001,x,y,True,8',
      'u3,Empty cell,,1.0,0.02,0.002,x,y,False,9',
    ].join('\n'),
  );
  const t = loadTable(file);
  assert.deepEqual(t.models, ['gpt-4', 'mixtral']);
  assert.equal(t.contaminated, 1);
  assert.equal(t.rows.length, 2);
  assert.equal(t.hasCosts, true);
  assert.deepEqual(t.rows[0]!.scores, [1, 0]);
  assert.deepEqual(t.rows[0]!.costs, [0.01, 0.001]);
  assert.equal(t.rows[0]!.prompt, 'What is 2+2, really?');
  assert.deepEqual(t.rows[1]!.scores, [null, 1]);
});

void test('JSONL rows work the same, and a missing uid is derived from the prompt hash', () => {
  const file = path.join(dir, 't.jsonl');
  writeFileSync(
    file,
    [
      JSON.stringify({ prompt: 'p1', a: true, b: 0.5 }),
      JSON.stringify({ prompt: 'p1', a: false, b: 0.25, contaminated: false }),
      JSON.stringify({ prompt: 'p2', a: 1, b: 0, contaminated: true }),
    ].join('\n'),
  );
  const t = loadTable(file);
  assert.deepEqual(t.models, ['a', 'b']);
  assert.equal(t.rows.length, 2);
  const seen = new Map<string, number>();
  const first = uidOf('p1', seen);
  assert.equal(t.rows[0]!.uid, first);
  assert.equal(t.rows[1]!.uid, `${first}-1`);
  assert.match(first, /^[0-9a-f]{16}$/);
});

void test('asking for a model the file lacks is an error naming it', () => {
  const file = path.join(dir, 't2.csv');
  writeFileSync(file, 'uid,prompt,a,b\nu,p,1,0\n');
  assert.throws(() => loadTable(file, ['a', 'zzz']), /zzz/);
});

void test('folds split by prompt hash: stable, duplicates together, roughly balanced', () => {
  const prompts = Array.from({ length: 1000 }, (_, i) => `prompt number ${i}`);
  const folds = prompts.map((p) => foldOf(p, 5));
  assert.deepEqual(
    folds,
    prompts.map((p) => foldOf(p, 5)),
  );
  assert.equal(foldOf('same text', 5), foldOf('same text', 5));
  for (let f = 0; f < 5; f++) {
    const n = folds.filter((x) => x === f).length;
    assert.ok(n > 150 && n < 250, `fold ${f} has ${n}`);
  }
});
