// When `fugusashi serve` runs the daemon in a child with MALLOC_ARENA_MAX=2: only where glibc reads
// it (Linux), only when the user has not chosen a limit, and never under a debugger. The process
// behaviour (environ, signals, exit codes) is in test/integration/cli/malloc-arenas.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shouldBoundArenas } from '../../../daemon/app/malloc-arenas';

const unset: NodeJS.ProcessEnv = { PATH: '/usr/bin' };

describe('shouldBoundArenas', () => {
  it('on Linux with glibc and the variable unset: yes', { skip: process.platform !== 'linux' }, () => {
    assert.equal(shouldBoundArenas(unset, 'linux', []), true);
  });

  it('keeps a limit the user chose, by variable or glibc tunable', () => {
    assert.equal(shouldBoundArenas({ ...unset, MALLOC_ARENA_MAX: '8' }, 'linux', []), false);
    assert.equal(shouldBoundArenas({ ...unset, GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, 'linux', []), false);
  });

  it('stays out of the way on macOS and Windows, and under --inspect', () => {
    assert.equal(shouldBoundArenas(unset, 'darwin', []), false);
    assert.equal(shouldBoundArenas(unset, 'win32', []), false);
    assert.equal(shouldBoundArenas(unset, 'linux', ['--inspect-brk=9229']), false);
  });
});
