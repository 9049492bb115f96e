// A database that is up but slow (a table held by a lock, a long migration): a user rating an answer
// this replica just gave got 503 "no answer within 2000 ms" at every try, although the same rating
// is accepted while the database is down (the replica knows the requests it answered lately).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { postgresMissing } from '../../helpers/postgres';
import {
  postJson,
  spawnReplica,
  startTeamBackend,
  teamConfig,
  waitFor,
  type TeamBackend,
  type TeamReplica,
} from '../../helpers/team';

describe('a slow database', { skip: postgresMissing(), timeout: 120_000 }, () => {
  let backend: TeamBackend | undefined;
  let replica: TeamReplica | undefined;
  before(async () => {
    backend = await startTeamBackend('slow_rating');
  });
  after(async () => {
    await replica?.stop();
    await backend?.close();
  });

  test("rating a replica's own fresh answer while the requests table is locked", async () => {
    const { fake, url } = backend!;
    replica = await spawnReplica(teamConfig(fake.url, url, { store: { url, read_timeout_ms: 300 } }));
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE requests IN ACCESS EXCLUSIVE MODE');
      const chat = await postJson(`${replica.url}/v1/chat/completions`, {
        model: 'model-a',
        messages: [{ role: 'user', content: 'Rate me while the database is busy.' }],
      });
      assert.equal(chat.status, 200, await chat.clone().text());
      const { id } = (await chat.json()) as { id: string };
      const rated = await postJson(`${replica.url}/v1/feedback/rate`, { request_id: id, rating: 4 });
      assert.equal(rated.status, 200, await rated.clone().text());
      await locker.query('COMMIT');
      // Stored once the lock is gone.
      const sql = new pg.Client({ connectionString: url });
      await sql.connect();
      try {
        const stored = async () =>
          (await sql.query('SELECT rating FROM feedback WHERE request_id = $1', [id])).rows.length === 1;
        assert.ok(await waitFor(stored, 20_000), 'the rating reached the database');
      } finally {
        await sql.end();
      }
    } finally {
      await locker.end();
    }
  });
});
