// Upstream API keys never leave the daemon: an upstream whose error bodies echo the request's
// Authorization and x-api-key headers (real servers do) is called every way a client can; the key
// must then appear in no HTTP answer (body or header), no trace, no log line and no file of the
// data dir (journal, store.db).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import type { FakeRequest } from '../../fakes';
import { makeTempDir, startTestDaemon } from '../../helpers/daemon';
import { chat } from './helpers';

// Neither looks like a bearer token nor an sk- key once the scheme is gone: only the configured
// secrets list can catch them.
const API_KEY = 'live-7f3a9c1e5b2d4f6a8c0e';
const HEADER_KEY = 'hdr-1b3d5f7a9c2e4a6c8e0f';
// A vendor's credential header under a name of its own (Azure API Management's): it leaked.
const SUBSCRIPTION_KEY = 'azsub-5e7c9a1b3d5f7a9c';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

function echoing(req: FakeRequest, res: http.ServerResponse): void {
  const auth = String(req.headers.authorization);
  const xKey = `${String(req.headers['x-api-key'])} ${String(req.headers['ocp-apim-subscription-key'])}`;
  const bare = auth.replace(/^Bearer /, '');
  const variant = req.lastUserText;
  if (variant === 'text') {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`upstream proxy error; request headers were Authorization=${auth} x-api-key=${xKey} (${bare})`);
  } else if (variant === 'midstream' && req.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: object) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    res.write(chunk({ content: 'partial ' }));
    res.end(`data: ${JSON.stringify({ error: { message: `key ${bare} revoked; x-api-key ${xKey}` } })}\n\n`);
  } else {
    res.writeHead(variant === 'unauthorized' ? 401 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `Invalid credentials ${bare} / ${xKey} (${auth})`, type: 'x' } }));
  }
}

test('an upstream that echoes the Authorization / x-api-key headers: 0 secrets in answers, traces, logs, store files', async () => {
  const log: string[] = [];
  // Our own data dir: it outlives close(), which writes the final store.db.
  const dataDir = makeTempDir('fugu-secrets-');
  const d = await startTestDaemon({
    rpc: false,
    log,
    models: [
      {
        name: 'model-a',
        config: {
          api_key: API_KEY,
          headers: { 'x-api-key': HEADER_KEY, 'Ocp-Apim-Subscription-Key': SUBSCRIPTION_KEY },
        },
        fake: { hook: () => ({ custom: echoing }) },
      },
      { name: 'model-b' },
    ],
    config: {
      default_model: 'model-a',
      routing: { prefer_local: false, cooldown_failures: 1000 },
      server: { data_dir: dataDir },
    },
  });
  const seen: string[] = [];
  const record = (reply: { status: number; headers: Headers; text: string }) => {
    seen.push(String(reply.status), reply.text, JSON.stringify([...reply.headers.entries()]));
  };
  try {
    for (const variant of ['json', 'text', 'unauthorized', 'midstream']) {
      for (const stream of [false, true]) {
        const messages = [{ role: 'user', content: variant }];
        const auto = await chat(d.url, { model: 'auto', stream, messages });
        record(auto);
        if (variant !== 'midstream' || !stream) assert.equal(auto.status, 200, 'model-b answers auto requests');
        const forced = await chat(d.url, { model: 'model-a', stream, messages });
        record(forced);
      }
    }
    assert.ok(d.fakes['model-a']!.requests.length >= 12, 'model-a was called every time');
    assert.equal(d.fakes['model-a']!.requests[0]!.headers.authorization, `Bearer ${API_KEY}`);
    // The upstream's text still reaches the client, redacted.
    assert.ok(
      seen.some((s) => s.includes('Invalid credentials [redacted]')),
      'error text kept, key redacted',
    );

    const decisions = (await (await fetch(`${d.url}/v1/routing/decisions?limit=100`)).json()) as {
      data: { request_id: string }[];
    };
    assert.ok(decisions.data.length >= 16);
    for (const row of decisions.data) {
      const trace = await fetch(`${d.url}/v1/trace/${row.request_id}`);
      seen.push(await trace.text());
    }
    const events = await fetch(`${d.url}/v1/outcomes/export`);
    seen.push(await events.text());
  } finally {
    await d.close();
  }
  const files = filesUnder(dataDir);
  assert.ok(
    files.some((f) => f.endsWith('store.db')),
    'store.db written',
  );
  for (const secret of [API_KEY, HEADER_KEY, SUBSCRIPTION_KEY]) {
    const inAnswers = seen.filter((s) => s.includes(secret)).length;
    const inFiles = files.filter((f) => !f.endsWith('config.yaml') && readFileSync(f).includes(secret));
    const inLog = log.filter((l) => l.includes(secret));
    assert.equal(inAnswers, 0, `${secret} in HTTP answers/traces: ${seen.find((s) => s.includes(secret))}`);
    assert.deepEqual(inFiles, [], `${secret} in data-dir files`);
    assert.deepEqual(inLog, [], `${secret} in the log`);
  }
  rmSync(dataDir, { recursive: true, force: true });
});
