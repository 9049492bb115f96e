// `fugusashi benchmark FILE` on a multi-model file with cost columns: the nested stack (settings
// chosen on inner folds of each training set) routes each kind of prompt to the model that answers
// it, and the cost-aware pick keeps the best single model's quality for less than its cost.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchmarkCommand } from '../../../daemon/benchmark/cli';
import type { MultiNestedReport } from '../../../daemon/benchmark/multi-run';
import type { BenchmarkReport } from '../../../shared/api';
import { sink } from '../../helpers/sink';

const CITIES = ['France', 'Japan', 'Kenya', 'Peru', 'Norway', 'Egypt', 'Canada', 'India', 'Chile', 'Spain'];

// 80 rows: arithmetic (only `mathy` and the dear `big` answer) and capitals (only `geo` and `big`);
// `big` misses every fifth row of each kind, so routing beats it on quality too.
function file(dir: string): string {
  const lines = ['uid,prompt,mathy,geo,big,mathy|total_cost,geo|total_cost,big|total_cost'];
  for (let i = 0; i < 80; i++) {
    const math = i % 2 === 0;
    const prompt = math
      ? `What is ${i + 3} multiplied by ${(i % 7) + 2}? Give the number only.`
      : `What is the capital city of ${CITIES[i % CITIES.length]!}? (question ${i})`;
    const big = i % 10 < 8 ? 1 : 0;
    lines.push(`u${i},"${prompt}",${math ? 1 : 0},${math ? 0 : 1},${big},0.001,0.001,0.02`);
  }
  const f = path.join(dir, 'three-models.csv');
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

void test('multi-model benchmark: nested stack and cost-aware pick, measured on rows no setting was chosen on', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-multi-'));
  const data = file(dir);
  const cache = path.join(dir, 'cache');
  const stdout = sink();
  const stderr = sink();
  const code = await benchmarkCommand([data, '--folds', '2', '--json', '--stack', '--cache-dir', cache], {
    stdout,
    stderr,
  });
  assert.equal(code, 0, stderr.text());
  const report = JSON.parse(stdout.text()) as BenchmarkReport & { multi_nested?: MultiNestedReport };
  const nested = report.multi_nested;
  assert.ok(nested, 'multi_nested in the report');
  assert.equal(nested.all.rows, 80);
  assert.equal(nested.best_single_model, 'big');
  assert.equal(nested.per_fold.length, 2);
  // The oracle is 1.0; each kind's cheap expert is always right.
  assert.ok(nested.all.routed_quality > 0.9, JSON.stringify(nested.all));
  assert.ok(nested.all.gain_points > 5, JSON.stringify(nested.all));
  const cost = nested.all.cost_aware!;
  assert.ok(cost.quality >= nested.all.best_single_quality, JSON.stringify(cost));
  assert.ok(cost.cost_share < 0.6, JSON.stringify(cost));

  const plain = sink();
  assert.equal(
    await benchmarkCommand([data, '--folds', '2', '--json', '--cache-dir', cache], {
      stdout: plain,
      stderr,
    }),
    0,
  );
  assert.equal((JSON.parse(plain.text()) as { multi_nested?: unknown }).multi_nested, undefined);
});
