// Status bar item: daemon health and the last routed model; a click opens the dashboard.
import * as vscode from 'vscode';
import type { DaemonStatus } from '../shared/protocol';
import { Commands } from './ids';

export interface DaemonView {
  phase: 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';
  health?: DaemonStatus['health'] | undefined;
  message?: string | undefined;
  /** The model this window's last request (chat participant, language model) was routed to. */
  lastModel?: string | undefined;
  port?: number | undefined;
  pid?: number | undefined;
  restarts?: number | undefined;
  models?: number | undefined;
}

/**
 * Pure: what a `fugusashi/status` notification changes in this window's view. The daemon sends it to
 * every connected window after any routed request (its `lastModel` may be another window's, or a
 * tool's over HTTP), so the last model is left alone: this window sets it from its own answers.
 */
export function daemonStatusPatch(status: DaemonStatus, current: DaemonView): Partial<DaemonView> {
  return {
    health: status.health,
    message: status.message,
    port: status.httpPort ?? current.port,
    models: status.models ?? current.models,
  };
}

/** Pure: what the item shows for a state (unit-tested). */
export function statusPresentation(v: DaemonView): {
  text: string;
  tooltip: string;
  level: 'ok' | 'warning' | 'error';
} {
  const model = v.lastModel ? ` ${v.lastModel}` : '';
  const where = [
    v.pid ? `pid ${v.pid}` : '',
    v.port ? `http://127.0.0.1:${v.port}` : '',
    v.models !== undefined ? `${v.models} models` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const detail = [v.message, where].filter(Boolean).join('\n');
  switch (v.phase) {
    case 'starting':
      return {
        text: '$(sync~spin) Fugusashi',
        tooltip: `Starting the Fugusashi daemon…${detail ? `\n${detail}` : ''}`,
        level: 'ok',
      };
    case 'restarting':
      return {
        text: '$(sync~spin) Fugusashi',
        tooltip: `Daemon stopped unexpectedly; restarting (${v.restarts ?? 0}).\n${detail}`,
        level: 'warning',
      };
    case 'stopped':
      return {
        text: '$(circle-slash) Fugusashi',
        tooltip: `Daemon not connected. Click for the dashboard, or run “Fugusashi: Restart Daemon”.\n${detail}`,
        level: 'warning',
      };
    case 'failed':
      return {
        text: '$(error) Fugusashi',
        tooltip: `Daemon failed: ${v.message ?? 'unknown error'}\nRun “Fugusashi: Restart Daemon” or see the Fugusashi output.`,
        level: 'error',
      };
    case 'running': {
      const level = v.health === 'error' ? 'error' : v.health === 'warning' ? 'warning' : 'ok';
      const icon = level === 'error' ? '$(error)' : level === 'warning' ? '$(warning)' : '$(pulse)';
      return {
        text: `${icon} Fugusashi${model}`,
        tooltip: `Fugusashi daemon ${v.health ?? 'ok'}${model ? `; this window's last request went to${model}` : ''}\n${detail}\nClick to open the dashboard.`,
        level,
      };
    }
  }
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('fugusashi.status', vscode.StatusBarAlignment.Right, 100);
  private view: DaemonView = { phase: 'starting' };

  constructor() {
    this.item.name = 'Fugusashi';
    this.item.command = Commands.statusClick;
    this.render();
    this.item.show();
  }

  update(patch: Partial<DaemonView>): void {
    this.view = { ...this.view, ...patch };
    this.render();
  }

  get current(): DaemonView {
    return this.view;
  }

  private render(): void {
    const p = statusPresentation(this.view);
    this.item.text = p.text;
    this.item.tooltip = p.tooltip;
    this.item.backgroundColor =
      p.level === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : p.level === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
