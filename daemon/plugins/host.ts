// gateway (issue 12): user routing strategies as plugins (routing.plugins in config.yaml). Each
// module's default export is a Strategy (types/plugin.d.ts). They are loaded at start and on every
// config reload, and consulted after the built-in chain has picked; the first plugin that returns a
// decision wins. A plugin that throws, answers with a model that is not a candidate, or overruns
// its budget is skipped for that request with the reason in routing_decision.chain: a plugin can
// never fail a request.
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Candidate, RouteInput, RoutePlan } from '../core/ports';
import type { Strategy, StrategyCandidate, StrategyContext, StrategyResult } from '../../types/plugin';

export const DEFAULT_PLUGIN_BUDGET_MS = 5;

interface Loaded {
  strategy: Strategy;
  label: string;
  budgetMs: number;
}

type ChainEntry = NonNullable<RoutePlan['decision']['chain']>[number];

// esbuild keeps a dynamic import() with a computed specifier as is in the CommonJS bundle (node ≥ 20
// supports it there), so user .mjs modules load natively.
const importModule = (specifier: string): Promise<unknown> => import(specifier);

export class PluginHost {
  private plugins: Loaded[] = [];
  private generation = 0;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  get names(): string[] {
    return this.plugins.map((p) => p.label);
  }

  /**
   * (Re)loads the listed modules (absolute paths). A module that fails to load is logged and left
   * out; the others still load. Resolves when done; decisions meanwhile use the previous set.
   */
  async load(paths: readonly string[], defaultBudgetMs = DEFAULT_PLUGIN_BUDGET_MS): Promise<string[]> {
    const generation = ++this.generation;
    const loaded: Loaded[] = [];
    const errors: string[] = [];
    for (const file of paths) {
      try {
        // The mtime in the URL makes a reload pick up an edited file (import() caches by URL).
        const version = statSync(file).mtimeMs;
        const mod = (await importModule(`${pathToFileURL(file).href}?v=${version}`)) as {
          default?: unknown;
          strategy?: unknown;
        };
        const strategy = asStrategy(mod.default ?? mod.strategy);
        if (!strategy) throw new Error('its default export is not a Strategy ({ name: string, decide(ctx) })');
        loaded.push({
          strategy,
          label: `plugin:${strategy.name}`,
          budgetMs: positive(strategy.budgetMs) ?? defaultBudgetMs,
        });
      } catch (err) {
        const message = `routing plugin ${file} not loaded: ${err instanceof Error ? err.message : String(err)}`;
        errors.push(message);
        this.log(message);
      }
    }
    if (generation !== this.generation) return errors; // a newer reload won
    this.plugins = loaded;
    if (loaded.length > 0) this.log(`routing plugins: ${loaded.map((p) => p.label).join(', ')}`);
    return errors;
  }

  /** The built-in plan, or the first plugin's decision over it. Never throws. */
  async apply(input: RouteInput, candidates: readonly Candidate[], plan: RoutePlan, mode: string): Promise<RoutePlan> {
    if (this.plugins.length === 0 || candidates.length === 0) return plan;
    const notes: ChainEntry[] = [];
    let context: StrategyContext | null = null;
    for (const plugin of this.plugins) {
      context ??= buildContext(input, candidates, plan, mode);
      const verdict = await runBounded(plugin, { ...context, budgetMs: plugin.budgetMs });
      if (verdict.kind === 'skipped') {
        notes.push({ strategy: plugin.label, abstained: true, reason: `skipped: ${verdict.reason}` });
        continue;
      }
      const result = verdict.result;
      if (result === null || result === undefined) {
        notes.push({ strategy: plugin.label, abstained: true, reason: 'passed' });
        continue;
      }
      const pick = candidates.find((c) => c.config.name === result.model);
      if (!pick) {
        notes.push({
          strategy: plugin.label,
          abstained: true,
          reason: `skipped: returned "${String(result.model)}", which is not a candidate`,
        });
        continue;
      }
      return decided(plugin.label, result, pick, candidates, plan, notes);
    }
    plan.decision.chain = [...notes, ...(plan.decision.chain ?? [])];
    return plan;
  }
}

type Bounded = { kind: 'ok'; result: StrategyResult } | { kind: 'skipped'; reason: string };

async function runBounded(plugin: Loaded, context: StrategyContext): Promise<Bounded> {
  const started = performance.now();
  let result: StrategyResult | Promise<StrategyResult>;
  try {
    result = plugin.strategy.decide(context);
  } catch (err) {
    return { kind: 'skipped', reason: `threw ${describe(err)}` };
  }
  if (isPromise(result)) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, plugin.budgetMs - (performance.now() - started)));
    });
    try {
      const settled = await Promise.race([result, timeout]);
      if (settled === 'timeout')
        return { kind: 'skipped', reason: `no answer within its ${plugin.budgetMs} ms budget` };
      result = settled;
    } catch (err) {
      return { kind: 'skipped', reason: `threw ${describe(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }
  const took = performance.now() - started;
  if (took > plugin.budgetMs)
    return { kind: 'skipped', reason: `took ${took.toFixed(1)} ms, over its ${plugin.budgetMs} ms budget` };
  if (result !== null && result !== undefined && (typeof result !== 'object' || typeof result.model !== 'string'))
    return { kind: 'skipped', reason: 'returned something that is neither a decision ({ model }) nor null' };
  return { kind: 'ok', result };
}

function buildContext(
  input: RouteInput,
  candidates: readonly Candidate[],
  plan: RoutePlan,
  mode: string,
): StrategyContext {
  const qualities = predictedQualities(plan, candidates, input.costWeight);
  const list = candidates.map((c): StrategyCandidate => {
    const m = c.config;
    const price: StrategyCandidate['price'] = {
      input: m.cost_per_input_token,
      output: m.cost_per_output_token,
      source: m.price_source ?? 'config',
    };
    if (m.cost_per_cached_input_token !== undefined) price.cached_input = m.cost_per_cached_input_token;
    const out: StrategyCandidate = {
      name: m.name,
      provider: m.provider,
      model: m.model,
      capabilities: m.capabilities,
      local: c.local,
      price,
      expected_cost_usd: c.expectedCost,
    };
    const q = qualities.get(m.name);
    if (q !== undefined) out.predicted_quality = q;
    return out;
  });
  const d = plan.decision;
  return {
    prompt: {
      text: input.text,
      messages: input.messages,
      features: input.features,
      required: input.required,
      preferred: input.preferred,
    },
    costWeight: input.costWeight,
    mode,
    candidates: list,
    default: { model: d.model, strategy: d.strategy, confidence: d.confidence, explanation: d.explanation },
    budgetMs: 0,
  };
}

/**
 * The learned strategies rank by utility = 100·quality − λ·cents, so their scores give back each
 * candidate's predicted quality. Other strategies' scores are not qualities: none is given then.
 */
function predictedQualities(
  plan: RoutePlan,
  candidates: readonly Candidate[],
  costWeight: number,
): Map<string, number> {
  const out = new Map<string, number>();
  const d = plan.decision;
  if (d.strategy !== 'learned' && d.strategy !== 'similarity') return out;
  for (const alt of d.alternatives) {
    const c = candidates.find((x) => x.config.name === alt.model);
    if (!c) continue;
    const q = (alt.score + costWeight * c.expectedCost * 100) / 100;
    out.set(alt.model, Math.min(1, Math.max(0, Math.round(q * 1000) / 1000)));
  }
  return out;
}

function decided(
  label: string,
  result: NonNullable<StrategyResult>,
  pick: Candidate,
  candidates: readonly Candidate[],
  builtIn: RoutePlan,
  notes: ChainEntry[],
): RoutePlan {
  const order: string[] = [pick.config.name];
  const names = new Set(candidates.map((c) => c.config.name));
  for (const name of [...(result.fallbacks ?? []), ...builtIn.order])
    if (names.has(name) && !order.includes(name)) order.push(name);
  const confidence =
    typeof result.confidence === 'number' && Number.isFinite(result.confidence) ? result.confidence : 1;
  return {
    decision: {
      model: pick.config.name,
      confidence: Math.min(1, Math.max(0, confidence)),
      strategy: label,
      latency_ms: builtIn.decision.latency_ms,
      explanation:
        typeof result.explanation === 'string' && result.explanation
          ? result.explanation
          : `Chosen by the ${label} routing plugin.`,
      alternatives: order.map((model, i) => ({ model, score: i === 0 ? 1 : 0 })),
      estimated_cost: pick.expectedCost,
      chain: [
        ...notes,
        {
          strategy: builtIn.decision.strategy,
          abstained: false,
          reason: `would have picked ${builtIn.decision.model}; overridden by ${label}`,
        },
      ],
    },
    order,
  };
}

function asStrategy(value: unknown): Strategy | null {
  const s = value as Partial<Strategy> | null | undefined;
  return s && typeof s === 'object' && typeof s.name === 'string' && s.name && typeof s.decide === 'function'
    ? (s as Strategy)
    : null;
}

function isPromise<T>(value: unknown): value is Promise<T> {
  return !!value && typeof (value as { then?: unknown }).then === 'function';
}

function positive(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
