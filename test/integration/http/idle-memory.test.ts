// The daemon's idle collection, through its doors: a real daemon collects once it goes quiet after
// start-up and after requests, answers chat requests before and after, and stops collecting when
// it closes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IdleCollection } from '../../../daemon/app/idle-memory';
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function chat(d: TestDaemon, content: string): Promise<string> {
  const res = await fetch(`${d.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'model-a', messages: [{ role: 'user', content }] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0]!.message.content;
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

describe('daemon idle memory', () => {
  test('collects when quiet after start-up and after requests, answers before and after, stops on close', async () => {
    const collections: IdleCollection[] = [];
    const d = await startTestDaemon({
      rpc: false,
      // Quicker than a daemon's defaults, and tolerant of a busy machine's scheduling.
      idleMemory: {
        checkMs: 200,
        quietChecks: 2,
        settleMs: 300,
        quietUtilization: 0.05,
        minWorkMs: 1,
        onCollected: (r) => collections.push(r),
      },
    });
    let closed = false;
    try {
      await until(() => collections.length >= 1, 'a collection once start-up is done');
      const first = collections[0]!;
      assert.ok(first.rssAfterMb > 0 && first.durationMs >= 0);
      assert.equal(typeof (await chat(d, 'hello after the first collection')), 'string');
      for (let i = 0; i < 20; i++) await chat(d, `request ${i}`);
      const before = collections.length;
      await until(() => collections.length > before, 'a collection once the requests are over');
      assert.equal(typeof (await chat(d, 'hello after the second collection')), 'string');
      await d.close();
      closed = true;
      const atClose = collections.length;
      await sleep(1000);
      assert.equal(collections.length, atClose, 'no collection after close');
    } finally {
      if (!closed) await d.close();
    }
  });
});
