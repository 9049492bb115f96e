// `node --import tsx test/bench/store-write.ts`: CPU per `saveRequest` (process.cpuUsage over many
// calls), the store's part of every chat request. Two figures:
//   saveRequest   what the request path pays before the answer goes out (journal append and
//                 whatever else the call does before it returns)
//   + apply       the same plus the work the store does for each record after the call returns
//                 (applying it to sql.js), i.e. the store's whole CPU per request
// Records look like the gateway's (random ids, now timestamps, two messages, one attempt), into a
// store that already holds --preload records (the dashboard's scale), in bursts of 32 with a turn
// of the event loop between bursts. Options: --calls N
// (default 20000), --preload N (default 10000), --rounds N (default 3; the median is reported).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type SqlJsStore } from '../../daemon/store';
import { newRequestId } from '../../daemon/services/usage';
import { makeRequest } from '../fixtures/store/records';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    preload: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
  },
});
const calls = Number(values.calls);
const preload = Number(values.preload);
const rounds = Number(values.rounds);

const BURST = 32;

function record(i: number) {
  return makeRequest(i, { request_id: newRequestId(), created_at: Date.now() });
}

function cpuUs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Applies whatever the store deferred (if it defers anything) by asking it a question. */
function settle(store: SqlJsStore): void {
  store.countOutcomes();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fugu-store-write-'));
  const store = await openStore({ dataDir: dir, snapshotIntervalMs: 3_600_000 });
  try {
    for (let i = 0; i < preload; i++) store.saveRequest(record(i));
    settle(store);
    const onPath: number[] = [];
    const whole: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const records = Array.from({ length: calls }, (_, i) => record(preload + r * calls + i));
      // Like a daemon under load: BURST requests end together, then the event loop turns (the
      // store's deferred work and its once-a-second commit run there, as they would in the daemon).
      let requestPath = 0;
      const started = process.cpuUsage();
      for (let i = 0; i < calls; i += BURST) {
        const burst = process.cpuUsage();
        for (const rec of records.slice(i, i + BURST)) store.saveRequest(rec);
        requestPath += cpuUs(burst);
        await new Promise((resolve) => setImmediate(resolve));
      }
      settle(store);
      onPath.push(requestPath / calls);
      whole.push(cpuUs(started) / calls);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    console.log(
      `saveRequest: ${median(onPath).toFixed(1)} µs CPU per call on the request path (target ≤ 30); ` +
        `${median(whole).toFixed(1)} µs in all (with what the store does after the call returns) ` +
        `(${calls} calls × ${rounds} rounds into a store of ${preload}+ requests; Node ${process.version})`,
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
