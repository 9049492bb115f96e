import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createEmbedder } from '../../../daemon/embeddings/index';
import { writeTinyModel } from './tiny-onnx';

// The backend is an optional peer dependency (it pulls onnxruntime): not installed by default.
const SKIP_WITHOUT_PACKAGE = installed('@huggingface/transformers')
  ? false
  : '@huggingface/transformers is not installed (optional peer; opt in with `npm install @huggingface/transformers`)';

function installed(name: string): boolean {
  try {
    createRequire(__filename).resolve(name);
    return true;
  } catch {
    return false;
  }
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

void test(
  'transformers.js backend embeds offline from a local model folder',
  { skip: SKIP_WITHOUT_PACKAGE },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-tfjs-'));
    const folder = writeTinyModel(dir);
    const embedder = createEmbedder({ backend: 'transformers', model: folder }, { cacheDir: path.join(dir, 'cache') });
    assert.equal(embedder.id, 'tfjs:tiny-embedder');
    await embedder.load();
    assert.equal(embedder.dimensions, 8);
    const [a, b, c] = await embedder.embed([
      'write python code to reverse a linked list',
      'sort a list in python',
      'will it rain in paris tomorrow',
    ]);
    for (const v of [a!, b!, c!]) {
      assert.equal(v.length, 8);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
    }
    assert.ok(dot(a!, b!) > 0.9, `similar ${dot(a!, b!)}`);
    assert.ok(dot(a!, c!) < 0.5, `unrelated ${dot(a!, c!)}`);
  },
);

void test('the transformers backend needs a model', () => {
  assert.throws(() => createEmbedder({ backend: 'transformers' }, { cacheDir: os.tmpdir() }), /model is required/);
});
