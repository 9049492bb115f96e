// The dashboard's DOM-free parts: the SSE parser the browser transport reads the live feed with,
// usage-chart bucketing, and the page template + CSP shared by the daemon and the extension.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dashboardCsp, renderDashboardPage } from '../../../shared/webview';
import { autoBucketMs, BUCKETS, fillBuckets, MAX_BUCKETS } from '../../../webview/buckets';
import { SseParser } from '../../../webview/sse';

test('SSE parser: messages split across chunks, CRLF, comments and multi-line data', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': connected\n\n'), []);
  assert.deepEqual(p.push('data: {"type":"de'), []);
  assert.deepEqual(p.push('cision"}\r\n\r\ndata: a\ndata: b\n'), [
    { event: 'message', data: '{"type":"decision"}', id: null },
  ]);
  assert.deepEqual(p.push('\nevent: x\nid: 7\ndata:c\n\n'), [
    { event: 'message', data: 'a\nb', id: null },
    { event: 'x', data: 'c', id: '7' },
  ]);
});

test('auto bucket: minutes for a fresh daemon, hours for days, days beyond', () => {
  const now = 1_000_000_000_000;
  assert.equal(autoBucketMs(null, now), BUCKETS.minute);
  assert.equal(autoBucketMs(now - 2 * BUCKETS.hour, now), BUCKETS.minute);
  assert.equal(autoBucketMs(now - 2 * BUCKETS.day, now), BUCKETS.hour);
  assert.equal(autoBucketMs(now - 30 * BUCKETS.day, now), BUCKETS.day);
});

test('fillBuckets inserts empty buckets up to now and caps the count', () => {
  const b = 60_000;
  const t0 = 100 * b;
  const filled = fillBuckets(
    [
      { start: t0, n: 1 },
      { start: t0 + 3 * b, n: 2 },
    ],
    b,
    t0 + 5 * b + 10,
    (start) => ({ start, n: 0 }),
  );
  assert.deepEqual(
    filled.map((x) => x.n),
    [1, 0, 0, 2, 0, 0],
  );
  const long = fillBuckets([{ start: 0, n: 1 }], b, 10_000 * b, (start) => ({ start, n: 0 }));
  assert.equal(long.length, MAX_BUCKETS + 1);
  assert.deepEqual(
    fillBuckets([], b, t0, (start) => ({ start, n: 0 })),
    [],
  );
});

test('page template: placeholders filled and escaped, CSP allows only the nonce script and own origin', () => {
  const template =
    '<meta content="{{CSP}}"><html data-host="{{HOST}}"><script nonce="{{NONCE}}" src="{{BASE}}/main.js{{QUERY}}">';
  const csp = dashboardCsp({ nonce: 'abc', assetSource: "'self'", connectSource: "'self'" });
  const html = renderDashboardPage(template, {
    csp,
    nonce: 'abc',
    base: '/dashboard',
    host: 'browser',
    query: '?token=a"b',
  });
  assert.match(html, /nonce="abc"/);
  assert.match(html, /src="\/dashboard\/main\.js\?token=a&quot;b"/);
  assert.match(html, /data-host="browser"/);
  assert.ok(!html.includes('{{'), html);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc'(;|$)/);
  assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp), csp);
});
