// Reconnecting after a lost daemon connection (extension/daemon/reconnect.ts): a failed join-or-start
// is retried under the restart policy instead of ending the recovery. Real processes: the fake
// daemon of discovery.test.ts, started to fail once (as a daemon that dies during its start).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinOrStart } from '../../../extension/daemon/discovery';
import { retryWhileAllowed } from '../../../extension/daemon/reconnect';
import { RestartPolicy } from '../../../extension/daemon/restartPolicy';
import { fakeDaemonFixture } from './fake-daemon-fixture';

const { spec, tempDir, started } = fakeDaemonFixture('fgr-');

describe('retryWhileAllowed (reconnecting after a lost connection)', () => {
  it('a failed restart attempt is retried, and the next one starts the daemon', async () => {
    const dataDir = tempDir();
    const policy = new RestartPolicy(5);
    const errors: string[] = [];
    let attempts = 0;
    const joined = await retryWhileAllowed(
      () => joinOrStart(spec(dataDir, attempts++ === 0 ? ['--fail'] : []), { timeoutMs: 10_000 }),
      { policy, backoffMs: 50, cancelled: () => false, onRetry: (err) => errors.push(String(err)) },
    );
    started.push(joined.info.pid);
    assert.equal(attempts, 2);
    assert.equal(joined.started, true);
    assert.match(errors[0] ?? '', /exited during start/);
    assert.equal(policy.used, 1, 'the retry counted against the restart policy');
    joined.socket.destroy();
  });

  it('stops when the restart policy is used up, with the last error', async () => {
    const dataDir = tempDir();
    let attempts = 0;
    await assert.rejects(
      retryWhileAllowed(
        () => {
          attempts++;
          return joinOrStart(spec(dataDir, ['--fail']), { timeoutMs: 10_000 });
        },
        { policy: new RestartPolicy(2), backoffMs: 10, cancelled: () => false },
      ),
      /exited during start \(code 1/,
    );
    assert.equal(attempts, 3, 'the first attempt and two retries');
  });

  it('stops once cancelled (the window stopped or replaced its client)', async () => {
    let cancelled = false;
    let attempts = 0;
    await assert.rejects(
      retryWhileAllowed(
        () => {
          attempts++;
          cancelled = true; // stopped while this attempt ran
          return Promise.reject(new Error('no daemon answered'));
        },
        { policy: new RestartPolicy(5), backoffMs: 10, cancelled: () => cancelled },
      ),
      /no daemon answered/,
    );
    assert.equal(attempts, 1);
  });
});
