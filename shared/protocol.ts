// Every custom JSON-RPC method between the extension (client) and the daemon (server), typed once.
// Each entry names its direction. The extension uses vscode-languageclient and the daemon
// vscode-languageserver; both accept these RequestType/NotificationType values.
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { DASHBOARD_OPERATIONS as OPS } from './dashboard-operations';
import type {
  BenchmarkProgress,
  BenchmarkReport,
  DaemonHealth,
  DecisionRow,
  DecisionsQuery,
  FeedbackStats,
  LiveEvent,
  ModelRanking,
  RateParams,
  RateResult,
  RequestSource,
  RouteParams,
  Trace,
  TrainingRow,
  UsageBucket,
  UsageStats,
} from './api';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ModelListEntry,
  RoutingDecision,
  Tool,
  ToolCall,
} from './openai';

// ---- client → daemon requests ----

export interface ChatParams {
  request: ChatCompletionRequest;
  /** When set, the daemon streams `fugusashi/chatChunk` notifications tagged with it. */
  streamId?: string;
  source?: RequestSource;
}
/** client → daemon. Resolves with the full completion (also when streamed). Cancel with $/cancelRequest. */
export const ChatRequest = new RequestType<ChatParams, ChatCompletion, void>('fugusashi/chat');

/** client → daemon: dry-run routing. */
export const RouteRequest = new RequestType<RouteParams, RoutingDecision, void>('fugusashi/route');
/** client → daemon: rate an answer. */
export const RateRequest = new RequestType<RateParams, RateResult, void>(OPS.rate.rpc);
/** client → daemon */
export const ModelsRequest = new RequestType<void, ModelListEntry[], void>('fugusashi/models');
/** client → daemon */
export const StatsRequest = new RequestType<void, UsageStats, void>(OPS.stats.rpc);
/** client → daemon */
export const UsageOverTimeRequest = new RequestType<{ bucket_ms: number; since?: number }, UsageBucket[], void>(
  OPS.usageOverTime.rpc,
);
/** client → daemon: newest first; page with `before` and `before_id` (created_at and request_id of the last row seen). */
export const DecisionsRequest = new RequestType<DecisionsQuery, DecisionRow[], void>(OPS.decisions.rpc);
/** client → daemon */
export const TraceRequest = new RequestType<{ request_id: string }, Trace, void>(OPS.trace.rpc);
/** client → daemon */
export const RankingsRequest = new RequestType<void, ModelRanking[], void>(OPS.rankings.rpc);
/** client → daemon */
export const FeedbackStatsRequest = new RequestType<void, FeedbackStats, void>(OPS.feedbackStats.rpc);
/**
 * client → daemon: seed training rows. A row is stored each time it is sent unless it carries an
 * identity (a `uid`, a 0.3.0 record's request id or timestamp, a `fugusashi export` line's id):
 * `already_imported` counts the rows whose identity the store already held (left out, not counted
 * twice); `queued` the rows the team database could not check yet (stored when it is back, except
 * those it holds).
 */
export const TrainingRequest = new RequestType<
  { rows: TrainingRow[] },
  { added: number; already_imported: number; queued?: number; skipped?: number },
  void
>('fugusashi/training');
/** client → daemon: background refit; resolves when it has started. */
export const RetrainRequest = new RequestType<void, { started: boolean }, void>('fugusashi/retrain');
/** client → daemon */
export const HealthRequest = new RequestType<void, DaemonHealth, void>('fugusashi/health');

export interface BenchmarkParams {
  /** A file path, or "sample" for the bundled sample. */
  dataset: string;
  mode: 'sample' | 'split' | 'folds' | 'online';
  test?: string;
  folds?: number;
  strong?: string;
  weak?: string;
  runId: string;
}
/** client → daemon: progress comes as `fugusashi/benchmarkProgress`. */
export const BenchmarkRequest = new RequestType<BenchmarkParams, BenchmarkReport, void>('fugusashi/benchmark');
/** client → daemon: the most recent benchmark report (the dashboard's charts), null before the first run. */
export const LastBenchmarkRequest = new RequestType<void, BenchmarkReport | null, void>(OPS.lastBenchmark.rpc);

/** client → daemon: API keys from VS Code SecretStorage, kept in daemon memory only. */
export const SetSecretsNotification = new NotificationType<{ env: Record<string, string> }>('fugusashi/setSecrets');

/** client → daemon: the language models VS Code offers in this window (provider `vscode-lm`). */
export interface VscodeLmModelInfo {
  id: string;
  vendor: string;
  family: string;
  name: string;
  maxInputTokens: number;
}
export const VscodeLmModelsNotification = new NotificationType<{ models: VscodeLmModelInfo[] }>(
  'fugusashi/vscodeLmModels',
);

// ---- daemon → client ----

/** daemon → client: one streamed chunk of a `fugusashi/chat` call. */
export const ChatChunkNotification = new NotificationType<{ streamId: string; chunk: ChatCompletionChunk }>(
  'fugusashi/chatChunk',
);

export interface DaemonStatus {
  health: 'starting' | 'ok' | 'warning' | 'error';
  message?: string;
  httpPort?: number;
  lastModel?: string;
  models?: number;
}
/** daemon → client */
export const StatusNotification = new NotificationType<DaemonStatus>('fugusashi/status');
/** daemon → client: live dashboard events. */
export const LiveEventNotification = new NotificationType<LiveEvent>('fugusashi/live');
/** daemon → client */
export const BenchmarkProgressNotification = new NotificationType<BenchmarkProgress>('fugusashi/benchmarkProgress');

/** daemon → client: run a VS Code language model for a pool member of provider `vscode-lm`. */
export interface VscodeLmChatParams {
  modelId: string;
  /** OpenAI-shaped: assistant `tool_calls` and `role: 'tool'` results included. */
  messages: ChatMessage[];
  streamId: string;
  maxTokens?: number;
  /** The request's function tools and its OpenAI `tool_choice` ("none", "auto", "required", one function). */
  tools?: Tool[];
  toolChoice?: unknown;
}
/** What a vscode-lm call yields: a piece of text, or one whole tool call the model made. */
export type VscodeLmPiece = string | ToolCall;
export const VscodeLmChatRequest = new RequestType<
  VscodeLmChatParams,
  { text: string; toolCalls?: ToolCall[]; usage?: { prompt_tokens: number; completion_tokens: number } },
  void
>('fugusashi/vscodeLmChat');
/** client → daemon: text pieces (and whole tool calls) of a `fugusashi/vscodeLmChat` call as they arrive. */
export const VscodeLmChunkNotification = new NotificationType<{
  streamId: string;
  text: string;
  toolCalls?: ToolCall[];
}>('fugusashi/vscodeLmChunk');
