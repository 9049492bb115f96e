// Builds the services object both doors use, from injected dependencies (see deps.ts).
import type { DaemonHealth, RouteParams } from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
import { effectiveCapabilities } from '../core/candidates';
import type { ChatCompletion, ChatCompletionRequest, ModelListEntry, RoutingDecision } from '../../shared/openai';
import { VERSION } from '../version';
import { Chat } from './chat';
import type { OrchestratorPort, OrchestratorRunOptions, ServiceDeps } from './deps';
import { LiveEventBus } from './events';
import { Feedback } from './feedback';
import { ImplicitSignals } from './implicit';
import type { Gateway } from './ports';
import { AUTO_MODES, CASCADE_MODEL, ORCHESTRATE_MODEL, RoutingService } from './routing';
import type { Services } from './types';
import { monitorStoreWrites, type StoreWriteHealth } from './store-health';
import { Upstreams } from './upstream';
import { priceAnswer } from './usage';
import { withPoolStatus } from './pool-status';
import { CachedChat } from './cache/cached-chat';
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from './cache/response-cache';
import { LshSemanticIndex } from './cache/semantic';
import { CascadeChat } from './cascade';

export type { ServiceConfig, ServiceDeps, RuntimeInfo, OrchestratorPort } from './deps';
export type { Services } from './types';

export interface DaemonServices extends Services {
  gateway: Gateway;
  routing: RoutingService;
  feedbackLoop: Feedback;
}

export function createServices(deps: ServiceDeps): DaemonServices {
  const events = new LiveEventBus();
  const storeHealth = monitorStoreWrites(deps.store);
  const routing = new RoutingService(deps);
  const upstreams = new Upstreams(deps, routing.cooldown);
  let orchestrator: OrchestratorPort | null = null;
  const feedback = new Feedback(deps, events, () => orchestrator);
  const implicit = new ImplicitSignals(deps, feedback);

  const gateway: Gateway = {
    async route(request, hint) {
      return (await routing.plan(request, hint)).plan;
    },
    async run(order, request, signal) {
      const attempts: NonNullable<Parameters<Upstreams['complete']>[3]> = [];
      const { completion, config } = await upstreams.complete(order, request, signal, attempts);
      const text = completion.choices[0]?.message.content ?? '';
      const { usage, cost } = priceAnswer(config, completion.usage, request.messages, text);
      return {
        completion: { ...completion, model: config.name, usage },
        answered_by: config.name,
        attempts,
        cost_usd: cost,
      };
    },
    // The orchestrator's team: models that cannot be called (an unset ${KEY}) are not on it.
    pool: () => deps.config().pool.filter((m) => !m.unavailable),
  };

  if (deps.orchestrator) {
    orchestrator = deps.orchestrator(gateway);
    orchestrator.restore?.(deps.store.listOutcomes());
  }
  const orchestrate = async (request: ChatCompletionRequest, options: OrchestratorRunOptions) => {
    if (!orchestrator) {
      throw new FugusashiError(
        'InvalidRequest',
        `"${ORCHESTRATE_MODEL}" is not available in this daemon build.`,
        'model',
      );
    }
    return orchestrator.run(request, options);
  };
  // gateway (issue 12): the cascade strategy wraps the pipeline ("auto:cascade" / strategy: cascade).
  const pipeline = new CascadeChat(
    new Chat(deps, routing, upstreams, events, implicit, orchestrate),
    deps,
    gateway,
    routing,
    events,
  );
  // gateway (issue 12): the response cache wraps the pipeline when the daemon has a cache store.
  const cache = deps.responseCacheStore ? new ResponseCache(deps.responseCacheStore, deps.now) : null;
  // The semantic index embeds with the learner's bundled encoder (cached), so it needs a learner.
  const learner = deps.learner;
  const semantic =
    deps.semanticIndex ??
    (cache && learner
      ? new LshSemanticIndex((text) => (learner.embed ? learner.embed(text) : learner.prepare(text)))
      : undefined);
  if (cache && semantic) {
    for (const entry of cache.entries()) semantic.add(entry);
    cache.onAdd = (entry) => semantic.add(entry);
    cache.onRemove = (entry) => semantic.remove(entry);
  }
  const chat = cache
    ? new CachedChat(pipeline, cache, {
        deps,
        events,
        semantic,
        settings: () => deps.config().cache ?? DEFAULT_CACHE_SETTINGS,
      })
    : pipeline;

  return {
    chat,
    gateway,
    routing,
    feedbackLoop: feedback,
    feedback,
    events,
    async route(params: RouteParams): Promise<RoutingDecision> {
      const request = {
        model: params.model ?? 'auto',
        messages: params.messages,
        tools: params.tools,
      } as ChatCompletionRequest;
      if (!request.tools) delete request.tools;
      return (await routing.plan(request)).plan.decision;
    },
    models: () => withPoolStatus(modelList(deps), deps, routing), // gateway (issue 12)
    stats: (since) => {
      const stats = deps.store.stats(deps.config().pool, since);
      if (cache) stats.cache = cache.stats(); // gateway (issue 12)
      return stats;
    },
    usageOverTime: (bucketMs, since) => deps.store.usageOverTime(bucketMs, since),
    decisions: (query) => deps.store.listDecisions(query),
    trace(requestId) {
      const trace = deps.store.getTrace(requestId);
      if (!trace) throw new FugusashiError('NotFound', `Unknown request id "${requestId}"`, 'request_id');
      return trace;
    },
    health: () => health(deps, storeHealth),
    exportOutcomes: (write) => deps.store.exportOutcomes(write),
  };
}

function modelList(deps: ServiceDeps): ModelListEntry[] {
  const created = Math.floor((deps.runtime().startedAt || Date.now()) / 1000);
  const modes = [...AUTO_MODES, ...(deps.orchestrator ? [ORCHESTRATE_MODEL] : []), CASCADE_MODEL];
  const auto: ModelListEntry[] = modes.map((id) => ({
    id,
    object: 'model',
    created,
    owned_by: 'fugusashi',
    description: id === 'auto' ? 'Routes each request to the best model for the money' : `Routing mode ${id}`,
  }));
  const pool = deps
    .config()
    .pool.filter((m) => m.enabled !== false)
    .map((m): ModelListEntry => {
      const entry: ModelListEntry = {
        id: m.name,
        object: 'model',
        created,
        owned_by: m.provider,
        provider: m.provider,
        capabilities: [...effectiveCapabilities(m)], // supports_tools / supports_vision included
        cost_per_input_token: m.cost_per_input_token,
        cost_per_output_token: m.cost_per_output_token,
      };
      if (m.context_window !== undefined) entry.context_window = m.context_window;
      if (m.description !== undefined) entry.description = m.description;
      if (m.unavailable) entry.unavailable = m.unavailable;
      return entry;
    });
  return [...auto, ...pool];
}

function health(deps: ServiceDeps, store: StoreWriteHealth): DaemonHealth {
  const rt = deps.runtime();
  const enabled = deps.config().pool.filter((m) => m.enabled !== false);
  const unavailable = enabled.flatMap((m) => (m.unavailable ? [{ model: m.name, reason: m.unavailable }] : []));
  const models = enabled.length - unavailable.length;
  return {
    status: rt.configError || models === 0 || store.failing ? 'degraded' : 'ok',
    store: { writable: store.failing === null, error: store.failing, lost_writes: store.lostWrites },
    ...(unavailable.length > 0 ? { unavailable_models: unavailable } : {}),
    version: VERSION,
    pid: rt.pid,
    uptime_s: Math.round(((deps.now ?? Date.now)() - rt.startedAt) / 1000),
    models,
    http: rt.http,
    data_dir: rt.dataDir,
    config_path: rt.configPath,
    config_error: rt.configError,
    embeddings: deps.learner?.status().embeddings ?? 'not-loaded',
  };
}

/** Completion helper for callers that want the text only (CLI, tests). */
export function completionText(completion: ChatCompletion): string {
  return completion.choices[0]?.message.content ?? '';
}
