// PostgreSQL down or restarted under a running team daemon: chat keeps answering, the store's state
// shows in /health, every acknowledged request is spooled locally and written once the database is
// back, also when the daemon itself was killed (kill -9) while the database was down.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { main as cli } from '../../../daemon/cli';
import type { FakeUpstream } from '../../fakes';
import { createDatabase, postgresMissing, type TestPostgres } from '../../helpers/postgres';
import {
  learnedFrom as learnedFromOn,
  postJson,
  spawnReplica,
  teamConfig,
  waitFor,
  type TeamReplica,
  startTeamBackend,
  type TeamBackend,
} from '../../helpers/team';

async function storedIds(url: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ request_id: string }>('SELECT request_id FROM requests');
    return new Set(rows.map((r) => r.request_id));
  } finally {
    await client.end();
  }
}

/** True once a statement starting with `prefix` waits on a lock (seen from a session of its own:
 * inside a transaction pg_stat_activity is a snapshot). */
async function statementWaitsOnLock(url: string, prefix: string): Promise<boolean> {
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    const { rows } = await watcher.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
      [`${prefix}%`],
    );
    return (rows[0]?.n ?? 0) > 0;
  } finally {
    await watcher.end();
  }
}

describe('PostgreSQL outages', { skip: postgresMissing(), timeout: 240_000 }, () => {
  let backend: TeamBackend | undefined;
  let db: TestPostgres;
  let fake: FakeUpstream;
  let url: string;
  let replica: TeamReplica | undefined;

  before(async () => {
    backend = await startTeamBackend('outage');
    ({ db, fake, url } = backend);
  });
  after(async () => {
    await replica?.stop();
    await backend?.close();
  });

  const chat = async (r: TeamReplica, n: number): Promise<string> => {
    const res = await postJson(`${r.url}/v1/chat/completions`, {
      model: 'auto',
      messages: [{ role: 'user', content: `question ${n}` }],
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  };

  test('down: answers go on and spool; back: every acknowledged request is stored; also after kill -9', async () => {
    const config = teamConfig(fake.url, url);
    replica = await spawnReplica(config);
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) acknowledged.push(await chat(replica, i));

    db.stop('immediate');
    for (let i = 5; i < 25; i++) acknowledged.push(await chat(replica, i));
    type Health = { status: string; store: { up: boolean; spooled: number } };
    const healthUrl = `${replica.url}/health`;
    const readHealth = async (): Promise<Health> => (await (await fetch(healthUrl)).json()) as Health;
    // The write worker notices the outage at its next flush (batches every 50 ms), not at once.
    assert.ok(await waitFor(async () => !(await readHealth()).store.up, 10_000), 'the outage shows in /health');
    const health = await readHealth();
    assert.equal(health.store.up, false);
    assert.equal(health.status, 'degraded');
    // Stats need the database: a clear 503 at once, not a hang.
    const started = Date.now();
    const stats = await fetch(`${replica.url}/v1/stats`);
    assert.equal(stats.status, 503);
    assert.equal(((await stats.json()) as { error: { code: string } }).error.code, 'store_unavailable');
    assert.ok(Date.now() - started < 3000);
    // An import goes on too: its rows spool like any write (which of them PostgreSQL already has is
    // checked when they reach it); it got 503 before.
    // A file (JSON lines, as fugusashi import sends one): sent again, its rows are recognised.
    const rows =
      [
        { prompt: 'outage import one', model: 'model-a', score: 1 },
        { prompt: 'outage import two', model: 'model-b', score: 0 },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n') + '\n';
    const importFile = (r: TeamReplica) =>
      fetch(`${r.url}/v1/routing/training`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: rows,
      });
    const imported = await importFile(replica);
    assert.equal(imported.status, 200, await imported.clone().text());
    // Which of them PostgreSQL already holds is not known: they are queued, not claimed as added
    // (the answer said added: 2, also for rows the database turned out to hold).
    assert.deepEqual(await imported.json(), { added: 0, already_imported: 0, queued: 2, status: 'ok', indexed: 0 });

    // Killed while the database is down: only the spool on disk has the last answers.
    const dataDir = replica.dataDir;
    await replica.stop('SIGKILL');
    db.start();
    replica = await spawnReplica(config, [], dataDir);
    assert.ok(
      await waitFor(async () => {
        const ids = await storedIds(url);
        return acknowledged.every((id) => ids.has(id));
      }, 20_000),
      'every acknowledged request reached PostgreSQL',
    );
    const ids = await storedIds(url);
    assert.equal(acknowledged.filter((id) => ids.has(id)).length, 25);
    const importedPrompts = async (): Promise<number> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows: found } = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM outcomes WHERE prompt LIKE 'outage import %'",
        );
        return found[0]?.n ?? 0;
      } finally {
        await client.end();
      }
    };
    assert.ok(
      await waitFor(async () => (await importedPrompts()) === 2, 20_000),
      'the spooled import reached PostgreSQL',
    );
    // The same rows again, the database up: recognised, stored once.
    const again = await importFile(replica);
    const answer = (await again.json()) as { added: number; already_imported: number };
    assert.deepEqual([answer.added, answer.already_imported], [0, 2]);
    assert.equal(await importedPrompts(), 2);

    // A restart of PostgreSQL under the running daemon: it reconnects by itself.
    db.stop('fast');
    const during = [await chat(replica, 100), await chat(replica, 101)];
    db.start();
    const after = await chat(replica, 102);
    assert.ok(
      await waitFor(async () => {
        const stored = await storedIds(url);
        return [...during, after].every((id) => stored.has(id));
      }, 20_000),
    );
    const healthAfter = (await (await fetch(`${replica.url}/health`)).json()) as { store: { up: boolean } };
    assert.equal(healthAfter.store.up, true);
  });

  test('down in the middle of a write transaction: the outage still shows in /health, and the write is kept', async () => {
    // The write worker holds a pooled connection for its transaction. When PostgreSQL goes away
    // right then, pg emits 'error' on that connection (besides failing its query); with nobody
    // listening, that error ended the worker thread, and /health said "up" for the rest of the outage.
    // A SHARE lock taken by another session holds the worker's INSERT inside its transaction, so the
    // outage comes exactly there every time.
    const midUrl = await createDatabase(db, 'outage_mid_write');
    const config = teamConfig(fake.url, midUrl);
    const mid = await spawnReplica(config);
    const locker = new pg.Client({ connectionString: midUrl });
    locker.on('error', () => undefined); // terminated by the stop below
    try {
      await chat(mid, 0);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE requests IN SHARE MODE');
      const held = await chat(mid, 1);
      // The replica gives up on the statement after 10 s (statement_timeout), so the stop comes before.
      assert.ok(
        await waitFor(() => statementWaitsOnLock(midUrl, 'INSERT INTO requests'), 8_000),
        "the replica's write waits inside its transaction",
      );
      db.stop('immediate');
      type Health = { status: string; store: { up: boolean } };
      const readHealth = async (): Promise<Health> => (await (await fetch(`${mid.url}/health`)).json()) as Health;
      assert.ok(
        await waitFor(async () => !(await readHealth()).store.up, 30_000),
        `the outage shows in /health; the replica's log:\n${mid.stderr().slice(-3000)}`,
      );
      assert.equal((await readHealth()).status, 'degraded');
      const during = await chat(mid, 2);
      db.start();
      assert.ok(
        await waitFor(async () => {
          const ids = await storedIds(midUrl);
          return ids.has(held) && ids.has(during);
        }, 30_000),
        'the write that was cut off and the one made during the outage reach PostgreSQL',
      );
      assert.equal((await readHealth()).store.up, true);
    } finally {
      await mid.stop();
      db.start();
    }
  });

  test("down: a file imported again is not learned twice; a new file's rows are learned once stored", async () => {
    // With the database down the daemon cannot check which rows it already has: it used to learn
    // them all at once, so a re-run of an import counted its rows twice in the router (the
    // explanation said "Learned from 4 past outcomes" for 2) while PostgreSQL stored them once.
    const learnUrl = await createDatabase(db, 'outage_learn');
    const learning = await spawnReplica(
      teamConfig(fake.url, learnUrl, {
        routing: { strategies: ['learned', 'cost', 'fallback'], exploration_rate: 0, min_confidence: 0 },
      }),
    );
    const file = (rows: { prompt: string; model: string; score: number }[]) =>
      rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    const importFile = async (body: string) => {
      const res = await fetch(`${learning.url}/v1/routing/training`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as { added: number; queued?: number };
    };
    /** How many outcomes the router says it learned from (its dry run's explanation). */
    const learnedFrom = () => learnedFromOn(learning, 'Sort a list of numbers in Python');
    const untilLearnedFrom = (n: number) => waitFor(async () => (await learnedFrom()) >= n, 30_000);
    try {
      const first = file([
        { prompt: 'Sort a list in Python', model: 'model-a', score: 1 },
        { prompt: 'Prove that 17 is prime', model: 'model-b', score: 1 },
      ]);
      assert.equal((await importFile(first)).added, 2);
      assert.ok(await untilLearnedFrom(2), `learned from ${await learnedFrom()}`);

      db.stop('immediate');
      // The import run again during the outage, as `fugusashi import` does: it says the rows wait
      // for the database instead of "imported 2" (the database holds both already), and says first
      // that they were accepted (it began "imported 0 outcome(s)", which read like a failure).
      const firstFile = path.join(learning.dataDir, 'first.jsonl');
      writeFileSync(firstFile, first);
      let said = '';
      const code = await cli(['import', firstFile, '--data-dir', learning.dataDir], {
        out: (t) => (said += t),
        err: (t) => (said += t),
      });
      assert.equal(code, 0, said);
      assert.match(
        said,
        /^accepted 2 outcome\(s\) from .* into the running daemon \(pid \d+\), queued for the team database\nthe team database is unavailable or slow/,
      );
      assert.doesNotMatch(said, /imported 0/);
      const second = file([{ prompt: 'Reverse a string in Python', model: 'model-a', score: 1 }]);
      assert.deepEqual(await importFile(second), {
        added: 0,
        already_imported: 0,
        queued: 1,
        status: 'ok',
        indexed: 0,
      });
      db.start();
      // Once the spool reached PostgreSQL (the database's count), the new row is learned too.
      assert.ok(
        await waitFor(async () => {
          const client = new pg.Client({ connectionString: learnUrl });
          await client.connect();
          try {
            const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outcomes');
            return rows[0]?.n === 3;
          } finally {
            await client.end();
          }
        }, 20_000),
        'the spooled rows reached PostgreSQL, each once',
      );
      assert.ok(await untilLearnedFrom(3), `learned from ${await learnedFrom()}`);
      assert.equal(await learnedFrom(), 3);
      // Counted once stored: both files sent again are all already there.
      assert.deepEqual(await importFile(first), { added: 0, already_imported: 2, status: 'ok', indexed: 0 });
      assert.deepEqual(await importFile(second), { added: 0, already_imported: 1, status: 'ok', indexed: 0 });
    } finally {
      db.start();
      await learning.stop();
    }
  });

  test("down before a key spends: its budget still holds on the daemon's own counts", async () => {
    // A reservation the database could not take used to leave the request uncounted: with the
    // database down a key near its budget (or before its first answer) spent without limit.
    const budgetUrl = await createDatabase(db, 'outage_spend');
    const replica = await spawnReplica(teamConfig(fake.url, budgetUrl));
    try {
      let out = '';
      const made = await cli(['keys', 'create', '--name', 'fay', '--budget-day', '0.0001', '--database', budgetUrl], {
        out: (t) => (out += t),
        err: () => undefined,
      });
      assert.equal(made, 0);
      const secret = out.trim();
      await new Promise((r) => setTimeout(r, 1200)); // the daemon refreshes its keys every second
      db.stop('immediate');
      const statuses: number[] = [];
      // model-a answers cost ~$0.00003 each: the budget allows a handful.
      for (let i = 0; i < 15 && !statuses.includes(429); i++) {
        const res = await postJson(
          `${replica.url}/v1/chat/completions`,
          { model: 'model-a', messages: [{ role: 'user', content: `spend ${i}` }] },
          { authorization: `Bearer ${secret}` },
        );
        statuses.push(res.status);
        if (res.status === 429) {
          const body = (await res.json()) as { error: { code: string } };
          assert.equal(body.error.code, 'insufficient_quota');
        } else assert.equal(res.status, 200, `${await res.text()}\n${replica.stderr().slice(-2000)}`);
      }
      assert.ok(statuses.includes(429), `no refusal while the database was down: ${statuses.join(' ')}`);
    } finally {
      db.start();
      await replica.stop();
    }
  });

  test('down in the middle of a budget reservation: the daemon lives on and answers on its own counts', async () => {
    // Near a budget (and before a key's first answer) a request reserves its cost in a transaction
    // on the daemon's own thread; an unheard connection error there would end the whole daemon.
    const budgetUrl = await createDatabase(db, 'outage_budget');
    const replica = await spawnReplica(teamConfig(fake.url, budgetUrl));
    const locker = new pg.Client({ connectionString: budgetUrl });
    locker.on('error', () => undefined); // terminated by the stop below
    try {
      let out = '';
      const made = await cli(['keys', 'create', '--name', 'erin', '--budget-day', '1', '--database', budgetUrl], {
        out: (t) => (out += t),
        err: () => undefined,
      });
      assert.equal(made, 0);
      const secret = out.trim();
      await new Promise((r) => setTimeout(r, 1200)); // the daemon refreshes its keys every second
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE key_usage IN SHARE MODE');
      const answer = postJson(
        `${replica.url}/v1/chat/completions`,
        { model: 'auto', messages: [{ role: 'user', content: 'reserve this' }] },
        { authorization: `Bearer ${secret}` },
      );
      assert.ok(
        await waitFor(() => statementWaitsOnLock(budgetUrl, 'INSERT INTO key_usage'), 8_000),
        'the reservation waits inside its transaction',
      );
      db.stop('immediate');
      const res = await answer.catch((err: unknown) => {
        throw new Error(`no answer (${String(err)}); the daemon's log:\n${replica.stderr().slice(-3000)}`);
      });
      assert.equal(res.status, 200, await res.clone().text());
      const health = await fetch(`${replica.url}/health`);
      assert.equal(health.status, 200, `the daemon is alive; its log:\n${replica.stderr().slice(-3000)}`);
    } finally {
      db.start();
      await replica.stop();
    }
  });
});
