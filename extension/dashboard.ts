// The dashboard in a VS Code webview panel. The page is the same bundle the daemon serves at
// /dashboard (dist/webview/); here it talks postMessage to this file, which turns each request into
// the matching JSON-RPC call and forwards `fugusashi/live` notifications. One panel per window.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { NotificationType } from 'vscode-jsonrpc';
import { LiveEventNotification } from '../shared/protocol';
import { dashboardCsp, renderDashboardPage, type FromWebview, type ToWebview } from '../shared/webview';
import { answerWebviewRequest, reportConnection, type DashboardRpc } from './dashboard-bridge';

export type { DashboardRpc } from './dashboard-bridge';

/** What the panel needs from the extension; the extension's Ctx fits as it is. */
export interface DashboardDaemon {
  /** The connection once the daemon answers (rejects when it is down). */
  rpc(timeoutMs?: number): Promise<DashboardRpc>;
  /** Listens to a daemon → client notification across reconnects (fan-out: several listeners allowed). */
  listen<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable;
  /** Fires on every (re)connection, so the page reloads what it may have missed. */
  readonly onDidConnect: vscode.Event<unknown>;
  /** Fires when the connection is lost, so the page shows "offline". */
  readonly onDidDisconnect: vscode.Event<unknown>;
  isConnected(): boolean;
}

export const DASHBOARD_VIEW_TYPE = 'fugusashi.dashboard';

let current: DashboardPanel | undefined;

/**
 * Opens the dashboard, or reveals it when it is already open. Register it as the command
 * "fugusashi.openDashboard": `() => openDashboard(ctx.extension, ctx)`.
 */
export function openDashboard(context: vscode.ExtensionContext, daemon: DashboardDaemon): vscode.WebviewPanel {
  if (current) {
    current.panel.reveal();
    return current.panel;
  }
  const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Fugusashi Dashboard', vscode.ViewColumn.Active, {
    ...webviewOptions(context),
    // Keeps the page (and its live table) when the tab is hidden instead of reloading it.
    retainContextWhenHidden: true,
  });
  return adopt(panel, context, daemon);
}

/**
 * Restores a dashboard that was open when the window reloaded: VS Code hands back the empty panel
 * (its tab, column and panel options) and the serializer gives it the page and the bridge to the
 * daemon again, exactly as `openDashboard` does for a new one. Register it during activation (the
 * `onWebviewPanel:fugusashi.dashboard` activation event makes sure that happens before the restore).
 */
export function registerDashboardSerializer(
  context: vscode.ExtensionContext,
  daemon: DashboardDaemon,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
    deserializeWebviewPanel: (panel) => {
      // One panel per window: a dashboard opened before the restore keeps its place; the restored one goes.
      if (current) panel.dispose();
      else adopt(panel, context, daemon);
      return Promise.resolve();
    },
  });
}

/** Webview options of a new and of a restored panel (the restored one may carry stale ones). */
function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewOptions {
  return {
    enableScripts: true,
    // Only the bundle folder; nothing else from the extension or the workspace is reachable.
    localResourceRoots: [bundleRoot(context)],
  };
}

function bundleRoot(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
}

/** Makes `panel` the window's dashboard: page, daemon bridge, and forgetting it when it closes. */
function adopt(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, daemon: DashboardDaemon) {
  panel.webview.options = webviewOptions(context);
  const adopted = new DashboardPanel(panel, bundleRoot(context), daemon);
  current = adopted;
  panel.onDidDispose(() => {
    if (current === adopted) current = undefined;
  });
  return panel;
}

class DashboardPanel {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly connection: ReturnType<typeof reportConnection>;

  constructor(
    readonly panel: vscode.WebviewPanel,
    root: vscode.Uri,
    private readonly daemon: DashboardDaemon,
  ) {
    this.panel.webview.html = this.html(root);
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((msg: FromWebview) => void this.receive(msg)),
      daemon.listen(LiveEventNotification, (event) => this.post({ type: 'live', event })),
    );
    this.connection = reportConnection(daemon, (message) => this.post(message));
    this.panel.onDidDispose(() => {
      this.connection.dispose();
      for (const d of this.disposables) d.dispose();
    });
  }

  private html(root: vscode.Uri): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const template = readFileSync(vscode.Uri.joinPath(root, 'index.html').fsPath, 'utf8');
    return renderDashboardPage(template, {
      csp: dashboardCsp({ nonce, assetSource: webview.cspSource, connectSource: "'none'" }),
      nonce,
      base: webview.asWebviewUri(root).toString(),
      host: 'vscode',
    });
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private async receive(msg: FromWebview): Promise<void> {
    if (msg.type === 'ready') this.connection.ready();
    if (msg.type !== 'request') return;
    this.post(await answerWebviewRequest(msg, () => this.daemon.rpc(10_000)));
  }
}
