// What the services need from the composition root. Everything is injected so tests build the
// services over a real store and real providers against loopback fake upstreams.
import type { ChatCompletionRequest, ChatCompletion, RoutingDecision } from '../../shared/openai';
import type { OrchestrationProgress, OrchestrationTraceStep } from '../../shared/api';
import type { ModelConfig, OrchestratorConfig, ProviderKind, StrategyName } from '../../shared/config';
import type { Candidate, Learner, Outcome, RouteInput, RoutePlan, Store } from '../core/ports';
import type { CancelSignal, LlmProvider } from '../providers/types';
import type { Gateway } from './ports';
import type { ResponseCacheStore } from './cache/port';
import type { CacheSettings } from './cache/response-cache';
import type { SemanticIndex } from './cache/semantic';
import type { CascadeSettings } from './cascade';

/** The part of the resolved config the services read; main.ts maps the config module's result onto it. */
export interface ServiceConfig {
  /** Models with api keys resolved (disabled ones included: candidate building skips them). */
  pool: readonly ModelConfig[];
  defaultModel?: string | undefined;
  strategies: readonly StrategyName[];
  preferLocal: boolean;
  /** λ for "auto" and "auto:balanced". */
  costWeight: number;
  minConfidence: number;
  explorationRate: number;
  /** routing.embeddings.wait_ms: undefined = wait for the embedding. */
  embeddingWaitMs?: number | undefined;
  cooldownFailures: number;
  cooldownSeconds: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  /** The first-byte wait of answers that start late (non-streamed, reasoning models): first-byte-wait.ts. */
  answerTimeoutMs: number;
  feedback: { enabled: boolean; retrainEvery: number; implicitSignals: boolean };
  orchestrator?: OrchestratorConfig | undefined;
  /** gateway (issue 12): cascade settings (absent = only defaults for "auto:cascade"). */
  cascade?: CascadeSettings | undefined;
  /** gateway (issue 12): response cache settings (absent = cache off). */
  cache?: CacheSettings | undefined;
}

export interface OrchestratorRun {
  completion: ChatCompletion;
  decision: RoutingDecision;
  steps: OrchestrationTraceStep[];
  cost_usd: number;
}

export interface OrchestratorRunOptions {
  signal: CancelSignal;
  onProgress?: (progress: OrchestrationProgress) => void;
  /** Once the first model call passed the budget check: the team runs (see orchestrator RunOptions). */
  onUnderway?: () => void;
}

/** The orchestrator engineer's `createOrchestrator({gateway, config})` result, as the chat service uses it. */
export interface OrchestratorPort {
  run(request: ChatCompletionRequest, options: OrchestratorRunOptions): Promise<OrchestratorRun>;
  /** A rating of an orchestrated answer → outcomes crediting each specialist (stored and learned). */
  creditRating?(
    steps: readonly OrchestrationTraceStep[],
    rating: number,
    meta?: { request_id?: string; created_at?: number },
  ): Omit<Outcome, 'id'>[];
  /** At start: rebuild the team memory from stored outcomes. */
  restore?(outcomes: readonly Outcome[]): void;
}

export interface RuntimeInfo {
  pid: number;
  startedAt: number;
  http: { host: string; port: number } | null;
  dataDir: string;
  configPath: string | null;
  configError: string | null;
}

export interface ServiceDeps {
  /** Current config; read per request so a reload applies to the next request. */
  config: () => ServiceConfig;
  store: Store;
  learner?: Learner | undefined;
  /** Adapter for a pool model's provider kind. */
  provider: (kind: ProviderKind) => LlmProvider | undefined;
  /** Built lazily from the Gateway the services implement (orchestrator needs it). */
  orchestrator?: ((gateway: Gateway) => OrchestratorPort) | undefined;
  runtime: () => RuntimeInfo;
  now?: () => number;
  random?: () => number;
  log?: (message: string) => void;
  /** gateway (issue 12): where response-cache entries persist (absent = no cache), and the semantic index. */
  responseCacheStore?: ResponseCacheStore | undefined;
  semanticIndex?: SemanticIndex | undefined;
  /** gateway (issue 12): user routing plugins (daemon/plugins), consulted after the built-in chain. */
  plugins?: {
    apply(input: RouteInput, candidates: readonly Candidate[], plan: RoutePlan, mode: string): Promise<RoutePlan>;
  };
}
