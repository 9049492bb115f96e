// A new user's first ratings count for similar prompts only once a refit has cross-fitted the learned
// corrections; with refits every retrain_every (200) outcomes, the first 199 moved only each model's
// level. The first refits now come as the outcomes double: 20, 40, 80, 160, 320, then every 200.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Learner } from '../../../daemon/core/ports';
import type { ServiceDeps } from '../../../daemon/services/deps';
import { Feedback } from '../../../daemon/services/feedback';
import { openStore } from '../../../daemon/store';

void test('refits come as the outcomes double (20, 40, 80, 160, 320), then every retrain_every', async () => {
  const store = await openStore({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'fugusashi-early-refits-')) });
  try {
    let held = 0;
    const refitsAt: number[] = [];
    const learner: Learner = {
      strategy: () => undefined,
      prepare: () => Promise.resolve(undefined),
      observe: () => undefined,
      retrain: () => {
        refitsAt.push(held);
        return Promise.resolve();
      },
      status: () => ({ outcomes: held, last_retrain_at: null, retraining: false, embeddings: 'ready' }),
    };
    const deps = {
      store,
      learner,
      config: () => ({ feedback: { enabled: true, retrainEvery: 200, implicitSignals: false } }),
    } as unknown as ServiceDeps;
    const feedback = new Feedback(deps, { emit: () => undefined, subscribe: () => () => undefined, listeners: 0 });
    for (let i = 0; i < 600; i++) {
      held++;
      feedback.countLearnedFromStore(1);
      await feedback.idle();
    }
    assert.deepEqual(refitsAt, [20, 40, 80, 160, 320, 520]);
  } finally {
    store.close();
  }
});
