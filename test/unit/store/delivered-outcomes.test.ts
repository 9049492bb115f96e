// When the PostgreSQL store's worker may forget a delivered outcome (daemon/store/postgres/delivered.ts):
// only once neither a catch-up (its seq at or below a finished catch-up's floor) nor a notification
// (remembered before a marker the listener has heard, and not being fetched) can bring it again.
// The orders a real database rarely shows (a notification heard after a catch-up delivered its
// row, a fetch outliving a marker) are played here step by step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveredOutcomes } from '../../../daemon/store/postgres/delivered';

test('an id at or below the floor, remembered before the marker was sent, is forgotten when it is heard', () => {
  const d = new DeliveredOutcomes();
  d.remember(1, 10);
  d.remember(2, 50);
  d.remember(3, 51);
  const mark = d.nextMark();
  d.markHeard(mark, 50);
  assert.deepEqual([d.has(1), d.has(2), d.has(3), d.size], [false, false, true, 1]);
});

test('an id remembered after the marker was sent stays until a later marker: its notification may still come', () => {
  const d = new DeliveredOutcomes();
  const mark = d.nextMark();
  // Delivered by a catch-up that read it after the marker left: its notification may be behind it.
  d.remember(7, 5);
  d.markHeard(mark, 100);
  assert.equal(d.has(7), true);
  d.markHeard(d.nextMark(), 100);
  assert.equal(d.has(7), false);
});

test('an id whose notification is being fetched stays until the fetch settles', () => {
  const d = new DeliveredOutcomes();
  // The notification came first and its fetch is slow; a catch-up delivers the row meanwhile.
  d.fetchStarted([9]);
  d.remember(9, 3);
  d.markHeard(d.nextMark(), 100);
  assert.equal(d.has(9), true, 'the fetched row must still find it remembered');
  d.fetchSettled([9]);
  d.markHeard(d.nextMark(), 100);
  assert.equal(d.has(9), false);
});

test('two notifications naming one id: it stays until both fetches settle', () => {
  const d = new DeliveredOutcomes();
  d.fetchStarted([4]);
  d.fetchStarted([4]);
  d.remember(4, 1);
  d.fetchSettled([4]);
  d.markHeard(d.nextMark(), 100);
  assert.equal(d.has(4), true);
  d.fetchSettled([4]);
  d.markHeard(d.nextMark(), 100);
  assert.equal(d.has(4), false);
});

test('remembering an id again keeps when it was first remembered', () => {
  const d = new DeliveredOutcomes();
  d.remember(5, 2);
  const mark = d.nextMark();
  d.remember(5, 2);
  d.markHeard(mark, 10);
  assert.equal(d.has(5), false);
});
