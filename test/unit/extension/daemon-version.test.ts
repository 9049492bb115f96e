// A window of a newer extension joining a daemon an older extension started: the user is told once
// per daemon, with "Restart Daemon" (which then runs). `vscode` is the test stub.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import type { DaemonFile } from '../../../shared/daemon';
import { compareVersions, DaemonVersionCheck } from '../../../extension/daemon/version';
import { Commands } from '../../../extension/ids';

const stub = (vscode as unknown as { __stub: { [k: string]: any } }).__stub;

function daemon(pid: number, version: string): DaemonFile {
  return {
    pid,
    version,
    host: '127.0.0.1',
    port: 6060,
    started_at: 0,
    data_dir: '/d',
    config_path: null,
    rpc: { transport: 'unix', path: '/d/daemon.sock' },
    idle_shutdown_seconds: 300,
  };
}

beforeEach(() => stub.reset());

describe('daemon version check', () => {
  it('orders versions numerically, a pre-release before its release', () => {
    assert.equal(compareVersions('0.1.0', '0.2.0'), -1);
    assert.equal(compareVersions('0.10.0', '0.9.3'), 1);
    assert.equal(compareVersions('1.0.0', '1.0'), 0);
    assert.equal(compareVersions('1.0.0-beta.1', '1.0.0'), -1);
    assert.equal(compareVersions('v2.0.0', '1.9.9'), 1);
    // Pre-releases field by field, numbers as numbers (semver): beta.10 is after beta.9.
    assert.equal(compareVersions('1.0.0-beta.9', '1.0.0-beta.10'), -1);
    assert.equal(compareVersions('1.0.0-beta.10', '1.0.0-beta.9'), 1);
    assert.equal(compareVersions('1.0.0-beta', '1.0.0-beta.1'), -1);
    assert.equal(compareVersions('1.0.0-1', '1.0.0-alpha'), -1);
    assert.equal(compareVersions('1.0.0-rc-1', '1.0.0-rc-2'), -1);
    assert.equal(compareVersions('1.0.0+build.5', '1.0.0'), 0);
  });

  it('tells a newer window it joined an older daemon, once per daemon, and restarts it when asked', async () => {
    let restarts = 0;
    vscode.commands.registerCommand(Commands.restartDaemon, () => void restarts++);
    const logged: string[] = [];
    const check = new DaemonVersionCheck('0.2.0', (l) => logged.push(l));
    stub.messageAnswers.push('Restart Daemon');
    await check.joined(daemon(41, '0.1.0'), false);
    assert.equal(stub.messages.length, 1);
    assert.equal(stub.messages[0].level, 'warning');
    assert.match(stub.messages[0].text, /daemon \(pid 41\) is version 0\.1\.0, older than this extension \(0\.2\.0\)/);
    assert.deepEqual(stub.messages[0].items, ['Restart Daemon']);
    assert.equal(restarts, 1);
    assert.equal(logged.length, 1);
    // A reconnect to the same daemon: no second notice.
    await check.joined(daemon(41, '0.1.0'), false);
    assert.equal(stub.messages.length, 1);
  });

  it('says nothing for a daemon of the same or a newer version, or one this window started', async () => {
    const check = new DaemonVersionCheck('0.2.0', () => undefined);
    await check.joined(daemon(1, '0.2.0'), false);
    await check.joined(daemon(2, '0.3.0'), false);
    await check.joined(daemon(3, '0.1.0'), true);
    assert.deepEqual(stub.messages, []);
  });
});
