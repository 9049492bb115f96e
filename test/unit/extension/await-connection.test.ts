// A feature waiting for the daemon (Ctx.rpc()) while it starts: the connection when it comes, the
// reason at once when the start fails, a timeout when nothing happens.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vscode from 'vscode';
import { awaitConnection } from '../../../extension/daemon/awaitConnection';

function events() {
  const connect = new vscode.EventEmitter<string>();
  const fail = new vscode.EventEmitter<string>();
  return { connect, fail, source: { onDidConnect: connect.event, onDidFail: fail.event } };
}

describe('waiting for the daemon connection', () => {
  it('resolves with the connection once it is up', async () => {
    const e = events();
    const waiting = awaitConnection(e.source, 10_000);
    e.connect.fire('rpc');
    assert.equal(await waiting, 'rpc');
  });

  it('rejects at once with the reason when the start fails, instead of after the timeout', async () => {
    const e = events();
    const t0 = Date.now();
    const waiting = awaitConnection(e.source, 30_000);
    setTimeout(() => e.fail.fire('daemon exited during start (code 1): Port 6060 is already in use'), 10);
    await assert.rejects(waiting, /not running \(daemon exited during start \(code 1\): Port 6060 is already in use\)/);
    assert.ok(Date.now() - t0 < 10_000);
    e.connect.fire('late');
  });

  it('rejects after the timeout when nothing happens', async () => {
    await assert.rejects(awaitConnection(events().source, 50), /did not answer within 0\.05 s/);
  });
});
