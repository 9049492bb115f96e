// GET /v1/models and `fugusashi models` show where the router's prior places each pool model before
// any rating: from public data, from a quality figure (the bundled table, or quality: in
// config.yaml), or by a guess from its price, which the user can then correct.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../../daemon/cli';
import { createLearner } from '../../../daemon/services/learner';
import type { ModelListEntry } from '../../../shared/openai';
import { makeTempDir, startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { standInEmbedder } from '../../helpers/learning';

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon({
    models: [
      // Upstream ids decide the placement: the fakes answer any id they are given.
      {
        name: 'mini',
        config: { model: 'gpt-4o-mini-2024-07-18', cost_per_output_token: 0.6e-6 },
        fake: { models: ['gpt-4o-mini-2024-07-18'] },
      },
      {
        name: 'house',
        config: { model: 'acme-chat', cost_per_output_token: 2e-6, quality: 1300 },
        fake: { models: ['acme-chat'] },
      },
      { name: 'dear', config: { model: 'acme-large', cost_per_output_token: 15e-6 }, fake: { models: ['acme-large'] } },
      {
        name: 'gpt4',
        config: { model: 'gpt-4-1106-preview', cost_per_output_token: 30e-6 },
        fake: { models: ['gpt-4-1106-preview'] },
      },
    ],
    config: { routing: { strategies: ['learned', 'cost', 'fallback'] } },
    rpc: false,
    // The real learner and bundled prior; a stand-in encoder, since placing models embeds nothing.
    learner: (store) =>
      createLearner({
        store,
        dataDir: makeTempDir('fugu-placement-'),
        embedder: standInEmbedder,
        retrainEvery: 0,
      }),
  });
});

after(async () => {
  await d.close();
});

test('GET /v1/models: public data, the bundled table, quality: in config.yaml, or a guess from the price', async () => {
  const res = await fetch(`${d.url}/v1/models`);
  const entries = ((await res.json()) as { data: ModelListEntry[] }).data;
  const quality = Object.fromEntries(entries.map((e) => [e.id, e.quality]));
  assert.equal(quality['gpt4']?.basis, 'data');
  assert.match(quality['gpt4'].from, /public outcome data for gpt-4-1106-preview/);
  assert.deepEqual([quality['mini']?.basis, quality['mini']?.figure], ['quality', 1273]);
  assert.deepEqual([quality['house']?.basis, quality['house']?.figure], ['quality', 1300]);
  assert.match(quality['house']!.from, /quality: in config\.yaml/);
  assert.equal(quality['dear']?.basis, 'price');
  assert.ok(quality['dear'].figure! > 1273, `a $15 model is guessed above gpt-4o-mini: ${quality['dear'].figure}`);
  assert.equal(quality['auto'], undefined, 'the routing modes are not pool models');
});

test('`fugusashi models` names each placement and says how to correct a guess', async () => {
  let out = '';
  const code = await main(['models', '--data-dir', d.baseConfig.server!.data_dir!], {
    out: (t) => (out += t),
    err: (t) => (out += t),
  });
  assert.equal(code, 0, out);
  assert.match(out, /PRIOR PLACES IT BY/);
  assert.match(out, /^gpt4\s.*\spublic data\s/m);
  assert.match(out, /^mini\s.*\stable 1273\s/m);
  assert.match(out, /^house\s.*\sconfig 1300\s/m);
  assert.match(out, /^dear\s.*\sprice guess 1\d{3}\s/m);
  assert.match(out, /note: dear placed by a guess from the price; set quality: in config\.yaml \(.*gpt-4o-mini 1273/);
});
