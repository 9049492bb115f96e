// The daemon's dashboard plugin over fastify's inject: the page gets a fresh nonce in both the CSP
// header and the script tag, only the bundle's own files are served, and the token is carried along.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import type { BenchmarkReport } from '../../../shared/api';
import { createDashboardPlugin } from '../../../daemon/http/dashboard';
import { loadLastBenchmark, saveLastBenchmark } from '../../../daemon/benchmark/last-report';

const assets = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-dashboard-'));
cpSync('webview/index.html', path.join(assets, 'index.html'));
writeFileSync(path.join(assets, 'main.js'), 'console.log("dashboard")');
writeFileSync(path.join(assets, 'style.css'), 'body{}');
writeFileSync(path.join(assets, 'secret.txt'), 'not for the web');
after(() => rmSync(assets, { recursive: true, force: true }));

let report: BenchmarkReport | null = null;
async function app() {
  const a = Fastify();
  await a.register(createDashboardPlugin({ assetsDir: assets, lastBenchmark: () => report }));
  return a;
}

test('GET /dashboard: HTML with a per-response nonce in the CSP header, the meta tag and the script', async () => {
  const a = await app();
  const [one, two] = [await a.inject('/dashboard'), await a.inject('/dashboard')];
  assert.equal(one.statusCode, 200);
  assert.match(String(one.headers['content-type']), /text\/html/);
  const csp = String(one.headers['content-security-policy']);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce, csp);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.ok(one.body.includes(`<script nonce="${nonce}" src="/dashboard/main.js">`), one.body);
  assert.ok(one.body.includes(`script-src 'nonce-${nonce}'`));
  assert.match(one.body, /data-host="browser"/);
  assert.notEqual(nonce, /'nonce-([^']+)'/.exec(String(two.headers['content-security-policy']))?.[1]);
  await a.close();
});

test('only the bundle files are served, with their content types', async () => {
  const a = await app();
  const js = await a.inject('/dashboard/main.js');
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.equal((await a.inject('/dashboard/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  for (const url of [
    '/dashboard/secret.txt',
    '/dashboard/index.html',
    '/dashboard/..%2Fsecret.txt',
    '/dashboard/uplot.css',
  ]) {
    const res = await a.inject(url);
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'not_found');
  }
  await a.close();
});

test('a token in the page URL is passed on to the asset URLs', async () => {
  const a = await app();
  const res = await a.inject('/dashboard?token=s3cret');
  assert.ok(res.body.includes('src="/dashboard/main.js?token=s3cret"'), res.body);
  assert.ok(res.body.includes('href="/dashboard/style.css?token=s3cret"'));
  await a.close();
});

test('GET /v1/benchmark/last: 204 before a run, the report after', async () => {
  const a = await app();
  assert.equal((await a.inject('/v1/benchmark/last')).statusCode, 204);
  report = { dataset: 'sample', mode: 'sample', rows: 10, models: ['a', 'b'], apgr: 0.7, duration_ms: 5 };
  const res = await a.inject('/v1/benchmark/last');
  assert.equal(res.statusCode, 200);
  assert.equal(res.json<BenchmarkReport>().apgr, 0.7);
  await a.close();
});

test('with a data dir, the last benchmark is the report saved there', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugusashi-data-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const a = Fastify();
  await a.register(createDashboardPlugin({ assetsDir: assets, dataDir }));
  assert.equal((await a.inject('/v1/benchmark/last')).statusCode, 204);
  saveLastBenchmark(dataDir, {
    dataset: 'mmlu',
    mode: 'folds',
    rows: 3,
    models: ['s', 'w'],
    apgr: 0.71,
    duration_ms: 9,
  });
  assert.equal(loadLastBenchmark(dataDir)?.apgr, 0.71);
  const res = await a.inject('/v1/benchmark/last');
  assert.equal(res.statusCode, 200);
  assert.equal(res.json<BenchmarkReport>().dataset, 'mmlu');
  await a.close();
});
