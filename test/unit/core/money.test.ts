import assert from 'node:assert/strict';
import { test } from 'node:test';
import { passesLimit } from '../../../daemon/core/money';

test('reaching a USD limit exactly does not pass it, however the amounts were summed', () => {
  assert.equal(0.1 + 0.2 > 0.3, true, 'the rounding this guards against');
  assert.equal(passesLimit(0.1 + 0.2, 0.3), false);
  assert.equal(passesLimit(0.3, 0.3), false);
  assert.equal(passesLimit(0, 0), false);
  // Anything really over the limit passes it, even by a millionth of a dollar.
  assert.equal(passesLimit(0.300001, 0.3), true);
  assert.equal(passesLimit(0.000001, 0), true);
});
