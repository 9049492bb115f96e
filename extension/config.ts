// Typed view of the `fugusashi.*` settings (rust-analyzer's config.ts habit: one private getter,
// typed fields, and the list of keys that need the daemon to restart).
// The defaults are the CLI's (shared/config.ts DEFAULTS): data dir ~/.fugusashi, its config.yaml,
// port 6060, so the daemon VS Code starts and `fugusashi serve` are the same daemon.
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_SECTION } from './ids';

/**
 * The CLI's defaults (shared/config.ts DEFAULTS), repeated here because importing that module would
 * bundle TypeBox into the extension (77 kB) for two constants; a unit test keeps them equal.
 */
export const CLI_DEFAULTS = { port: 6060, dataDirName: '.fugusashi' } as const;

export interface RawSettings {
  dataDir: string;
  configFile: string;
  port: number;
  costWeight: number | null;
  exploration: number | null;
  idleShutdownSeconds: number;
  maxRestarts: number;
}

export interface DaemonSettings {
  dataDir: string;
  /** Absolute path, or undefined to let the daemon use <dataDir>/config.yaml (or discovery). */
  configFile: string | undefined;
  port: number;
  costWeight: number | undefined;
  exploration: number | undefined;
  idleShutdownSeconds: number;
  maxRestarts: number;
}

/** Settings whose change only takes effect when the daemon is (re)started. */
export const RESTART_KEYS = ['dataDir', 'configFile', 'port', 'costWeight', 'exploration', 'idleShutdownSeconds'];

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

/** Pure: raw setting values → what the daemon launcher needs. `base` resolves relative paths. */
export function resolveSettings(raw: RawSettings, home: string, base: string | undefined): DaemonSettings {
  const abs = (p: string) => {
    const expanded = expandHome(p.trim(), home);
    return path.isAbsolute(expanded) ? expanded : path.resolve(base ?? home, expanded);
  };
  const dataDir = raw.dataDir.trim() ? abs(raw.dataDir) : path.join(home, CLI_DEFAULTS.dataDirName);
  return {
    dataDir,
    configFile: raw.configFile.trim() ? abs(raw.configFile) : undefined,
    port: Number.isInteger(raw.port) && raw.port >= 0 && raw.port <= 65535 ? raw.port : CLI_DEFAULTS.port,
    costWeight: raw.costWeight ?? undefined,
    exploration: raw.exploration ?? undefined,
    idleShutdownSeconds: Math.max(0, Math.floor(raw.idleShutdownSeconds)),
    maxRestarts: Math.max(0, Math.floor(raw.maxRestarts)),
  };
}

export function readSettings(): DaemonSettings {
  const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const get = <T>(key: keyof RawSettings, fallback: T): T => c.get<T>(key) ?? fallback;
  const raw: RawSettings = {
    dataDir: get('dataDir', ''),
    configFile: get('configFile', ''),
    port: get('port', CLI_DEFAULTS.port as number),
    costWeight: get<number | null>('costWeight', null),
    exploration: get<number | null>('exploration', null),
    idleShutdownSeconds: get('idleShutdownSeconds', 300),
    maxRestarts: get('maxRestarts', 5),
  };
  return resolveSettings(raw, os.homedir(), vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
}

/** Settings the daemon takes on its command line (daemonArgs): a running daemon keeps the ones it started with. */
const LAUNCH_KEYS = ['configFile', 'port', 'costWeight', 'exploration', 'idleShutdownSeconds'] as const;

/**
 * What a change of the daemon settings needs. A reconnect alone joins the daemon already running on
 * the data directory, which keeps its old command line; so:
 * - another data directory: reconnect (join or start that directory's daemon);
 * - another launch setting, and the daemon is this window's (it started it, or none is connected):
 *   restart it with the new settings (other windows sharing it reconnect on their own);
 * - another launch setting, and the daemon was started elsewhere (another window, `fugusashi serve`):
 *   ask before ending it;
 * - nothing that matters changed (e.g. a value set back): nothing.
 */
export function settingsChangeAction(
  before: DaemonSettings,
  after: DaemonSettings,
  daemon: { startedHere: boolean; connected: boolean },
): 'none' | 'reconnect' | 'restart' | 'ask' {
  if (before.dataDir !== after.dataDir) return 'reconnect';
  if (LAUNCH_KEYS.every((k) => before[k] === after[k])) return 'none';
  return daemon.startedHere || !daemon.connected ? 'restart' : 'ask';
}

export function affectsDaemon(e: vscode.ConfigurationChangeEvent): boolean {
  return RESTART_KEYS.some((k) => e.affectsConfiguration(`${CONFIG_SECTION}.${k}`));
}
