// The bundled price table and how a pool model gets its price: config fields win, else the table by
// upstream id (vendor prefixes and snapshot dates stripped), else local = free, else unknown (flagged).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPrice, normaliseModelId, unknownPriceWarning, withPrice } from '../../../daemon/core/prices/lookup';
import { PRICE_TABLE, TABLE_DATE } from '../../../daemon/core/prices/table';
import { applyDefaults } from '../../../daemon/config/resolve';

const base = { provider: 'openai' as const, capabilities: ['chat'] };

test('every table row is dated, sourced and sane', () => {
  assert.match(TABLE_DATE, /^\d{4}-\d{2}-\d{2}$/);
  const seen = new Set<string>();
  for (const row of PRICE_TABLE) {
    assert.match(row.source.url, /^https:\/\//);
    assert.ok(row.source.as_of.length >= 4, `${row.ids[0]} has a source date`);
    assert.ok(row.input > 0 && row.output > 0, `${row.ids[0]} has prices`);
    if (row.cached_input !== undefined) assert.ok(row.cached_input < row.input, `${row.ids[0]} cached < input`);
    for (const id of row.ids) {
      const key = normaliseModelId(id);
      assert.ok(!seen.has(key), `duplicate id ${id}`);
      seen.add(key);
    }
  }
});

test('host prefixes, snapshot dates and -latest are stripped before the lookup', () => {
  assert.equal(normaliseModelId('openai/GPT-4o-2024-08-06'), 'gpt-4o');
  assert.equal(normaliseModelId('claude-sonnet-4-5-20250929'), 'claude-sonnet-4-5');
  assert.equal(normaliseModelId('anthropic/claude-sonnet-4.5'), 'claude-sonnet-4-5');
  assert.equal(normaliseModelId('models/gemini-2.5-flash'), 'gemini-2.5-flash');
  assert.equal(findPrice('claude-3-5-haiku-latest')?.input, 0.8);
  assert.equal(findPrice('deepseek/deepseek-chat')?.output, 0.42);
  assert.equal(findPrice('no-such-model-7b'), undefined);
});

test('a known model needs no cost fields; its table price is per token with the source', () => {
  const m = withPrice({ ...base, name: 'mini', model: 'gpt-4o-mini-2024-07-18' });
  assert.equal(m.price_source, 'table');
  assert.ok(Math.abs(m.cost_per_input_token - 0.15e-6) < 1e-15);
  assert.ok(Math.abs(m.cost_per_output_token - 0.6e-6) < 1e-15);
  assert.ok(Math.abs(m.cost_per_cached_input_token! - 0.075e-6) < 1e-15);
  assert.equal(m.price_ref?.table_date, TABLE_DATE);
  assert.match(m.price_ref.url, /^https:/);
});

test("an Anthropic model's cache writes cost 1.25× (5 minutes) and 2× (1 hour) its input price unless config says", () => {
  const claude = withPrice({ ...base, provider: 'anthropic', name: 'c', model: 'claude-sonnet-4-5' });
  assert.ok(Math.abs(claude.cost_per_cache_write_token! - 1.25 * claude.cost_per_input_token) < 1e-15);
  assert.ok(Math.abs(claude.cost_per_cache_write_1h_token! - 2 * claude.cost_per_input_token) < 1e-15);
  const set = withPrice({
    ...base,
    provider: 'anthropic',
    name: 'c',
    model: 'claude-sonnet-4-5',
    cost_per_cache_write_token: 7e-6,
    cost_per_cache_write_1h_token: 8e-6,
  });
  assert.equal(set.cost_per_cache_write_token, 7e-6);
  assert.equal(set.cost_per_cache_write_1h_token, 8e-6);
  // OpenAI bills no write surcharge: no write price, so writes cost the input price.
  assert.equal(withPrice({ ...base, name: 'g', model: 'gpt-4o' }).cost_per_cache_write_token, undefined);
});

test('config fields override the table, field by field', () => {
  const both = withPrice({
    ...base,
    name: 'x',
    model: 'gpt-4o',
    cost_per_input_token: 1e-6,
    cost_per_output_token: 2e-6,
  });
  assert.equal(both.price_source, 'config');
  assert.equal(both.cost_per_input_token, 1e-6);
  const one = withPrice({ ...base, name: 'x', model: 'gpt-4o', cost_per_output_token: 9e-6 });
  assert.equal(one.price_source, 'config+table');
  assert.equal(one.cost_per_output_token, 9e-6);
  assert.equal(one.cost_per_input_token, 2.5e-6);
});

test('an unknown paid model is priced 0 and flagged; a local one is free and not flagged', () => {
  const unknown = withPrice({ ...base, name: 'mystery', model: 'mystery-13b', api_base: 'https://api.example.com/v1' });
  assert.equal(unknown.price_source, 'unknown');
  assert.equal(unknown.cost_per_input_token, 0);
  assert.match(unknownPriceWarning(unknown)!, /mystery.*no cost_per_input_token/);
  const local = withPrice({ ...base, provider: 'ollama', name: 'llama', model: 'llama3.2:1b' });
  assert.equal(local.price_source, 'local');
  assert.equal(unknownPriceWarning(local), null);
});

test("an Ollama model is free even when it shares a hosted model's name or id (it runs here)", () => {
  for (const id of ['mistral-small', 'codestral', 'deepseek-chat']) {
    const m = withPrice({ ...base, provider: 'ollama', name: id, model: id, api_base: 'http://127.0.0.1:11434' });
    assert.equal(m.price_source, 'local', id);
    assert.equal(m.cost_per_input_token, 0, id);
    assert.equal(m.cost_per_output_token, 0, id);
  }
  // The same id at Mistral's API is priced from the table.
  assert.equal(withPrice({ ...base, name: 'm', model: 'mistral-small' }).price_source, 'table');
});

test('the resolved config carries the prices (what the router and cost figures read)', () => {
  const resolved = applyDefaults(
    { models: [{ ...base, name: 'sonnet', provider: 'anthropic', model: 'claude-sonnet-4-20250514' }] },
    { homeDir: '/tmp' },
    null,
  );
  assert.equal(resolved.models[0]!.cost_per_output_token, 15e-6);
  assert.equal(resolved.models[0]!.price_source, 'table');
});
