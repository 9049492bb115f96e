// Disk full is never acknowledged as stored. The running daemon's real store gets its journal
// pointed at /dev/full (every write() fails with ENOSPC, as on a full disk); answers must say the
// record was not kept, /health must say degraded, and both recover once writes succeed again.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { DaemonHealth } from '../../../shared/api';
import { JournalWriter } from '../../../daemon/store/journal';
import { startTestDaemon } from '../../helpers/daemon';
import { chat } from './helpers';

test(
  'disk full: answers say record_kept false, /health is degraded, nothing is acknowledged as stored',
  {
    skip: existsSync('/dev/full') ? false : 'no /dev/full on this system',
  },
  async () => {
    const log: string[] = [];
    const d = await startTestDaemon({ rpc: false, log, config: { routing: { prefer_local: false } } });
    let cleanup = () => {};
    try {
      const store = (d.services.feedbackLoop as any).deps.store as { journal: JournalWriter };
      const health = async () => (await (await fetch(`${d.url}/health`)).json()) as DaemonHealth;
      assert.equal((await health()).status, 'ok');

      const working = store.journal;
      // Through a link of its own: a snapshot taken meanwhile seals this journal and deletes its file,
      // which (the tests run as root in CI) once deleted /dev/full itself.
      const linkDir = mkdtempSync(path.join(tmpdir(), 'fugu-full-'));
      cleanup = () => rmSync(linkDir, { recursive: true, force: true });
      const fullJournal = path.join(linkDir, 'journal-full.jsonl');
      symlinkSync('/dev/full', fullJournal);
      store.journal = new JournalWriter(fullJournal, false);
      const plain = await chat(d.url, { model: 'auto' });
      assert.equal(plain.status, 200, 'the answer itself is still given');
      assert.equal(plain.body.routing_decision.record_kept, false);
      assert.equal(JSON.parse(plain.headers.get('x-fugusashi-routing')!).record_kept, false);
      const trace = await fetch(`${d.url}/v1/trace/${plain.body.id}`);
      assert.equal(trace.status, 404, 'indeed not stored');

      const streamedReply = await chat(d.url, { model: 'auto', stream: true });
      assert.equal(streamedReply.status, 200);
      const last = streamedReply.body.at(-1);
      assert.equal(last.routing_decision?.record_kept, false, 'the stream ends with a not-kept notice');

      const degraded = await health();
      assert.equal(degraded.status, 'degraded');
      assert.equal(degraded.store?.writable, false);
      assert.match(degraded.store?.error ?? '', /ENOSPC|no space/i);
      assert.equal(degraded.store?.lost_writes, 2);
      assert.ok(log.some((l) => /could not save request/.test(l)));

      // Space again: the next write succeeds, the answer carries no notice, health recovers.
      store.journal = working;
      const after = await chat(d.url, { model: 'auto' });
      assert.equal(after.body.routing_decision.record_kept, undefined);
      assert.equal((await fetch(`${d.url}/v1/trace/${after.body.id}`)).status, 200);
      assert.equal((await health()).status, 'ok');
    } finally {
      await d.close();
      cleanup();
    }
  },
);
