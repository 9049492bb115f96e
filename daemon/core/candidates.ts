// Which pool models may serve a request at all: hard filters (enabled, tools, vision, context
// size, cooldown) before any strategy ranks them, plus each survivor's expected cost.
import type { ModelConfig } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import { LONG_CONTEXT_TOKENS } from './features';
import type { Candidate, RouteInput } from './ports';

export interface CandidateSet {
  candidates: Candidate[];
  excluded: { model: string; reason: string }[];
}

export interface BuildCandidatesOptions {
  isCoolingDown(name: string): boolean;
}

/**
 * Candidates keep the pool's order (the fallback strategy and ties rely on it).
 *
 * Cooldown policy: a model cooling down is excluded while at least one other model passes the
 * filters; when every model that passes is cooling down they all stay candidates, because trying
 * a recently failing model beats refusing the request outright.
 */
export function buildCandidates(
  pool: readonly ModelConfig[],
  input: RouteInput,
  opts: BuildCandidatesOptions,
): CandidateSet {
  const excluded: { model: string; reason: string }[] = [];
  const healthy: Candidate[] = [];
  const cooling: Candidate[] = [];
  const needed = input.features.estimatedInputTokens + input.features.expectedOutputTokens;
  for (const config of pool) {
    const reason = filterReason(config, input, needed);
    if (reason) {
      excluded.push({ model: config.name, reason });
      continue;
    }
    const candidate: Candidate = {
      config,
      local: isLocalModel(config),
      expectedCost: expectedCost(config, input.features.estimatedInputTokens, input.features.expectedOutputTokens),
    };
    if (opts.isCoolingDown(config.name)) cooling.push(candidate);
    else healthy.push(candidate);
  }
  if (healthy.length === 0) return { candidates: cooling, excluded };
  for (const c of cooling) excluded.push({ model: c.config.name, reason: 'cooling down after repeated failures' });
  return { candidates: healthy, excluded };
}

function filterReason(config: ModelConfig, input: RouteInput, needed: number): string | null {
  if (config.enabled === false) return 'disabled';
  if (config.unavailable) return config.unavailable;
  for (const cap of input.required) {
    if (cap === 'tools' && !supportsTools(config)) return 'does not support tools';
    if (cap === 'vision' && !supportsVision(config)) return 'does not support images';
    if (cap === 'long_context' && config.context_window === undefined && !config.capabilities.includes('long_context'))
      return `unknown context window and not marked long_context (request needs ~${needed} tokens)`;
  }
  if (config.context_window !== undefined && config.context_window < needed)
    return `context window ${config.context_window} < ~${needed} tokens needed`;
  return null;
}

/** An explicit `supports_tools: false` wins over a 'tools' capability tag. */
export function supportsTools(config: ModelConfig): boolean {
  return config.supports_tools ?? config.capabilities.includes('tools');
}

export function supportsVision(config: ModelConfig): boolean {
  return config.supports_vision ?? config.capabilities.includes('vision');
}

// Config objects are replaced, never mutated, on reload, so caching by identity is safe and keeps
// the per-request path free of allocations.
const capabilityCache = new WeakMap<ModelConfig, ReadonlySet<string>>();

/** A model's capabilities including those implied by its explicit flags and window. */
export function effectiveCapabilities(config: ModelConfig): ReadonlySet<string> {
  const cached = capabilityCache.get(config);
  if (cached) return cached;
  const caps = new Set(config.capabilities);
  if (config.supports_tools === true) caps.add('tools');
  if (config.supports_tools === false) caps.delete('tools');
  if (config.supports_vision === true) caps.add('vision');
  if (config.supports_vision === false) caps.delete('vision');
  if (config.context_window !== undefined && config.context_window >= LONG_CONTEXT_TOKENS) caps.add('long_context');
  capabilityCache.set(config, caps);
  return caps;
}

export function expectedCost(config: ModelConfig, inputTokens: number, outputTokens: number): number {
  const out = config.max_output_tokens !== undefined ? Math.min(outputTokens, config.max_output_tokens) : outputTokens;
  return inputTokens * config.cost_per_input_token + out * config.cost_per_output_token;
}

/**
 * Runs on this machine and costs nothing: Ollama, VS Code's own models, or any server on a loopback
 * address, with no configured price. A loopback upstream with a price (a metered gateway or proxy
 * on localhost) is billed like a cloud model, so it is neither called local nor preferred as free.
 */
export function isLocalModel(config: ModelConfig): boolean {
  if (config.cost_per_input_token > 0 || config.cost_per_output_token > 0) return false;
  if (config.provider === 'ollama' || config.provider === 'vscode-lm') return true;
  return config.api_base !== undefined && isLoopbackUrl(config.api_base);
}

/** Parsed by hand: the core has no URL global (no DOM or Node types here). */
export function isLoopbackUrl(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]*)/i.exec(url.trim());
  if (!m) return false;
  const host = (m[1] ?? '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]' ||
    host === '[::ffff:127.0.0.1]'
  );
}

/**
 * The error to answer when no candidate is left: 503 when the pool has nothing usable at all
 * (with how to add a model), else 400 naming why each model was filtered out.
 */
export function noCandidateError(pool: readonly ModelConfig[], excluded: CandidateSet['excluded']): FugusashiError {
  const usable = pool.filter((m) => m.enabled !== false);
  const callable = usable.filter((m) => !m.unavailable);
  if (usable.length > 0 && callable.length === 0) {
    const reasons = usable.map((m) => `${m.name}: ${m.unavailable}`).join('; ');
    return new FugusashiError(
      'NoModels',
      `No configured model can be called (${reasons}). Set the variables (in VS Code: Fugusashi: Set API Key) and restart.`,
    );
  }
  if (usable.length === 0) {
    return new FugusashiError(
      'NoModels',
      'No model is configured. Add one to ~/.fugusashi/config.yaml (read as soon as it is written) or pass ' +
        '--config FILE, or start Ollama (http://127.0.0.1:11434) with a model pulled, or set OPENAI_API_KEY / ' +
        'ANTHROPIC_API_KEY, and restart.',
    );
  }
  const reasons = excluded.map((e) => `${e.model}: ${e.reason}`).join('; ');
  return new FugusashiError('InvalidRequest', `No configured model can serve this request (${reasons}).`, 'messages', {
    excluded,
  });
}
