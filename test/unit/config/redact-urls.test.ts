// URLs the daemon shows (/health's store.url, the start log, `store copy`, the config on the
// dashboard) keep no credential: libpq takes a password as ?password= too, and it was shown as is
// on /health, which answers without a key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrlCredentials } from '../../../daemon/config/redact';
import { redactUrl } from '../../../daemon/store/postgres';

test('a database URL loses its password wherever libpq reads one', () => {
  assert.equal(redactUrl('postgres://fugu:S3cretPw@db:5432/fugu'), 'postgres://fugu:***@db:5432/fugu');
  const shown = redactUrl('postgres://fugu@db:5432/fugu?password=S3cretPw&sslmode=require');
  assert.doesNotMatch(shown, /S3cretPw/);
  assert.match(shown, /sslmode=require/);
  assert.match(shown, /password=/);
});

test("an upstream's api_base loses user-info and credential query parameters", () => {
  assert.equal(
    redactUrlCredentials('https://user:pw@proxy.example/v1?api-key=abc123&region=eu'),
    'https://[redacted]@proxy.example/v1?api-key=[redacted]&region=eu',
  );
  assert.equal(redactUrlCredentials('https://api.example/v1?key=AIzaSecret'), 'https://api.example/v1?key=[redacted]');
  assert.equal(redactUrlCredentials('http://localhost:11434'), 'http://localhost:11434');
});
