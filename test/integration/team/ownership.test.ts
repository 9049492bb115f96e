// Whose data a key sees, on two real daemons (replicas A and C) over a real PostgreSQL: a user's key
// sees and changes only its user's requests, ratings, traces, decisions, stored responses and usage;
// another user's request id answers 404 as an unknown one does; what concerns everyone (the whole
// export, a refit, every key's usage) needs an admin key (`keys create --admin`) or server.token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { main as cli } from '../../../daemon/cli';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';
import { createDatabase, postgresMissing, startPostgres, type TestPostgres } from '../../helpers/postgres';

const TOKEN = 'the-server-token';

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

type Json = Record<string, unknown> & { error?: { code: string; type: string; message: string } };

describe('team: a key sees its own user’s data only', { skip: postgresMissing(), timeout: 120_000 }, () => {
  let pg: TestPostgres;
  let url: string;
  let a: TestDaemon;
  let c: TestDaemon;
  let alice: string;
  let bob: string;
  let boss: string;
  /** alice's chat on replica A, rated 5 by her. */
  let aliceRequest: string;
  let bobRequest: string;

  const call = async (
    daemon: TestDaemon,
    method: string,
    path: string,
    secret: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json; text: string }> => {
    const res = await fetch(`${daemon.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // an export is JSON lines
    }
    return { status: res.status, json, text };
  };
  const chat = async (daemon: TestDaemon, secret: string, content: string): Promise<string> => {
    const res = await call(daemon, 'POST', '/v1/chat/completions', secret, {
      model: 'model-a',
      messages: [{ role: 'user', content }],
    });
    assert.equal(res.status, 200, res.text);
    return String(res.json['id']);
  };
  const keyFor = async (name: string, ...flags: string[]): Promise<string> => {
    const made = await runCli(['keys', 'create', '--name', name, ...flags, '--database', url]);
    assert.equal(made.code, 0, made.err);
    return made.out.trim();
  };
  /** Until both replicas know `secret` (they reload keys on the CLI's notification). */
  const untilKnown = async (secret: string): Promise<void> => {
    for (const daemon of [a, c]) {
      const end = Date.now() + 10_000;
      while ((await call(daemon, 'GET', '/v1/models', secret)).status !== 200) {
        assert.ok(Date.now() < end, 'the key reached the replica within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  /** Until replica C reads `id` from the database (A wrote it through its spool). */
  const untilStored = async (id: string, secret: string): Promise<void> => {
    const end = Date.now() + 10_000;
    while ((await call(c, 'GET', `/v1/trace/${id}`, secret)).status !== 200) {
      assert.ok(Date.now() < end, `${id} reached the database within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    pg = await startPostgres();
    url = await createDatabase(pg, 'ownership');
    const config = { store: { url }, server: { token: TOKEN }, cache: { exact: true } };
    a = await startTestDaemon({ config, rpc: false });
    c = await startTestDaemon({ config, rpc: false });
    alice = await keyFor('alice');
    bob = await keyFor('bob');
    boss = await keyFor('boss', '--admin');
    for (const secret of [alice, bob, boss]) await untilKnown(secret);
    aliceRequest = await chat(a, alice, 'alice secret plan');
    bobRequest = await chat(c, bob, 'bob question');
    assert.equal(
      (await call(a, 'POST', '/v1/feedback/rate', alice, { request_id: aliceRequest, rating: 5 })).status,
      200,
    );
    await untilStored(aliceRequest, alice);
  });
  after(async () => {
    await a?.close();
    await c?.close();
    pg?.destroy();
  });

  /** What an id nobody made answers, to compare another user's id with. */
  const unknownAnswer = async (method: string, path: (id: string) => string, body?: (id: string) => unknown) => {
    const res = await call(c, method, path('fugu-no-such-request'), bob, body?.('fugu-no-such-request'));
    return { status: res.status, code: res.json.error?.code, type: res.json.error?.type };
  };

  test("another user's rating of alice's request is refused as for an unknown id, and hers stays", async () => {
    const rate = (id: string) => ({ request_id: id, rating: 1 });
    const byBob = await call(c, 'POST', '/v1/feedback/rate', bob, rate(aliceRequest));
    assert.equal(byBob.status, 404, byBob.text);
    assert.deepEqual(
      { status: byBob.status, code: byBob.json.error?.code, type: byBob.json.error?.type },
      await unknownAnswer('POST', () => '/v1/feedback/rate', rate),
    );
    for (const replica of [a, c]) {
      const trace = await call(replica, 'GET', `/v1/trace/${aliceRequest}`, alice);
      assert.equal(trace.json['rating'], 5, 'alice’s rating is still hers');
    }
    // Bob rates his own; alice re-rates hers on the other replica; an admin may rate anyone's.
    assert.equal((await call(a, 'POST', '/v1/feedback/rate', bob, { request_id: bobRequest, rating: 4 })).status, 200);
    assert.equal(
      (await call(c, 'POST', '/v1/feedback/rate', alice, { request_id: aliceRequest, rating: 4 })).status,
      200,
    );
    assert.equal(
      (await call(c, 'POST', '/v1/feedback/rate', boss, { request_id: aliceRequest, rating: 5 })).status,
      200,
    );
  });

  test("a rating of alice's answer still streaming is refused to bob as for an unknown id", async () => {
    const slow = { chunks: Array.from({ length: 10 }, (_, i) => `piece ${i} `), chunkDelayMs: 100 };
    a.fakes['model-a']!.enqueue(slow);
    const res = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
      body: JSON.stringify({ model: 'model-a', stream: true, messages: [{ role: 'user', content: 'alice streams' }] }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!/"id":"([^"]+)"/.test(text)) text += decoder.decode((await reader.read()).value);
    const id = /"id":"([^"]+)"/.exec(text)![1]!;
    const byBob = await call(a, 'POST', '/v1/feedback/rate', bob, { request_id: id, rating: 1 });
    assert.equal(byBob.status, 404, byBob.text);
    const byAlice = await call(a, 'POST', '/v1/feedback/rate', alice, { request_id: id, rating: 5 });
    assert.equal(byAlice.status, 200, byAlice.text);
    while (!(await reader.read()).done); // the answer ends; its record is stored with her rating
    const end = Date.now() + 10_000;
    let trace = await call(a, 'GET', `/v1/trace/${id}`, alice);
    while (trace.json['rating'] !== 5 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      trace = await call(a, 'GET', `/v1/trace/${id}`, alice);
    }
    assert.equal(trace.json['rating'], 5, 'her rating, not bob’s');
  });

  test("traces and decisions: bob sees his own, never alice's prompts; admins see everyone's", async () => {
    const trace = await call(c, 'GET', `/v1/trace/${aliceRequest}`, bob);
    assert.deepEqual(
      { status: trace.status, code: trace.json.error?.code, type: trace.json.error?.type },
      await unknownAnswer('GET', (id) => `/v1/trace/${id}`),
    );
    assert.doesNotMatch(trace.text, /alice secret plan/);
    assert.equal((await call(c, 'GET', `/v1/trace/${bobRequest}`, bob)).status, 200);
    for (const replica of [a, c]) {
      const decisions = await call(replica, 'GET', '/v1/routing/decisions', bob);
      const ids = (decisions.json['data'] as { request_id: string }[]).map((d) => d.request_id);
      assert.ok(ids.includes(bobRequest), 'his own request is listed');
      assert.ok(!ids.includes(aliceRequest), 'alice’s is not');
      assert.doesNotMatch(decisions.text, /alice secret plan/);
      const stats = await call(replica, 'GET', '/v1/stats', bob);
      assert.equal(stats.status, 200);
      assert.doesNotMatch(stats.text, /alice secret plan/, '/v1/stats lists recent decisions too');
    }
    for (const admin of [boss, TOKEN]) {
      assert.equal((await call(c, 'GET', `/v1/trace/${aliceRequest}`, admin)).status, 200);
      const decisions = await call(c, 'GET', '/v1/routing/decisions', admin);
      assert.match(decisions.text, /alice secret plan/);
      assert.match(decisions.text, /bob question/);
    }
  });

  test('the whole export and a refit need an admin; a user sees only their own usage row', async () => {
    for (const user of [alice, bob]) {
      const exported = await call(c, 'GET', '/v1/outcomes/export', user);
      assert.equal(exported.status, 403);
      assert.equal(exported.json.error?.code, 'admin_required');
      assert.equal(exported.json.error?.type, 'permission_error');
      assert.doesNotMatch(exported.text, /alice secret plan/);
      assert.equal((await call(c, 'POST', '/v1/feedback/retrain', user)).status, 403);
    }
    // The router decodes percent-escapes, and fastify answers HEAD for a GET route: the check read
    // the raw path, so bob exported everyone's prompts as /v1/outcomes/%65xport and refitted.
    for (const [method, path] of [
      ['GET', '/v1/outcomes/%65xport'],
      ['HEAD', '/v1/outcomes/export'],
      ['POST', '/v1/feedback/%72etrain'],
    ] as const) {
      const res = await call(c, method, path, bob);
      assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
      assert.doesNotMatch(res.text, /alice secret plan/);
    }
    for (const admin of [boss, TOKEN]) {
      const exported = await call(c, 'GET', '/v1/outcomes/export', admin);
      assert.equal(exported.status, 200);
      assert.match(exported.text, /alice secret plan/);
      assert.equal((await call(c, 'POST', '/v1/feedback/retrain', admin)).status, 200);
    }
    const names = async (secret: string, path: string, field: string): Promise<string[]> =>
      ((await call(a, 'GET', path, secret)).json[field] as { name: string }[]).map((k) => k.name).sort();
    assert.deepEqual(await names(alice, '/v1/team/usage', 'data'), ['alice']);
    assert.deepEqual(await names(bob, '/v1/stats', 'per_key'), ['bob']);
    assert.deepEqual(await names(boss, '/v1/team/usage', 'data'), ['alice', 'bob', 'boss']);
    assert.deepEqual(await names(TOKEN, '/v1/stats', 'per_key'), ['alice', 'bob', 'boss']);
  });

  test("a model call spelled with percent-escapes still counts against the key's limits", async () => {
    const carol = await keyFor('carol', '--rpm', '1');
    await untilKnown(carol);
    const ask = () =>
      call(a, 'POST', '/v1/chat/%63ompletions', carol, {
        model: 'model-a',
        messages: [{ role: 'user', content: 'one a minute' }],
      });
    assert.equal((await ask()).status, 200);
    // It was 200 again: the limiter looked for /v1/chat/completions in the raw path.
    assert.equal((await ask()).status, 429);
  });

  test("stored responses: bob can neither read, list nor delete alice's, nor continue from it", async () => {
    const made = await call(a, 'POST', '/v1/responses', alice, {
      model: 'model-a',
      input: 'alice secret plan',
      store: true,
    });
    assert.equal(made.status, 200, made.text);
    const id = String(made.json['id']);
    const unknown = (method: string, path: (id: string) => string) =>
      call(a, method, path('resp_nobody'), bob).then((r) => ({ status: r.status, code: r.json.error?.code }));
    for (const [method, path] of [
      ['GET', (x: string) => `/v1/responses/${x}`],
      ['GET', (x: string) => `/v1/responses/${x}/input_items`],
      ['DELETE', (x: string) => `/v1/responses/${x}`],
    ] as const) {
      const res = await call(a, method, path(id), bob);
      assert.deepEqual({ status: res.status, code: res.json.error?.code }, await unknown(method, path));
      assert.doesNotMatch(res.text, /alice secret plan/);
    }
    const chained = await call(a, 'POST', '/v1/responses', bob, {
      model: 'model-a',
      input: 'and?',
      previous_response_id: id,
    });
    assert.equal(chained.status, 404);
    // Still there for alice: she continues from it and reads it back.
    const next = await call(a, 'POST', '/v1/responses', alice, {
      model: 'model-a',
      input: 'next',
      previous_response_id: id,
    });
    assert.equal(next.status, 200, next.text);
    assert.equal((await call(a, 'GET', `/v1/responses/${id}/input_items`, alice)).status, 200);
    assert.equal((await call(a, 'GET', `/v1/responses/${id}`, boss)).status, 200, 'an admin sees it');
  });

  test('the live feed tells bob of his own requests only', async () => {
    const controller = new AbortController();
    const res = await fetch(`${c.url}/v1/events`, {
      headers: { authorization: `Bearer ${bob}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let seen = '';
    await reader.read(); // ': connected'
    const mine = await chat(c, bob, 'bob again');
    await chat(c, alice, 'alice secret plan, again');
    // Bob's second request comes after alice's: once the feed has it, it has had hers too.
    const theirs = await chat(c, bob, 'bob third');
    const decoder = new TextDecoder();
    while (!seen.includes(theirs)) seen += decoder.decode((await reader.read()).value);
    controller.abort();
    assert.match(seen, new RegExp(mine));
    assert.doesNotMatch(seen, /alice secret plan/);
  });

  test("one user's cached answer is never handed to another user who sends the same prompt", async () => {
    const ask = (secret: string) =>
      call(a, 'POST', '/v1/chat/completions', secret, {
        model: 'auto',
        messages: [{ role: 'user', content: 'what is in the vault?' }],
      });
    const strategy = (res: { status: number; json: Json; text: string }) => {
      assert.equal(res.status, 200, res.text);
      return (res.json['routing_decision'] as { strategy?: string } | undefined)?.strategy;
    };
    assert.notEqual(strategy(await ask(alice)), 'cache');
    assert.equal(strategy(await ask(alice)), 'cache', 'her own repeat is answered from the cache');
    assert.notEqual(strategy(await ask(bob)), 'cache', 'bob gets an answer of his own');
    assert.equal(strategy(await ask(bob)), 'cache', 'and his repeat is his hit');
  });

  test("a replaced key keeps its user's history: alice's new key sees her earlier request", async () => {
    assert.equal((await runCli(['keys', 'revoke', 'alice', '--database', url])).code, 0);
    const again = await keyFor('alice');
    await untilKnown(again);
    const trace = await call(c, 'GET', `/v1/trace/${aliceRequest}`, again);
    assert.equal(trace.status, 200);
    assert.equal(
      (await call(c, 'POST', '/v1/feedback/rate', again, { request_id: aliceRequest, rating: 3 })).status,
      200,
    );
  });

  test('`keys revoke X` revokes the key whose id is X, not also another key named X', async () => {
    const made = await runCli(['keys', 'create', '--name', 'erin', '--database', url]);
    const erin = made.out.trim();
    const erinId = /created key ([0-9a-f]+)/.exec(made.err)?.[1];
    assert.ok(erinId, made.err);
    const namedLikeIt = await keyFor(erinId); // a user whose name happens to be erin's key id
    await untilKnown(erin);
    await untilKnown(namedLikeIt);
    const revoked = await runCli(['keys', 'revoke', erinId, '--database', url]);
    assert.equal(revoked.code, 0, revoked.err);
    const end = Date.now() + 10_000;
    while ((await call(a, 'GET', '/v1/models', erin)).status !== 401) {
      assert.ok(Date.now() < end, 'erin’s key is refused within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // The refusal of erin's key came from the same reload that would have dropped the other one.
    assert.equal((await call(a, 'GET', '/v1/models', namedLikeIt)).status, 200, 'the other key still works');
    const listed = await runCli(['keys', 'list', '--database', url]);
    assert.match(listed.out, new RegExp(`\\n[0-9a-f]+ +${erinId} +fgs-\\S+ +live`), listed.out);
  });

  test('GET /v1/team/usage answers 503 store_unavailable while PostgreSQL is down, as /v1/stats does', async () => {
    pg.stop('fast');
    try {
      for (const secret of [TOKEN, bob]) {
        const usage = await call(a, 'GET', '/v1/team/usage', secret);
        assert.equal(usage.status, 503, usage.text);
        assert.equal(usage.json.error?.code, 'store_unavailable');
      }
      assert.equal((await call(a, 'GET', '/v1/stats', TOKEN)).json.error?.code, 'store_unavailable');
    } finally {
      pg.start();
    }
  });
});
