// The one command-line parser of the daemon and the CLI: node's own `util.parseArgs` (strict, so a
// typo is an error) plus a table of typed flags, so `fugusashi serve`, `node dist/daemon.js`,
// `fugusashi route` and `fugusashi export` read their flags the same way and say the same things
// about bad values. (`fugusashi benchmark` uses `util.parseArgs` directly.)
import { parseArgs } from 'node:util';

/** A flag whose value is checked and converted; `boolean` flags take no value. */
export type FlagKind =
  | { type: 'string' }
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max: number }
  | { type: 'number'; min: number; max: number };

export type FlagTable = Readonly<Record<string, FlagKind>>;

type ValueOf<K extends FlagKind> = K extends { type: 'boolean' }
  ? boolean
  : K extends { type: 'string' }
    ? string
    : number;

export type ParsedFlags<T extends FlagTable> = { -readonly [N in keyof T]?: ValueOf<T[N]> };

/** Bad usage: the CLI exits with code 2 on it. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Parses `argv` against `table` (keys are the flag names without `--`). Accepts `--name value` and
 * `--name=value`. Throws UsageError on an unknown flag, a missing value or a value out of range.
 */
export function parseFlags<T extends FlagTable>(
  argv: readonly string[],
  table: T,
  { positionals = false }: { positionals?: boolean } = {},
): { flags: ParsedFlags<T>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [name, kind] of Object.entries(table))
    options[name] = { type: kind.type === 'boolean' ? 'boolean' : 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals });
  } catch (err) {
    throw new UsageError(plainParseError(err));
  }
  const flags: Record<string, string | number | boolean> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    const kind = table[name]!;
    if (kind.type === 'boolean') flags[name] = raw === true;
    else flags[name] = convert(name, String(raw), kind);
  }
  return { flags: flags as ParsedFlags<T>, positionals: parsed.positionals };
}

function convert(name: string, raw: string, kind: Exclude<FlagKind, { type: 'boolean' }>): string | number {
  if (raw === '') throw new UsageError(`--${name} needs a value`);
  if (kind.type === 'string') return raw;
  const n = Number(raw);
  const ok = kind.type === 'integer' ? Number.isInteger(n) : Number.isFinite(n);
  if (!ok || n < kind.min || n > kind.max) {
    const what = kind.type === 'integer' ? 'an integer' : 'a number';
    throw new UsageError(`--${name} must be ${what} from ${kind.min} to ${kind.max}, got "${raw}"`);
  }
  return n;
}

/** util.parseArgs speaks of "Option '--x <value>' argument missing"; say it the way our help does. */
function plainParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const missing = /Option '(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return message.split('\n')[0] ?? message;
}

// ---- the daemon's flags: `fugusashi serve …` and `node dist/daemon.js …` (the extension spawns the latter)

export const DAEMON_FLAG_TABLE = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'integer', min: 0, max: 65535 },
  token: { type: 'string' },
  'idle-shutdown-seconds': { type: 'integer', min: 0, max: 7 * 24 * 3600 },
  'log-file': { type: 'string' },
  'cost-weight': { type: 'number', min: 0, max: Number.MAX_SAFE_INTEGER },
  'exploration-rate': { type: 'number', min: 0, max: 1 },
} as const satisfies FlagTable;

export interface DaemonFlags {
  configPath?: string;
  dataDir?: string;
  host?: string;
  port?: number;
  token?: string;
  idleShutdownSeconds?: number;
  logFile?: string;
  costWeight?: number;
  explorationRate?: number;
}

/** Flags shared by `fugusashi serve` and dist/daemon.js. Throws UsageError on unknown or malformed flags. */
export function parseDaemonFlags(argv: readonly string[]): DaemonFlags {
  const { flags: f } = parseFlags(argv, DAEMON_FLAG_TABLE);
  const out: DaemonFlags = {};
  if (f.config !== undefined) out.configPath = f.config;
  if (f['data-dir'] !== undefined) out.dataDir = f['data-dir'];
  if (f.host !== undefined) out.host = f.host;
  if (f.port !== undefined) out.port = f.port;
  if (f.token !== undefined) out.token = f.token;
  if (f['idle-shutdown-seconds'] !== undefined) out.idleShutdownSeconds = f['idle-shutdown-seconds'];
  if (f['log-file'] !== undefined) out.logFile = f['log-file'];
  if (f['cost-weight'] !== undefined) out.costWeight = f['cost-weight'];
  if (f['exploration-rate'] !== undefined) out.explorationRate = f['exploration-rate'];
  return out;
}
