// A window of a newer extension that joins a daemon an older one started (another window not yet
// reloaded after the update, or the daemon simply kept running: it stays up while any window is
// connected) gets the old daemon's behaviour and none of the update's fixes, silently. Say so once
// per daemon, with the one action that helps.
import * as vscode from 'vscode';
import type { DaemonFile } from '../../shared/daemon';
import { Commands } from '../ids';

/**
 * Numeric `major.minor.patch` order (NaN parts as 0); a pre-release counts as before its release and
 * pre-releases compare as semver says: field by field, numbers numerically (beta.9 < beta.10), a
 * number before a word, fewer fields first. Build metadata (`+…`) is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const plain = v.trim().replace(/^v/, '').split('+')[0] ?? '';
    const dash = plain.indexOf('-');
    const core = dash < 0 ? plain : plain.slice(0, dash);
    return { parts: core.split('.').map((x) => Number(x) || 0), pre: dash < 0 ? undefined : plain.slice(dash + 1) };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return comparePreRelease(x.pre.split('.'), y.pre.split('.'));
}

function comparePreRelease(x: readonly string[], y: readonly string[]): number {
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    const [pn, qn] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (pn && qn) return Math.sign(Number(p) - Number(q));
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return Math.sign(x.length - y.length);
}

export class DaemonVersionCheck {
  /** Daemons (by pid) already reported: one notice per daemon, not one per reconnect. */
  private readonly reported = new Set<number>();

  constructor(
    private readonly extensionVersion: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Called with each daemon this window joined; resolves once the notice (if any) is answered. */
  async joined(info: DaemonFile, startedHere: boolean): Promise<void> {
    if (startedHere || this.reported.has(info.pid)) return;
    if (compareVersions(info.version ?? '0', this.extensionVersion) >= 0) return;
    this.reported.add(info.pid);
    const message = `the running daemon (pid ${info.pid}) is version ${info.version}, older than this extension (${this.extensionVersion}): it keeps the old behaviour until it restarts.`;
    this.log(message);
    const restart = 'Restart Daemon';
    const pick = await vscode.window.showWarningMessage(
      `Fugusashi: ${message} Restarting it briefly interrupts answers in progress in other windows.`,
      restart,
    );
    if (pick === restart) await vscode.commands.executeCommand(Commands.restartDaemon);
  }
}
