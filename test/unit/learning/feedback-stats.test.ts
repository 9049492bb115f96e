// /v1/feedback/stats' last_retrain_at is when the learner last refit, not when a retrain was asked
// for: a team follower's retrain refits nothing (it waits for the leader's announced refit), and
// its stats showed the time of that no-op as a refit.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Learner } from '../../../daemon/core/ports';
import type { ServiceDeps } from '../../../daemon/services/deps';
import { Feedback } from '../../../daemon/services/feedback';
import { openStore } from '../../../daemon/store';

void test("a retrain that refits nothing leaves last_retrain_at as the learner's; a refit sets it", async () => {
  const store = await openStore({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'fugusashi-feedback-stats-')) });
  try {
    let refitAt: number | null = null;
    let leader = false;
    const learner: Learner = {
      strategy: () => undefined,
      prepare: () => Promise.resolve(undefined),
      observe: () => undefined,
      // As team/replication.ts's learner: only the leader refits.
      retrain: () => {
        if (leader) refitAt = 1_700_000_000_000;
        return Promise.resolve();
      },
      status: () => ({ outcomes: 0, last_retrain_at: refitAt, retraining: false, embeddings: 'ready' }),
    };
    const deps = { store, learner, now: () => 1_800_000_000_000 } as unknown as ServiceDeps;
    const events = { emit: () => undefined, subscribe: () => () => undefined, listeners: 0 };
    const feedback = new Feedback(deps, events);

    assert.deepEqual(feedback.retrain(), { started: true });
    await feedback.idle();
    assert.equal(feedback.stats().last_retrain_at, null);

    leader = true;
    feedback.retrain();
    await feedback.idle();
    assert.equal(feedback.stats().last_retrain_at, 1_700_000_000_000);
  } finally {
    store.close();
  }
});
