// Start-up: the embedding model loads after /health answers, and a request arriving meanwhile is
// routed at once (the learned strategy abstains, the built-in ones decide) instead of waiting for
// the model; the model is warmed with one embedding before it counts as ready, so the first routed
// prompt after that does not pay the first inference's set-up either.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { applyDefaults } from '../../../daemon/config/resolve';
import type { Outcome, Store } from '../../../daemon/core/ports';
import { createLearner, WARM_UP_TEXT } from '../../../daemon/services/learner';
import { toServiceConfig } from '../../../daemon/services/config';
import { RoutingService } from '../../../daemon/services/routing';

function emptyStore(): Store {
  const outcomes: Outcome[] = [];
  return { listOutcomes: () => outcomes, countOutcomes: () => 0, close: () => {} } as unknown as Store;
}

const priced = (name: string, price: number) => ({
  name,
  provider: 'openai' as const,
  model: name,
  api_base: 'https://api.example.invalid/v1',
  cost_per_input_token: price,
  cost_per_output_token: price,
  capabilities: ['chat'],
});

test('a request during the model load is routed without waiting; the model is warmed before it is ready', async () => {
  const embedded: string[] = [];
  let finishLoad!: () => void;
  const loaded = new Promise<void>((resolve) => (finishLoad = resolve));
  const embedder = {
    id: 'deferred-test',
    dimensions: 8,
    load: () => loaded,
    embed(texts: string[]) {
      embedded.push(...texts);
      return Promise.resolve(
        texts.map((t) => Float32Array.from({ length: 8 }, (_, i) => (t.charCodeAt(i) || 1) / 100)),
      );
    },
  };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-warm-'));
  // No prior: this test is about the built-in strategies deciding while the encoder loads.
  const learner = createLearner({ store: emptyStore(), dataDir, retrainEvery: 0, embedder, prior: null });
  const config = toServiceConfig(
    applyDefaults(
      {
        models: [priced('cheap', 1e-7), priced('dear', 1e-5)],
        routing: { strategies: ['learned', 'cost', 'fallback'], exploration_rate: 0 },
      },
      { homeDir: dataDir },
      null,
    ),
  );
  const routing = new RoutingService({ config: () => config, learner });
  const request = (content: string) => ({ model: 'auto', messages: [{ role: 'user' as const, content }] });

  // The load never finishes until the test says so: plan() resolving proves it did not wait.
  const early = await routing.plan(request('Explain hash maps'));
  assert.equal(learner.status().embeddings, 'loading');
  assert.equal(early.input.embedding, undefined);
  assert.notEqual(early.plan.decision.strategy, 'learned', 'the built-in strategies decide meanwhile');
  assert.deepEqual(embedded, []);

  finishLoad();
  await learner.ready();
  assert.equal(learner.status().embeddings, 'ready');
  assert.equal(embedded[0], WARM_UP_TEXT, 'one warm-up embedding before the model counts as ready');

  // Ready: a decision waits for its prompt's embedding again (the default).
  const later = await routing.plan(request('Explain binary trees'));
  assert.equal(later.input.embedding?.length, 8);
  learner.close();
});
