// The pure pieces behind the fault handling, checked on their own: the circuit breaker's states,
// credential redaction, the JSON depth scan, Retry-After parsing, the cross-site rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets } from '../../../daemon/config/redact';
import { CooldownTracker } from '../../../daemon/core/cooldown';
import { crossSiteRefusal } from '../../../daemon/http/guard';
import { jsonTooDeep, valueTooDeep } from '../../../shared/json-depth';
import { retryAfterSeconds } from '../../../daemon/providers/transport/errors';

test('breaker: closed → open after N failures → half-open admits one probe → closed on success / open on failure', () => {
  let now = 1_000_000;
  const cd = new CooldownTracker({ failures: 2, seconds: 10, now: () => now });
  cd.recordSuccess('m'); // proven: no in-flight cap
  cd.recordFailure('m');
  assert.deepEqual(cd.admit('m'), { admitted: true, probe: false });
  cd.release('m', false);
  cd.recordFailure('m');
  const refused = cd.admit('m');
  assert.equal(refused.admitted, false);
  assert.equal(!refused.admitted && refused.reason, 'cooling');
  assert.equal(!refused.admitted && refused.retryAfterSeconds, 10);
  now += 10_001;
  assert.deepEqual(cd.admit('m'), { admitted: true, probe: true });
  const second = cd.admit('m');
  assert.equal(!second.admitted && second.reason, 'probing', 'only one probe at a time');
  cd.recordFailure('m');
  cd.release('m', true);
  assert.equal(cd.isCoolingDown('m'), true, 'the failed probe opens the circuit again');
  now += 10_001;
  assert.deepEqual(cd.admit('m'), { admitted: true, probe: true });
  cd.recordSuccess('m');
  cd.release('m', true);
  assert.deepEqual(cd.admit('m'), { admitted: true, probe: false }, 'closed again');
});

test('breaker: a lost probe does not block the model for ever; Retry-After cools at once, capped', () => {
  let now = 0;
  const cd = new CooldownTracker({ failures: 1, seconds: 5, now: () => now });
  cd.recordFailure('m');
  now += 5_001;
  assert.equal(cd.admit('m').admitted, true); // a probe whose release never comes
  now += 5_001;
  assert.equal(cd.admit('m').admitted, true, 'after one more cooldown length another probe may go');
  cd.recordFailure('r', 42);
  assert.equal(cd.remainingSeconds('r'), 42);
  cd.recordFailure('huge', 10 ** 9);
  assert.equal(cd.remainingSeconds('huge'), 3600);
  const off = new CooldownTracker({ failures: 1, seconds: 0, now: () => now });
  off.recordFailure('m', 30);
  assert.equal(off.isCoolingDown('m'), false, 'cooldowns disabled: Retry-After too');
});

test('breaker: an unproven model takes 2 concurrent requests, a proven one any number', () => {
  const cd = new CooldownTracker({ failures: 3, seconds: 30, now: () => 0 });
  assert.equal(cd.admit('new').admitted, true);
  assert.equal(cd.admit('new').admitted, true);
  const third = cd.admit('new');
  assert.equal(!third.admitted && third.reason, 'busy');
  cd.release('new', false);
  assert.equal(cd.admit('new').admitted, true);
  cd.recordSuccess('new');
  for (let i = 0; i < 10; i++) assert.equal(cd.admit('new').admitted, true);
});

test('redaction: configured secrets, bearer tokens, api-key fields and sk- keys', () => {
  const key = 'live-0123456789abcdef';
  assert.equal(redactSecrets(`bad key ${key}!`, [key]), 'bad key [redacted]!');
  assert.equal(redactSecrets('Authorization: Bearer abc.def_ghi-123'), 'Authorization: [redacted]');
  assert.equal(redactSecrets('got Bearer abcdefgh12'), 'got Bearer [redacted]');
  assert.equal(redactSecrets('{"x-api-key":"k1234567"}'), '{"x-api-key":"[redacted]"}');
  assert.equal(redactSecrets('key sk-ant-api03-abcdefghijklmnop'), 'key [redacted]');
  assert.equal(redactSecrets('max_tokens: 4096 tokens left'), 'max_tokens: 4096 tokens left', 'no false positives');
});

test('JSON depth scan: brackets inside strings (escaped quotes too) do not count', () => {
  assert.equal(jsonTooDeep('['.repeat(129) + ']'.repeat(129)), true);
  assert.equal(jsonTooDeep('['.repeat(128) + ']'.repeat(128)), false);
  assert.equal(jsonTooDeep(JSON.stringify({ s: '['.repeat(10_000) })), false);
  assert.equal(jsonTooDeep(JSON.stringify({ s: 'a\\"[[[' + '{'.repeat(500) })), false);
  assert.equal(jsonTooDeep(`{"a":"\\\\"${'['.repeat(200)}`), true, 'an escaped backslash ends the string');
});

test('JSON depth of a parsed value (the RPC door): the same limit as the text scan', () => {
  const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  for (const n of [1, 128, 129, 20_000])
    assert.equal(valueTooDeep(JSON.parse(nested(n))), jsonTooDeep(nested(n)), `${n} deep`);
  assert.equal(valueTooDeep({ a: { b: JSON.parse(nested(127)) } }), true);
  assert.equal(valueTooDeep({ s: '['.repeat(1000), n: null, x: [1, 'a', {}] }), false);
});

test('Retry-After: seconds, HTTP date, retry-after-ms; garbage ignored', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterSeconds({ 'retry-after': '12' }, now), 12);
  assert.equal(retryAfterSeconds({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now), 30);
  assert.equal(retryAfterSeconds({ 'retry-after-ms': '1500' }, now), 1.5);
  assert.equal(retryAfterSeconds({ 'retry-after': 'soon' }, now), undefined);
  assert.equal(retryAfterSeconds({}, now), undefined);
});

test('cross-site rule: state-changing requests only', () => {
  const host = '127.0.0.1:6060';
  assert.equal(crossSiteRefusal('GET', { host, origin: 'https://evil.example' }, undefined), null);
  assert.notEqual(crossSiteRefusal('POST', { host, origin: 'https://evil.example' }, undefined), null);
  assert.equal(crossSiteRefusal('POST', { host, origin: 'http://127.0.0.1:6060' }, undefined), null);
  assert.notEqual(crossSiteRefusal('POST', { host, origin: 'http://127.0.0.1:7070' }, undefined), null, 'another port');
  assert.equal(crossSiteRefusal('POST', { host, origin: 'https://gw.example' }, ['gw.example']), null);
  assert.notEqual(
    crossSiteRefusal('POST', { host, origin: 'https://gw.example' }, ['*']),
    null,
    "allowed_hosts '*' accepts any Host header, not any page's Origin",
  );
  assert.notEqual(crossSiteRefusal('DELETE', { host, 'sec-fetch-site': 'same-site' }, undefined), null);
  assert.equal(crossSiteRefusal('POST', { host }, undefined), null, 'curl / SDKs');
});
