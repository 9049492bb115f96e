// gateway (issue 12): `fugusashi models`: the pool with provider, price (and where the price comes
// from: config, the bundled table, local, unknown), capabilities, health and cooldown state.
// Health is live only from the running daemon's HTTP API; without one the config is listed.
import type { ModelListEntry } from '../shared/openai';
import { effectiveCapabilities } from './core/candidates';
import { PUBLIC_QUALITY } from './core/learned/public-quality';

export const MODELS_HELP = `Usage: fugusashi models [--config FILE] [--data-dir DIR] [--token T] [--json]

Lists the pool: provider, price per 1M tokens (input / cached input / output) and its source
(config, table = the bundled dated price table, local = runs here, unknown = counted as 0: set
cost_per_input_token / cost_per_output_token), capabilities, health and cooldown state, and, from a
running daemon with a learner, where the router's prior places each model before any rating
(public data; a quality figure from the bundled table or config; a guess from its price: set
quality: in config.yaml).
Asks the running daemon when there is one (live health); otherwise reads the config.`;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface ModelsCommandDeps {
  values: Record<string, string>;
  json: boolean;
  runningDaemon(dataDir: string): Promise<{ url: string; info: { pid: number } } | null>;
}

export async function modelsCommand(io: Io, deps: ModelsCommandDeps): Promise<number> {
  const { resolveConfig } = await import('./config');
  const resolved = await resolveConfig({
    configPath: deps.values['config'],
    dataDir: deps.values['data-dir'],
    env: process.env,
  });
  const daemon = deps.values['config'] ? null : await deps.runningDaemon(resolved.config.server.dataDir);
  let entries: ModelListEntry[];
  let where: string;
  if (daemon) {
    const token = deps.values['token'] ?? resolved.config.server.token;
    const res = await fetch(`${daemon.url}/v1/models`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!res.ok) throw new Error(`daemon answered ${res.status}: ${await res.text()}`);
    entries = ((await res.json()) as { data: ModelListEntry[] }).data.filter((e) => e.owned_by !== 'fugusashi');
    where = `the running daemon (pid ${daemon.info.pid})`;
  } else {
    entries = resolved.config.models
      .filter((m) => m.enabled !== false)
      .map((m) => {
        const e: ModelListEntry = {
          id: m.name,
          object: 'model',
          created: 0,
          owned_by: m.provider,
          provider: m.provider,
          // What the daemon routes on (as GET /v1/models lists it): the resolved config's abilities,
          // well-known models' tools/vision/context window included, not only the config's tags.
          capabilities: [...effectiveCapabilities(m)],
          cost_per_input_token: m.cost_per_input_token,
          cost_per_output_token: m.cost_per_output_token,
          price_source: m.price_source ?? 'config',
        };
        if (m.cost_per_cached_input_token !== undefined) e.cost_per_cached_input_token = m.cost_per_cached_input_token;
        if (m.price_ref) e.price_ref = m.price_ref;
        if (m.context_window !== undefined) e.context_window = m.context_window;
        if (m.description !== undefined) e.description = m.description;
        if (m.unavailable) e.unavailable = m.unavailable;
        return e;
      });
    where = `${resolved.path ? `config ${resolved.path}` : 'models discovered without a config file'}; no daemon running, so no live health`;
  }
  if (deps.json) {
    io.out(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  io.out(formatModels(entries, where));
  return 0;
}

/** Listed models to set a `quality:` figure against. */
const SCALE_ANCHORS = ['gpt-4o-mini', 'gpt-4.1', 'o3']
  .map((name) => `${name} ${PUBLIC_QUALITY[name]?.value ?? '?'}`)
  .join(', ');

/** The prior's placement in a few words: its basis and the figure used. */
function qualityFrom(e: ModelListEntry): string {
  const q = e.quality;
  if (!q) return '-';
  switch (q.basis) {
    case 'data':
      return 'public data';
    case 'quality':
      return `${q.from.includes('quality: in config.yaml') ? 'config' : 'table'} ${q.figure ?? ''}`.trim();
    case 'price':
      return `price guess ${q.figure ?? ''}`.trim();
    default:
      return 'unknown (average)';
  }
}

const perMillion = (x: number | undefined): string => (x === undefined ? '-' : `$${+(x * 1e6).toFixed(4)}`);

export function formatModels(entries: readonly ModelListEntry[], where: string): string {
  // Only pools routed by the learned strategy have a prior placing their models.
  const placed = entries.some((e) => e.quality);
  const rows = entries.map((e) => [
    e.id,
    e.provider ?? e.owned_by,
    `${perMillion(e.cost_per_input_token)} / ${perMillion(e.cost_per_cached_input_token)} / ${perMillion(e.cost_per_output_token)}`,
    e.price_source === 'table' && e.price_ref ? `table (${e.price_ref.as_of})` : (e.price_source ?? 'config'),
    (e.capabilities ?? []).join(','),
    e.context_window === undefined ? '-' : String(e.context_window),
    ...(placed ? [qualityFrom(e)] : []),
    // A model that cannot be called (its ${KEY} unset) is left out of auto: say so before its health.
    e.unavailable
      ? `unavailable: ${e.unavailable}`
      : !e.health
        ? 'unknown'
        : e.health.state === 'cooling_down'
          ? `cooling down ${e.health.cooldown_remaining_s}s (${e.health.consecutive_failures} failures)`
          : e.health.state === 'failing'
            ? `failing (${e.health.consecutive_failures} in a row)`
            : 'ok',
  ]);
  const header = [
    'MODEL',
    'PROVIDER',
    'PRICE/1M in / cached / out',
    'PRICE FROM',
    'CAPABILITIES',
    'CONTEXT',
    ...(placed ? ['PRIOR PLACES IT BY'] : []),
    'HEALTH',
  ];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  const unknown = entries.filter((e) => e.price_source === 'unknown').map((e) => e.id);
  if (unknown.length)
    lines.push(
      `warning: no price for ${unknown.join(', ')}: counted as 0; set cost_per_input_token/cost_per_output_token`,
    );
  const guessed = entries.filter((e) => e.quality?.basis === 'price').map((e) => e.id);
  if (guessed.length)
    lines.push(
      `note: ${guessed.join(', ')} placed by a guess from the price; set quality: in config.yaml (the bundled table's Chatbot Arena scale: ${SCALE_ANCHORS})`,
    );
  lines.push(`(from ${where})`);
  return `${lines.join('\n')}\n`;
}
