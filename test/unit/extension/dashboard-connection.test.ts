// The dashboard panel's connection badge: what the extension tells the page about the daemon
// connection (extension/dashboard-bridge.ts reportConnection), with the page's own state machine
// (webview/vscode-transport.ts) on the receiving end.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vscode from 'vscode';
import { reportConnection } from '../../../extension/dashboard-bridge';
import type { WebviewConnection } from '../../../shared/webview';

function daemon(connected: boolean) {
  const up = new vscode.EventEmitter<void>();
  const down = new vscode.EventEmitter<void>();
  const state = { connected };
  return {
    state,
    source: { isConnected: () => state.connected, onDidConnect: up.event, onDidDisconnect: down.event },
    connect() {
      state.connected = true;
      up.fire();
    },
    disconnect() {
      state.connected = false;
      down.fire();
    },
  };
}

/** The badge as the page shows it: "live" from the start (VsCodeTransport.subscribe), then each message. */
function page() {
  let badge: 'live' | 'offline' = 'live';
  return {
    post: (m: WebviewConnection) => (badge = m.connected ? 'live' : 'offline'),
    badge: () => badge,
  };
}

describe('dashboard connection badge', () => {
  it('an opened panel shows "offline" while the daemon is down, and "live" once it is back', () => {
    const d = daemon(false);
    const p = page();
    const report = reportConnection(d.source, p.post);
    report.ready();
    assert.equal(p.badge(), 'offline');
    d.connect();
    assert.equal(p.badge(), 'live');
    report.dispose();
  });

  it('a daemon lost while the panel is open turns the badge "offline"', () => {
    const d = daemon(true);
    const p = page();
    const report = reportConnection(d.source, p.post);
    report.ready();
    assert.equal(p.badge(), 'live');
    d.disconnect();
    assert.equal(p.badge(), 'offline');
    d.connect();
    assert.equal(p.badge(), 'live');
    report.dispose();
    d.disconnect();
    assert.equal(p.badge(), 'live', 'a closed panel is told nothing');
  });
});
