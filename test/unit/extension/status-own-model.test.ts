// Two windows on one daemon: after any routed request the daemon sends `fugusashi/status` (naming
// the model it went to) to every connected window. Each window's status bar must keep showing the
// model of its own last request, not the other window's. Each window here is a StatusBar (the real
// one, on the vscode stub's status item) fed over its own JSON-RPC connection the way Ctx feeds it.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { StatusNotification, type DaemonStatus } from '../../../shared/protocol';
import { daemonStatusPatch, StatusBar } from '../../../extension/statusBar';
import { rpcPair } from './helpers';

const stub = (vscode as unknown as { __stub: { [k: string]: any } }).__stub;

function openWindow() {
  const pair = rpcPair();
  const bar = new StatusBar();
  const item = stub.statusItems.at(-1) as { text: string; tooltip: string };
  const statuses: DaemonStatus[] = [];
  pair.rpc.onNotification(StatusNotification, (s) => {
    bar.update(daemonStatusPatch(s, bar.current));
    statuses.push(s);
  });
  bar.update({ phase: 'running', health: 'ok' });
  return { pair, bar, item, statuses };
}

describe('status bar: this window’s own last model', () => {
  const windows: ReturnType<typeof openWindow>[] = [];
  afterEach(() => windows.splice(0).forEach((w) => (w.bar.dispose(), w.pair.dispose())));

  it('a request of another window does not change the model this window shows', async () => {
    const a = openWindow();
    const b = openWindow();
    windows.push(a, b);
    // Window B asked first; its chat participant shows where its answer came from.
    b.bar.update({ lastModel: 'small-fast' });
    // Then window A's request is routed to big-smart: A shows it from its own answer, and the
    // daemon broadcasts its status (health, pool size, the model) to both windows.
    a.bar.update({ lastModel: 'big-smart' });
    const broadcast: DaemonStatus = {
      health: 'warning',
      message: 'one key missing',
      models: 3,
      lastModel: 'big-smart',
    };
    await Promise.all([a, b].map((w) => w.pair.daemon.sendNotification(StatusNotification, broadcast)));
    for (let i = 0; i < 100 && (a.statuses.length < 1 || b.statuses.length < 1); i++)
      await new Promise((r) => setTimeout(r, 5));

    assert.equal(b.item.text, '$(warning) Fugusashi small-fast');
    assert.match(b.item.tooltip, /this window's last request went to small-fast/);
    assert.match(b.item.tooltip, /3 models/, 'the rest of the status still applies to every window');
    assert.equal(a.item.text, '$(warning) Fugusashi big-smart');
  });

  it('a window that has not asked anything shows no model, whatever the others asked', async () => {
    const fresh = openWindow();
    windows.push(fresh);
    await fresh.pair.daemon.sendNotification(StatusNotification, { health: 'ok', lastModel: 'big-smart' });
    for (let i = 0; i < 100 && fresh.statuses.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(fresh.item.text, '$(pulse) Fugusashi');
  });
});
