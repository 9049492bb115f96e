// Window B again, after "Developer: Reload Window" (windowB.test.ts ran it with the dashboard open): the reloaded window rejoins the daemon it left (which kept running) and VS Code restores
// the dashboard panel, whose page is live again through the extension's serializer.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { HealthRequest } from '../../../shared/protocol';
import type { FugusashiApi } from '../../../extension/main';
import { driverStep, recall, waitFor } from './driver';

describe('Fugusashi in a real VS Code: window B after a reload', () => {
  it('rejoins the daemon it left and restores the open dashboard, live', async () => {
    const before = recall<{ pid: number }>('dashboardReload');
    assert.ok(before, 'windowB.test.ts recorded the daemon before the reload');
    const ext = vscode.extensions.getExtension<FugusashiApi>('fugusashi.fugusashi');
    assert.ok(ext);
    // VS Code restores the panel (onWebviewPanel activation) before anything else uses the extension.
    const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    const tab = await waitFor('the restored dashboard tab', () =>
      tabs().find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('fugusashi.dashboard')),
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; tabs after the reload: ${
          tabs()
            .map((t) => t.label)
            .join(', ') || 'none'
        }`,
      );
    });
    assert.equal(tab.label, 'Fugusashi Dashboard');
    const api = await ext.activate();
    const health = await (await api.rpc(60_000)).sendRequest(HealthRequest, undefined);
    assert.equal(health.pid, before.pid, 'the same daemon');
    assert.equal(api.daemon().startedHere, false, 'joined, not started');
    // The page as a person sees it: "live", with the daemon's decisions in its table.
    await driverStep('dashboardLive');
  });
});
