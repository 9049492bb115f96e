import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { HexKeyTable } from '../../../daemon/embeddings/key-table';

void test('HexKeyTable maps 32-hex-character keys to numbers like a Map, through growth', () => {
  const table = new HexKeyTable();
  const reference = new Map<string, number>();
  const keys = Array.from({ length: 5000 }, () => randomBytes(16).toString('hex'));
  keys.forEach((k, i) => {
    table.set(k, i);
    reference.set(k, i);
  });
  // Overwrites keep one entry; the later value wins.
  keys.slice(0, 100).forEach((k, i) => {
    table.set(k, 10_000 + i);
    reference.set(k, 10_000 + i);
  });
  assert.equal(table.size, reference.size);
  for (const [k, v] of reference) assert.equal(table.get(k), v, k);
  assert.equal(table.get(keys[0]!.toUpperCase()), reference.get(keys[0]!), 'hex digits in either case');
  for (let i = 0; i < 200; i++) assert.equal(table.get(randomBytes(16).toString('hex')), undefined);
});

void test('HexKeyTable reads keys from raw bytes as their hex spelling', () => {
  const table = new HexKeyTable();
  const bytes = randomBytes(64);
  table.setBytes(bytes, 16, 7);
  assert.equal(table.get(bytes.toString('hex', 16, 32)), 7);
  assert.equal(table.has(bytes.toString('hex', 0, 16)), false);
});

void test('HexKeyTable refuses keys that are not 16 bytes of hex, and finds none', () => {
  const table = new HexKeyTable();
  assert.throws(() => table.set('k1', 1), /not a 32-hex-character key/);
  assert.throws(() => table.set('z'.repeat(32), 1), /not a 32-hex-character key/);
  assert.equal(table.get('k1'), undefined);
  assert.equal(table.get(''), undefined);
  assert.equal(table.size, 0);
});
