// `curl -X POST -H 'Content-Type: application/json' URL` sends a JSON type and no body. 0.3.0 took
// that on endpoints that need no body (POST /v1/feedback/retrain); here it was refused with 400
// "Malformed JSON body: Body cannot be empty". Now no body is no body: such an endpoint answers, and
// one that needs a body says so (400 in its API's error shape), never 500.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon({ rpc: false });
});
after(() => d?.close());

const postEmpty = (route: string, body = '') =>
  fetch(`${d.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

test('POST /v1/feedback/retrain with a JSON type and no body answers as 0.3.0 did', async () => {
  for (const body of ['', '  \n']) {
    const res = await postEmpty('/v1/feedback/retrain', body);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(JSON.parse(text).status, 'ok');
  }
});

test('endpoints that need a body still refuse an empty one with a 400 naming the problem', async () => {
  for (const route of [
    '/v1/chat/completions',
    '/v1/completions',
    '/v1/messages',
    '/v1/messages/count_tokens',
    '/v1/responses',
    '/v1/routing/route',
    '/v1/routing/training',
    '/v1/feedback/rate',
  ]) {
    const res = await postEmpty(route);
    const text = await res.text();
    assert.equal(res.status, 400, `${route}: ${text}`);
    const body = JSON.parse(text) as { error?: { message?: string } };
    assert.ok(body.error?.message, `${route}: an error message`);
    assert.doesNotMatch(body.error.message, /Body cannot be empty/);
  }
});
