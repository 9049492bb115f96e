import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Value } from 'typebox/value';
import { parse } from 'yaml';
import { FugusashiConfigSchema } from '../../../shared/config';

test('the example config.yaml matches the config schema', () => {
  const config: unknown = parse(readFileSync('config.yaml', 'utf8'));
  const errors = [...Value.Errors(FugusashiConfigSchema, config)];
  assert.deepEqual(errors, []);
});

test('the config schema rejects a model without a provider and names the field', () => {
  const config = {
    models: [{ name: 'x', model: 'y', cost_per_input_token: 0, cost_per_output_token: 0, capabilities: [] }],
  };
  const errors = [...Value.Errors(FugusashiConfigSchema, config)];
  assert.ok(errors.length > 0);
  assert.ok(
    errors.some((e) => JSON.stringify(e).includes('provider')),
    JSON.stringify(errors),
  );
});
