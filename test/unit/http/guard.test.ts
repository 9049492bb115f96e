import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostCheck } from '../../../daemon/http/guard';

test('the Host check keeps the last verdict only for the same header and the same allowed list', () => {
  const allowed = hostCheck();
  const lan = ['router.lan'];
  assert.equal(allowed('evil.example:6060', lan), false);
  assert.equal(allowed('evil.example:6060', lan), false, 'the same Host again');
  assert.equal(allowed('router.lan', lan), true);
  assert.equal(allowed('evil.example:6060', lan), false, 'a refused Host after an allowed one');
  assert.equal(allowed('router.lan', ['other.lan']), false, 'a reloaded list that drops it');
  assert.equal(allowed('evil.example:6060', ['evil.example']), true, 'a reloaded list that adds it');
  assert.equal(allowed(undefined, lan), false, 'no Host at all');
  assert.equal(allowed('127.0.0.1:6060', undefined), true);
});
