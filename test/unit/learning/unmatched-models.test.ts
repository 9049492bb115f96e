// Which pool name an imported row's model name probably means: the pool model with that upstream
// id, else the same model by canonical name (vendor prefixes, spellings), else without a date
// suffix; nothing when two pool models match equally (a guess would send the rows to one at random).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../../shared/config';
import { unmatchedModels, unmatchedWarning } from '../../../daemon/services/unmatched-models';

function pool(...entries: [name: string, model: string][]): ModelConfig[] {
  return entries.map(([name, model]) => ({ name, model }) as ModelConfig);
}

const rowsOf = (...models: string[]) => models.map((model) => ({ model }));

test('pool names match; other names are counted, most rows first, with the pool name meant', () => {
  const p = pool(['fast', 'gpt-4o-mini-2024-07-18'], ['gpt-4o', 'gpt-4o'], ['sonnet', 'claude-3-5-sonnet-20241022']);
  const rows = rowsOf(
    'fast',
    'gpt-4o-mini-2024-07-18',
    'openai/gpt-4o',
    'openai/gpt-4o',
    'anthropic/claude-3.5-sonnet',
    'mystery',
  );
  assert.deepEqual(unmatchedModels(rows, p), [
    { model: 'openai/gpt-4o', rows: 2, pool_name: 'gpt-4o' }, // canonical: no vendor prefix
    { model: 'anthropic/claude-3.5-sonnet', rows: 1, pool_name: 'sonnet' }, // and no date
    { model: 'gpt-4o-mini-2024-07-18', rows: 1, pool_name: 'fast' }, // the upstream id
    { model: 'mystery', rows: 1 },
  ]);
  assert.deepEqual(unmatchedModels(rowsOf('fast', 'gpt-4o'), p), []);
  assert.equal(unmatchedWarning([], 2), null);
});

test('two pool models with the same upstream id: no guess', () => {
  const p = pool(['gpt-4o-direct', 'gpt-4o'], ['gpt-4o-azure', 'gpt-4o']);
  assert.deepEqual(unmatchedModels(rowsOf('gpt-4o-2024-08-06'), p), [{ model: 'gpt-4o-2024-08-06', rows: 1 }]);
});
