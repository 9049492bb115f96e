// Window B: a second browser page on the same code-server, opened after window A was closed. It
// must join the daemon window A started (same pid), which outlived the window that started it.
// Then: a crash (restart), and a settings change (restart with the new setting).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { HealthRequest } from '../../../shared/protocol';
import type { FugusashiApi } from '../../../extension/main';
import { e2eDir, recall, record, waitFor } from './driver';

describe('Fugusashi in a real VS Code: window B', () => {
  let api: FugusashiApi;

  it('joins the running daemon instead of starting another', async () => {
    const ext = vscode.extensions.getExtension<FugusashiApi>('fugusashi.fugusashi');
    assert.ok(ext);
    api = await ext.activate();
    const rpc = await api.rpc(60_000);
    const facts = api.daemon();
    const first = recall<{ pid: number }>('daemon');
    const health = await rpc.sendRequest(HealthRequest, undefined);
    record('join', {
      pid: health.pid,
      startedHere: facts.startedHere,
      connectMs: facts.connectMs,
      readyMs: facts.readyMs,
    });
    assert.equal(facts.startedHere, false, 'window B joined');
    if (first) assert.equal(health.pid, first.pid, 'same daemon as window A');
  });

  it('answers through the shared daemon', async () => {
    const [auto] = await vscode.lm.selectChatModels({ vendor: 'fugusashi', id: 'auto' });
    assert.ok(auto);
    const response = await auto.sendRequest(
      [vscode.LanguageModelChatMessage.User('hello from window B')],
      {},
      new vscode.CancellationTokenSource().token,
    );
    let text = '';
    for await (const piece of response.text) text += piece;
    assert.match(text, /to: hello from window B/);
  });

  it('detects a crashed daemon, restarts it (bounded) and shows it in the status', async () => {
    const before = api.daemon();
    const oldPid = before.info!.pid;
    process.kill(oldPid, 'SIGKILL'); // a crash: no clean shutdown, daemon.json left behind
    const after = await waitFor(
      'a new daemon',
      () => {
        const d = api.daemon();
        return d.view.phase === 'running' && d.info && d.info.pid !== oldPid ? d : undefined;
      },
      60_000,
    );
    assert.equal(after.startedHere, true, 'this window started the replacement');
    assert.ok((after.view.restarts ?? 0) >= 1, 'the status counted the restart');
    const [auto] = await vscode.lm.selectChatModels({ vendor: 'fugusashi', id: 'auto' });
    const response = await auto!.sendRequest(
      [vscode.LanguageModelChatMessage.User('after the crash')],
      {},
      new vscode.CancellationTokenSource().token,
    );
    let text = '';
    for await (const piece of response.text) text += piece;
    assert.match(text, /to: after the crash/);
    record('restart', { oldPid, newPid: after.info!.pid, readyMs: after.readyMs });
  });

  it('applies a changed setting: the daemon this window started is restarted with it', async () => {
    const config = () => vscode.workspace.getConfiguration('fugusashi');
    const restartedWith = async (change: () => Thenable<void>) => {
      const oldPid = api.daemon().info!.pid;
      await change();
      const d = await waitFor(
        'a daemon started with the new settings',
        () => {
          const now = api.daemon();
          return now.view.phase === 'running' && now.info && now.info.pid !== oldPid ? now : undefined;
        },
        60_000,
      );
      return readFileSync(`/proc/${d.info!.pid}/cmdline`, 'utf8').split('\0');
    };
    const argv = await restartedWith(() => config().update('costWeight', 0.25, vscode.ConfigurationTarget.Global));
    assert.equal(argv[argv.indexOf('--cost-weight') + 1], '0.25', argv.join(' '));
    const [auto] = await vscode.lm.selectChatModels({ vendor: 'fugusashi', id: 'auto' });
    const response = await auto!.sendRequest(
      [vscode.LanguageModelChatMessage.User('after the settings change')],
      {},
      new vscode.CancellationTokenSource().token,
    );
    let text = '';
    for await (const piece of response.text) text += piece;
    assert.match(text, /to: after the settings change/);
    const restored = await restartedWith(() =>
      config().update('costWeight', undefined, vscode.ConfigurationTarget.Global),
    );
    assert.ok(!restored.includes('--cost-weight'), restored.join(' '));
  });
  it('keeps the dashboard open across a window reload (windowB-reloaded.test.ts checks it)', async function () {
    if (!e2eDir) return this.skip(); // the reloaded window's check needs the code-server runner
    await vscode.commands.executeCommand('fugusashi.openDashboard');
    await waitFor('the dashboard tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('fugusashi.dashboard')),
    );
    const b = await vscode.extensions.getExtension<FugusashiApi>('fugusashi.fugusashi')!.activate();
    await b.rpc(60_000);
    record('dashboardReload', { pid: b.daemon().info!.pid });
    // Developer: Reload Window. This test never ends here: the reloaded window runs the same module,
    // which then runs windowB-reloaded.test.ts.
    await vscode.commands.executeCommand('workbench.action.reloadWindow');
    await new Promise(() => undefined);
  });
});
