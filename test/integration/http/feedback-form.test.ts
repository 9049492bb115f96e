// POST /v1/feedback/rate as Fugusashi 0.3.0's documentation sends it: `curl -d '{...}'` without a
// JSON content type (curl then says application/x-www-form-urlencoded), a body with no content type
// at all, and classic form fields. A browser page on another site must not be able to rate through
// those CORS-"simple" bodies (no preflight), so they are refused when the request is cross-site.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { ChatCompletion } from '../../../shared/openai';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({ rpc: false });
});
after(async () => d.close());

/** node:http sends exactly the headers given (no default content type, unlike fetch). */
function post(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: d.port,
        method: 'POST',
        path,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function answerId(): Promise<string> {
  const res = await post(
    '/v1/chat/completions',
    JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `rate me ${Math.random()}` }] }),
    { 'content-type': 'application/json' },
  );
  assert.equal(res.status, 200);
  return (res.json as ChatCompletion).id;
}

const FORM = 'application/x-www-form-urlencoded';

test("0.3.0's curl example (JSON sent as form-encoded) rates the answer", async () => {
  const id = await answerId();
  const res = await post('/v1/feedback/rate', JSON.stringify({ request_id: id, rating: 5 }), { 'content-type': FORM });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json, { request_id: id, rating: 5, stored: true, status: 'ok' });
});

test('a JSON body without any content type rates the answer', async () => {
  const id = await answerId();
  const res = await post('/v1/feedback/rate', JSON.stringify({ request_id: id, thumbs: 'up' }), {});
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.stored, true);
});

test('form fields (request_id=…&rating=4) rate the answer; numbers are parsed', async () => {
  const id = await answerId();
  const res = await post('/v1/feedback/rate', new URLSearchParams({ request_id: id, rating: '4' }).toString(), {
    'content-type': FORM,
  });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.rating, 4);
});

test('a form-encoded body still gets validated: rating 9 is a 400 in the OpenAI error format', async () => {
  const id = await answerId();
  const res = await post('/v1/feedback/rate', JSON.stringify({ request_id: id, rating: 9 }), { 'content-type': FORM });
  assert.equal(res.status, 400);
  assert.equal(typeof res.json.error.message, 'string');
  const broken = await post('/v1/feedback/rate', '{"request_id": ', { 'content-type': FORM });
  assert.equal(broken.status, 400);
  assert.match(broken.json.error.message, /JSON|request_id/);
});

test('a cross-site browser form cannot rate (Sec-Fetch-Site or a foreign Origin): 403, nothing stored', async () => {
  const id = await answerId();
  const body = JSON.stringify({ request_id: id, rating: 1 });
  const site = await post('/v1/feedback/rate', body, { 'content-type': FORM, 'sec-fetch-site': 'cross-site' });
  assert.equal(site.status, 403);
  const origin = await post('/v1/feedback/rate', body, {
    'content-type': 'text/plain',
    origin: 'https://evil.example',
  });
  assert.equal(origin.status, 403);
  assert.equal(origin.json.error.code, 'cross_site_request');
  const trace = await new Promise<any>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: d.port, path: `/v1/trace/${id}` }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      })
      .on('error', reject);
  });
  assert.deepEqual(trace.feedback, []);
  // The same page's own form (same origin) and JSON from anywhere keep working.
  const same = await post('/v1/feedback/rate', body, {
    'content-type': FORM,
    origin: `http://127.0.0.1:${d.port}`,
    'sec-fetch-site': 'same-origin',
  });
  assert.equal(same.status, 200);
});

test("0.3.0's training example without its content-type header still adds the rows", async () => {
  const rows = JSON.stringify([{ prompt: 'Write Python code', model: 'model-a', score: 0.95 }]);
  const res = await post('/v1/routing/training', rows, { 'content-type': FORM });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json, { added: 1, already_imported: 0, status: 'ok', indexed: 1 });
});
