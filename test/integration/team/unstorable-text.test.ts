// Text PostgreSQL refuses (a NUL character) in a prompt: the request is stored in a form it holds,
// and one such write never stops the writes after it. It used to jam the team store for good: the
// batch holding it failed at every retry, /health said degraded, every later import was "queued"
// and the spool grew (and was replayed at each restart).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { FakeUpstream } from '../../fakes';
import { postgresMissing } from '../../helpers/postgres';
import {
  postJson,
  spawnReplica,
  teamConfig,
  waitFor,
  type TeamReplica,
  startTeamBackend,
  type TeamBackend,
} from '../../helpers/team';

describe('text PostgreSQL cannot hold', { skip: postgresMissing(), timeout: 120_000 }, () => {
  let backend: TeamBackend | undefined;
  let fake: FakeUpstream;
  let url: string;
  let replica: TeamReplica | undefined;

  before(async () => {
    backend = await startTeamBackend('nul');
    ({ fake, url } = backend);
  });
  after(async () => {
    await replica?.stop();
    await backend?.close();
  });

  test('a NUL in a prompt: the request is stored, the store stays up, the next import is added', async () => {
    replica = await spawnReplica(teamConfig(fake.url, url));
    const r = replica;
    const chat = await postJson(`${r.url}/v1/chat/completions`, {
      model: 'auto',
      messages: [{ role: 'user', content: 'a\u0000b' }],
    });
    assert.equal(chat.status, 200, await chat.clone().text());
    const { id } = (await chat.json()) as { id: string };

    // An imported row with a NUL in its prompt too, next to an ordinary one.
    const file = [
      { prompt: 'Sort a list\u0000 in Python', model: 'model-a', score: 1 },
      { prompt: 'Prove that 17 is prime', model: 'model-b', score: 1 },
    ];
    const imported = await fetch(`${r.url}/v1/routing/training`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: file.map((row) => JSON.stringify(row)).join('\n') + '\n',
    });
    assert.equal(imported.status, 200, await imported.clone().text());
    // It was { added: 0, queued: 2 }: the database was marked down behind the chat request's batch.
    assert.deepEqual(
      { ...((await imported.json()) as Record<string, unknown>), indexed: undefined },
      { added: 2, already_imported: 0, status: 'ok', indexed: undefined },
    );

    type Health = { status: string; store: { up: boolean; spooled: number } };
    const health = async (): Promise<Health> => (await (await fetch(`${r.url}/health`)).json()) as Health;
    assert.ok(await waitFor(async () => (await health()).store.spooled === 0, 10_000), JSON.stringify(await health()));
    assert.deepEqual({ status: (await health()).status, up: (await health()).store.up }, { status: 'ok', up: true });
    assert.equal((await fetch(`${r.url}/v1/stats`)).status, 200);

    // The request is in the database (read back through the API, which reads it there while the
    // store is up), its NUL as U+FFFD.
    const trace = await fetch(`${r.url}/v1/trace/${id}`);
    assert.equal(trace.status, 200, await trace.clone().text());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ prompt_preview: string }>(
        'SELECT prompt_preview FROM requests WHERE request_id = $1',
        [id],
      );
      assert.equal(rows.length, 1);
      assert.ok(rows[0]!.prompt_preview.includes('a\uFFFDb'), rows[0]!.prompt_preview);
      const outcomes = await client.query<{ prompt: string }>('SELECT prompt FROM outcomes ORDER BY prompt');
      assert.deepEqual(
        outcomes.rows.map((row) => row.prompt),
        ['Prove that 17 is prime', 'Sort a list\uFFFD in Python'],
      );
    } finally {
      await client.end();
    }
  });
});
