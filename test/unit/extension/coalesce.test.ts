// Settings changes as the Settings editor makes them (one write per keystroke): the daemon restart
// they need runs once per burst, and never overlaps another restart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { coalesce } from '../../../extension/daemon/coalesce';

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), 'condition not reached within 5 s');
}

describe('coalesced settings changes', () => {
  it('runs once after a burst of changes, with the last value', async () => {
    let value = '';
    const seen: string[] = [];
    const trigger = coalesce(
      async () => {
        seen.push(value);
      },
      50,
      () => undefined,
    );
    for (const typed of ['0', '0.', '0.2', '0.25']) {
      value = typed;
      trigger();
    }
    await until(() => seen.length > 0);
    await sleep(100);
    assert.deepEqual(seen, ['0.25']);
  });

  it('never runs twice at once: changes during a run get one more run after it', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const trigger = coalesce(
      async () => {
        active += 1;
        most = Math.max(most, active);
        runs += 1;
        await new Promise<void>((r) => (release = r));
        active -= 1;
      },
      5,
      () => undefined,
    );
    trigger();
    await until(() => active === 1); // the first run (a restart) is under way
    trigger();
    await sleep(30);
    trigger();
    await sleep(30);
    assert.equal(runs, 1, 'the changes wait for the run under way');
    release();
    await until(() => runs === 2);
    release();
    await until(() => active === 0);
    await sleep(50);
    assert.equal(most, 1);
    assert.equal(runs, 2);
  });

  it('a failed run is reported and does not stop later ones', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const trigger = coalesce(
      async () => {
        runs += 1;
        if (runs === 1) throw new Error('restart failed');
      },
      5,
      (err) => errors.push(err),
    );
    trigger();
    await until(() => errors.length === 1);
    trigger();
    await until(() => runs === 2);
    assert.equal(errors.length, 1);
  });
});
