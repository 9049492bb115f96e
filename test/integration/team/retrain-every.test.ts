// routing.feedback.retrain_every in a team: the refit leader counts every outcome its learner takes, also
// those that reach it from the store rather than through its own feedback service (outcomes other
// replicas accepted, and imports whose keys PostgreSQL could not check at once, learned when
// stored). It counted only its own: with ratings and imports arriving through other replicas, or
// an import queued while the database was slow, the leader never refit however many arrived.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { postgresMissing } from '../../helpers/postgres';
import {
  learnedFrom,
  postJson,
  spawnReplica,
  startTeamBackend,
  teamConfig,
  waitFor,
  type TeamBackend,
  type TeamReplica,
} from '../../helpers/team';

const PROMPT = 'Which sorting algorithm suits a nearly sorted list?';
const RETRAIN_EVERY = 5;

describe('retrain_every in a team', { skip: postgresMissing(), timeout: 240_000 }, () => {
  let backend: TeamBackend | undefined;
  let leader: TeamReplica;
  let follower: TeamReplica;
  const replicas: TeamReplica[] = [];

  before(async () => {
    backend = await startTeamBackend('retrain_every');
    const { fake, url } = backend;
    const config = teamConfig(fake.url, url, {
      // A learner (the learned strategy), refits every 5 outcomes, and a read timeout short enough
      // for a held table to make an import's key check give up.
      routing: {
        strategies: ['learned', 'cost', 'fallback'],
        exploration_rate: 0,
        min_confidence: 0,
        feedback: { retrain_every: RETRAIN_EVERY },
      },
      store: { url, read_timeout_ms: 300 },
    });
    // The first replica takes the refit lead before the second one exists.
    leader = await spawnReplica(config);
    replicas.push(leader);
    assert.ok(
      await waitFor(async () => leader.stderr().includes('this daemon is the refit leader'), 30_000),
      leader.stderr(),
    );
    follower = await spawnReplica(config);
    replicas.push(follower);
    // Both learners loaded, on an empty store: no refit yet.
    for (const replica of replicas) {
      assert.ok(
        await waitFor(async () => replica.stderr().includes('learner: loading 0 stored outcomes'), 60_000),
        replica.stderr(),
      );
    }
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await backend?.close();
  });

  /**
   * The replica's last refit (null: none yet). read_timeout_ms is short here, so the stats may be
   * answered 503 for a moment on a busy machine: that is asked again, and never read as a refit.
   */
  const lastRetrainAt = async (replica: TeamReplica): Promise<number | null> => {
    let res = await fetch(`${replica.url}/v1/feedback/stats`);
    for (let i = 0; i < 300 && res.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await fetch(`${replica.url}/v1/feedback/stats`);
    }
    assert.equal(res.status, 200, await res.clone().text());
    const at = ((await res.json()) as { last_retrain_at?: unknown }).last_retrain_at;
    assert.ok(at === null || typeof at === 'number', `last_retrain_at: ${String(at)}`);
    return at;
  };
  const rows = (label: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ prompt: `${label} ${i}`, model: i % 2 ? 'model-a' : 'model-b', score: 1 }));
  /** Rows as a file (JSON lines): their keys are checked, as `fugusashi import` sends them. */
  const importFile = async (replica: TeamReplica, file: { prompt: string }[]) => {
    const res = await fetch(`${replica.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: file.map((row) => `${JSON.stringify(row)}\n`).join(''),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { added: number; queued?: number };
  };
  /** How many outcomes each of the leader's refits so far was made on (its log). */
  const refits = () => [...leader.stderr().matchAll(/learner: refit on (\d+) outcomes/g)].map((m) => Number(m[1]));
  /** Waits (a bound for a broken build only) until the leader has refit since `since`. */
  const leaderRefitSince = (since: number | null) =>
    waitFor(async () => {
      const at = await lastRetrainAt(leader);
      return at !== null && (since === null || at > since);
    }, 30_000);

  test('outcomes accepted only by another replica make the leader refit', async () => {
    assert.equal(await lastRetrainAt(leader), null, 'no refit before any outcome');
    const res = await postJson(`${follower.url}/v1/routing/training`, rows('through the follower', RETRAIN_EVERY + 1));
    assert.equal(res.status, 200, await res.clone().text());
    // They reach the leader's learner through PostgreSQL ...
    assert.ok(
      await waitFor(async () => (await learnedFrom(leader, PROMPT)) >= RETRAIN_EVERY + 1, 30_000),
      `the leader learned ${await learnedFrom(leader, PROMPT)}`,
    );
    // ... and count toward its retrain_every.
    assert.ok(await leaderRefitSince(null), `the leader never refit; its log:\n${leader.stderr().slice(-2000)}`);
  });

  test('an import queued while its keys could not be checked counts once it is stored', async () => {
    const before = await lastRetrainAt(leader);
    // A session holding the outcomes table: the import's key check (a read) outlasts
    // read_timeout_ms, so its rows are spooled unchecked and answered as queued.
    const locker = new Client({ connectionString: backend!.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE outcomes IN ACCESS EXCLUSIVE MODE');
      const answer = await importFile(leader, rows('queued while held', RETRAIN_EVERY + 1));
      assert.deepEqual([answer.added, answer.queued], [0, RETRAIN_EVERY + 1]);
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }
    assert.ok(
      await leaderRefitSince(before),
      `the leader did not refit again; its log:\n${leader.stderr().slice(-2000)}`,
    );
  });

  test('an import through the leader counts once: when its write stored it, not also when accepted', async () => {
    // It counted at both: 3 rows made 6, and the leader refit 2 outcomes early.
    const learned = await learnedFrom(leader, PROMPT);
    const before = refits().length;
    // Added, or queued if the key check outran read_timeout_ms on a busy machine: either way the
    // rows count once, when stored.
    const answer = await importFile(leader, rows('through the leader', 3));
    assert.equal(answer.added + (answer.queued ?? 0), 3);
    assert.ok(await waitFor(async () => (await learnedFrom(leader, PROMPT)) === learned + 3, 30_000));
    const res = await postJson(`${follower.url}/v1/routing/training`, rows('and two more', RETRAIN_EVERY - 3));
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(
      await waitFor(async () => refits().length > before, 30_000),
      `the leader did not refit; its log:\n${leader.stderr().slice(-2000)}`,
    );
    assert.deepEqual(refits().slice(before), [learned + RETRAIN_EVERY]);
  });
});
