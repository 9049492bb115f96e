import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownOutputLimit } from '../../../daemon/config/known-models';

const limit = (model: string, provider: 'openai' | 'anthropic' | 'ollama' = 'anthropic') =>
  knownOutputLimit({ provider, model });

void test("each Claude generation's documented output ceiling, by the ids clients and gateways use", () => {
  assert.equal(limit('claude-3-haiku-20240307'), 4_096);
  assert.equal(limit('claude-3-5-sonnet-20241022'), 8_192);
  assert.equal(limit('anthropic/claude-3.5-sonnet', 'openai'), 8_192);
  assert.equal(limit('claude-3-7-sonnet-latest'), 64_000);
  assert.equal(limit('claude-opus-4-20250514'), 32_000);
  assert.equal(limit('claude-opus-4-1-20250805'), 32_000);
  assert.equal(limit('claude-sonnet-4-20250514'), 64_000);
  assert.equal(limit('claude-sonnet-4-5-20250929'), 64_000);
  assert.equal(limit('claude-haiku-4-5'), 64_000);
  assert.equal(limit('claude-opus-4-5-20251101'), 64_000);
  assert.equal(limit('claude-sonnet-4-6'), 128_000);
  assert.equal(limit('claude-opus-4-7'), 128_000);
  // A Claude 4 version this table does not know is not capped (a too-low cap would cut answers).
  assert.equal(limit('claude-haiku-4-7'), undefined);
});

void test("OpenAI models' ceilings; local and unknown models get none", () => {
  assert.equal(limit('gpt-4o-mini', 'openai'), 16_384);
  assert.equal(limit('gpt-4o-2024-05-13', 'openai'), 4_096);
  assert.equal(limit('gpt-4.1-mini', 'openai'), 32_768);
  assert.equal(limit('gpt-5-mini', 'openai'), 128_000);
  assert.equal(limit('o4-mini', 'openai'), 100_000);
  assert.equal(limit('gpt-4o-mini', 'ollama'), undefined);
  assert.equal(limit('my-finetune', 'openai'), undefined);
});
