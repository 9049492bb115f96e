// Where the config comes from and what it resolves to. Precedence: CLI flags over the file over
// DEFAULTS (shared/config.ts). ResolvedConfig has every default applied, so no other module
// re-applies defaults or reads the raw file shape.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULTS,
  type FugusashiConfig,
  type ModelConfig,
  type OrchestratorConfig,
  type StoreConfig,
  type TelemetryConfig,
  type StrategyName,
} from '../../shared/config';
import { unknownPriceWarning, withPrice } from '../core/prices/lookup';
import { keysFromEnvironment } from './env-keys';
import { basesFromEnvironment } from './env-base';
import { withKnownAbilities } from './known-models';
import { DEFAULT_CACHE_SETTINGS, type CacheSettings } from '../services/cache/response-cache';
import type { CascadeSettings } from '../services/cascade';
import { discoverModels } from './discovery';
import { ConfigError } from './errors';
import { parseConfigText } from './validate';

export interface ResolvedRouting {
  strategies: StrategyName[];
  preferLocal: boolean;
  costWeight: number;
  minConfidence: number;
  explorationRate: number;
  strongWinThreshold: number;
  cooldownFailures: number;
  cooldownSeconds: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  answerTimeoutMs: number;
  feedback: { enabled: boolean; retrainEvery: number; implicitSignals: boolean };
  embeddings: {
    backend: 'use' | 'transformers';
    model: string | undefined;
    waitMs: number | undefined;
    fastView: boolean;
  };
  /** gateway (issue 12): cascade settings (strategy "cascade" makes every "auto" request cascade). */
  cascade: CascadeSettings;
  /** gateway (issue 12): absolute paths of routing.plugins, and their default budget (ms). */
  plugins: string[];
  pluginBudgetMs: number | undefined;
}

export interface ResolvedServer {
  host: string;
  port: number;
  /** Absolute, `~` expanded. */
  dataDir: string;
  token: string | undefined;
  allowedHosts: string[];
  bodyLimitBytes: number;
  idleShutdownSeconds: number;
}

export interface ResolvedConfig {
  defaultModel: string | undefined;
  /** `${VAR}`s resolved; an api_key that resolved to "" is left out. Disabled models included. */
  models: ModelConfig[];
  routing: ResolvedRouting;
  server: ResolvedServer;
  orchestrator: OrchestratorConfig;
  /** Team mode (daemon/team): the store's URL and the telemetry exporter, as written in the file. */
  store?: StoreConfig;
  telemetry?: TelemetryConfig;
  /** gateway (issue 12): response cache settings with defaults applied. */
  cache: CacheSettings;
}

export interface ResolveOptions {
  /** --config FILE */
  configPath?: string | undefined;
  /** --data-dir DIR */
  dataDir?: string | undefined;
  /** --host H */
  host?: string | undefined;
  /** --port N */
  port?: number | undefined;
  /** --token T (or an env the caller maps) */
  token?: string | undefined;
  env: Record<string, string | undefined>;
  /** Ollama probed by discovery; default $OLLAMA_HOST or http://127.0.0.1:11434. */
  ollamaBase?: string | undefined;
  /** For `~` and the default data dir; default os.homedir(). */
  homeDir?: string | undefined;
}

export interface ResolvedResult {
  config: ResolvedConfig;
  source: 'file' | 'discovery';
  /** Absolute path of the config file, null after discovery. */
  path: string | null;
  /** Human-readable lines: where the config came from, warnings, what discovery found. */
  log: string[];
}

export const CONFIG_FILE_NAME = 'config.yaml';

export async function resolveConfig(options: ResolveOptions): Promise<ResolvedResult> {
  const home = options.homeDir ?? os.homedir();
  if (options.configPath !== undefined) {
    const file = path.resolve(expandHome(options.configPath, home));
    if (!existsSync(file)) throw new ConfigError(file, [`--config: file not found: ${file}`]);
    return loadConfigFile(file, options);
  }
  const dataDir = path.resolve(expandHome(options.dataDir ?? path.join(home, DEFAULTS.dataDirName), home));
  const inDataDir = path.join(dataDir, CONFIG_FILE_NAME);
  if (existsSync(inDataDir)) return loadConfigFile(inDataDir, options);

  const log = [`No config file (--config not given, ${inDataDir} does not exist): discovering models.`];
  // Fugusashi 0.3.0 read ./config.yaml by default; say why the one next to the user is not used.
  const inCwd = path.resolve(CONFIG_FILE_NAME);
  if (inCwd !== inDataDir && existsSync(inCwd))
    log.push(
      `${inCwd} is not read without --config (0.3.0 read it by default): run "fugusashi serve --config ${CONFIG_FILE_NAME}" or copy it to ${inDataDir}.`,
    );
  const found = await discoverModels({ env: options.env, ollamaBase: options.ollamaBase, configFile: inDataDir });
  log.push(...found.log);
  const config = applyDefaults({ models: found.models, default_model: found.defaultModel }, options, null);
  return { config, source: 'discovery', path: null, log };
}

/** Reads, validates and resolves one config file (used at start and by the watcher). */
export function loadConfigFile(file: string, options: ResolveOptions): ResolvedResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  const parsed = parseConfigText(text, options.env, file);
  const { warnings, missing } = parsed;
  const keyNotes: string[] = [];
  const withKeys = keysFromEnvironment(parsed.config, options.env, missing, keyNotes);
  const config = basesFromEnvironment(withKeys, options.env, keyNotes);
  const resolved = applyDefaults(config, options, path.dirname(file), missing);
  const enabled = resolved.models.filter((m) => m.enabled !== false).length;
  const log = [
    `Loaded config from ${file}: ${resolved.models.length} model(s)` +
      (enabled !== resolved.models.length ? ` (${enabled} enabled)` : '') +
      (resolved.defaultModel ? `, default ${resolved.defaultModel}` : ''),
    ...warnings.map((w) => `warning: ${w}`),
    ...keyNotes,
    ...resolved.models.flatMap((m) => (m.unavailable ? [`${m.name}: left out of auto, ${m.unavailable}`] : [])),
    // gateway (issue 12): a paid model with no price would make every cost figure silently wrong.
    ...resolved.models.flatMap((m) => {
      const w = unknownPriceWarning(m);
      return w ? [`warning: ${w}`] : [];
    }),
  ];
  return { config: resolved, source: 'file', path: file, log };
}

/** File values over DEFAULTS, CLI flags over both. `fileDir` anchors a relative data_dir. */
export function applyDefaults(
  file: FugusashiConfig,
  options: Omit<ResolveOptions, 'env'>,
  fileDir: string | null,
  missing: readonly { path: string; name: string }[] = [],
): ResolvedConfig {
  const home = options.homeDir ?? os.homedir();
  const r = file.routing ?? {};
  const s = file.server ?? {};
  const dataDir =
    options.dataDir !== undefined
      ? path.resolve(expandHome(options.dataDir, home))
      : s.data_dir
        ? path.resolve(fileDir ?? process.cwd(), expandHome(s.data_dir, home))
        : path.join(home, DEFAULTS.dataDirName);
  const models = file.models.map((m, i) => {
    // Prices from config, else the bundled table (daemon/core/prices).
    const copy: ModelConfig = withKnownAbilities(withPrice(m));
    // An unset ${KEY} leaves "", which must not be sent as a key.
    if (copy.api_key === '') delete copy.api_key;
    const reason = unsetReason(missing, i);
    if (reason) copy.unavailable = reason;
    return copy;
  });
  return {
    defaultModel: file.default_model,
    models,
    routing: {
      strategies: dedupe(r.strategies ?? DEFAULTS.strategies),
      preferLocal: r.prefer_local ?? true,
      costWeight: r.cost_weight ?? DEFAULTS.costWeight,
      minConfidence: r.min_confidence ?? DEFAULTS.minConfidence,
      explorationRate: r.exploration_rate ?? DEFAULTS.explorationRate,
      strongWinThreshold: r.strong_win_threshold ?? DEFAULTS.strongWinThreshold,
      cooldownFailures: r.cooldown_failures ?? DEFAULTS.cooldownFailures,
      cooldownSeconds: r.cooldown_seconds ?? DEFAULTS.cooldownSeconds,
      connectTimeoutMs: r.connect_timeout_ms ?? DEFAULTS.connectTimeoutMs,
      firstByteTimeoutMs: r.first_byte_timeout_ms ?? DEFAULTS.firstByteTimeoutMs,
      // A first_byte_timeout_ms set in the config holds for every answer, as it always did.
      answerTimeoutMs: r.answer_timeout_ms ?? r.first_byte_timeout_ms ?? DEFAULTS.answerTimeoutMs,
      feedback: {
        enabled: r.feedback?.enabled ?? true,
        retrainEvery: r.feedback?.retrain_every ?? DEFAULTS.retrainEvery,
        implicitSignals: r.feedback?.implicit_signals ?? true,
      },
      embeddings: {
        backend: r.embeddings?.backend ?? 'use',
        model: r.embeddings?.model,
        waitMs: r.embeddings?.wait_ms,
        fastView: r.embeddings?.fast_view ?? true,
      },
      cascade: {
        always: r.strategy === 'cascade',
        models: r.cascade?.models,
        maxSteps: r.cascade?.max_steps ?? 3,
        judge: r.cascade?.judge,
        checks: r.cascade?.checks ?? ['truncation', 'refusal', 'format'],
        maxCostUsd: r.cascade?.max_cost_usd,
      },
      plugins: (r.plugins ?? []).map((p) => path.resolve(fileDir ?? process.cwd(), expandHome(p, home))),
      pluginBudgetMs: r.plugin_budget_ms,
    },
    server: {
      host: options.host ?? s.host ?? DEFAULTS.host,
      port: options.port ?? s.port ?? DEFAULTS.port,
      dataDir,
      token: options.token ?? (s.token ? s.token : undefined),
      allowedHosts: s.allowed_hosts ?? [],
      bodyLimitBytes: s.body_limit_bytes ?? DEFAULTS.bodyLimitBytes,
      idleShutdownSeconds: s.idle_shutdown_seconds ?? DEFAULTS.idleShutdownSeconds,
    },
    orchestrator: { ...(file.orchestrator ?? {}) },
    store: { ...(file.store ?? {}) },
    telemetry: { ...(file.telemetry ?? {}) },
    cache: {
      exact: file.cache?.exact ?? DEFAULT_CACHE_SETTINGS.exact,
      semantic: file.cache?.semantic ?? DEFAULT_CACHE_SETTINGS.semantic,
      ttlS: file.cache?.ttl_s ?? DEFAULT_CACHE_SETTINGS.ttlS,
      maxEntries: file.cache?.max_entries ?? DEFAULT_CACHE_SETTINGS.maxEntries,
      anyTemperature: file.cache?.any_temperature ?? DEFAULT_CACHE_SETTINGS.anyTemperature,
      semanticThreshold: file.cache?.semantic_threshold ?? DEFAULT_CACHE_SETTINGS.semanticThreshold,
    },
  };
}

/**
 * Why model `index` cannot be called, when one of its fields referenced an unset variable: it is
 * left out of `auto` with this reason (a request to it would fail with 401 and never say why).
 */
function unsetReason(missing: readonly { path: string; name: string }[], index: number): string | undefined {
  const prefix = `models[${index}].`;
  const unset = missing.filter((m) => m.path.startsWith(prefix));
  if (unset.length === 0) return undefined;
  return unset.map((m) => `${m.name} is not set (${m.path.slice(prefix.length)}: \${${m.name}})`).join('; ');
}

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
