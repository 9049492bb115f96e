// The JSON-RPC door: every method of shared/protocol.ts onto the services, for one client
// connection (one VS Code window), on vscode-languageserver's connection: `initialize` answers
// with the server's name and version, `shutdown` is acknowledged, and `exit` ends this window's
// connection only (daemon/app/rpc-server.ts) — the daemon is shared by several windows.
// FugusashiError becomes ResponseError with the code from shared/errors.ts; a cancellation token
// becomes an AbortSignal; streams go out as ChatChunkNotification. Chat requests are checked with
// the HTTP door's schema (./validate.ts).
import { ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver';
import { ErrorCodes, FugusashiError } from '../../shared/errors';
import { MAX_JSON_DEPTH, valueTooDeep } from '../../shared/json-depth';
import { decisionsQuery } from '../../shared/api';
import type { ChatCompletion, ChatCompletionChunk, RoutingDecision, ToolCall } from '../../shared/openai';
import {
  BenchmarkProgressNotification,
  BenchmarkRequest,
  ChatChunkNotification,
  ChatRequest,
  DecisionsRequest,
  FeedbackStatsRequest,
  HealthRequest,
  LastBenchmarkRequest,
  LiveEventNotification,
  ModelsRequest,
  RankingsRequest,
  RateRequest,
  RetrainRequest,
  RouteRequest,
  SetSecretsNotification,
  StatsRequest,
  StatusNotification,
  TraceRequest,
  TrainingRequest,
  UsageOverTimeRequest,
  VscodeLmChunkNotification,
  VscodeLmModelsNotification,
  type DaemonStatus,
} from '../../shared/protocol';
import type { BenchmarkService } from '../services/benchmark';
import { laterDecision, type ChatStream, type Services } from '../services/types';
import { VERSION } from '../version';
import { checkChatRequest, checkRouteParams, optionalNumberParam, optionalStringParam, paramsObject } from './validate';
import type { VscodeLmHub } from './vscode-lm-hub';

export interface RpcHooks {
  /** API keys from VS Code SecretStorage: memory only; the daemon re-resolves its config. */
  setSecrets?(env: Record<string, string>): void;
  vscodeLm?: VscodeLmHub;
  benchmark?: BenchmarkService;
  /** Status pushed to the client right after it connects. */
  status?(): DaemonStatus;
}

export function toResponseError(err: unknown): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  if (err instanceof FugusashiError) {
    return new ResponseError(ErrorCodes[err.kind].rpc, err.message, {
      kind: err.kind,
      param: err.param,
      details: err.details,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ResponseError(ErrorCodes.Internal.rpc, `Internal error in the Fugusashi daemon: ${message}`, {
    kind: 'Internal',
  });
}

function signalOf(token: CancellationToken | undefined): AbortSignal {
  const controller = new AbortController();
  if (token) {
    if (token.isCancellationRequested) controller.abort();
    else token.onCancellationRequested(() => controller.abort());
  }
  return controller.signal;
}

/**
 * The chat requests a window is waiting for. A window that goes away (closed, reloaded, its extension
 * host killed) sends no cancel and will read no answer: its running requests stop as if cancelled.
 */
class WindowRequests {
  private readonly running = new Set<AbortController>();
  private gone = false;

  /** Runs `fn` with a signal that aborts when the window cancels this request or leaves. */
  async run<R>(token: CancellationToken | undefined, fn: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const controller = new AbortController();
    if (this.gone || token?.isCancellationRequested) controller.abort();
    const cancelled = token?.onCancellationRequested(() => controller.abort());
    this.running.add(controller);
    try {
      return await fn(controller.signal);
    } finally {
      this.running.delete(controller);
      cancelled?.dispose();
    }
  }

  leave(): void {
    this.gone = true;
    for (const controller of this.running) controller.abort();
  }
}

/**
 * Wraps a handler so every failure reaches the client as a typed ResponseError (a rejection with
 * one), and params nested deeper than the HTTP door takes are refused before anything walks them.
 */
function guarded<P, R>(fn: (params: P, token: CancellationToken) => R | Promise<R>) {
  return async (params: P, token: CancellationToken): Promise<R> => {
    try {
      if (valueTooDeep(params)) {
        throw new FugusashiError('InvalidRequest', `Params nested deeper than ${MAX_JSON_DEPTH} levels`, null);
      }
      return await fn(params, token);
    } catch (err) {
      throw toResponseError(err);
    }
  };
}

let connections = 0;

/** Registers every handler on `connection`; returns a function that detaches the live feeds. */
export function registerRpcHandlers(connection: Connection, services: Services, hooks: RpcHooks = {}): () => void {
  connection.onInitialize(() => ({ capabilities: {}, serverInfo: { name: 'fugusashi', version: VERSION } }));
  connection.onShutdown(() => undefined);
  // Stopped when the window left (the returned detach).
  const requests = new WindowRequests();
  // One connection is one VS Code window: its requests are one client's (implicit signals).
  const client = `rpc:${++connections}`;

  connection.onRequest(
    ChatRequest,
    guarded((params, token) => {
      if (!params || typeof params !== 'object' || !params.request) {
        throw new FugusashiError('InvalidRequest', "'request' is required", 'request');
      }
      const request = checkChatRequest(params.request);
      return requests.run(token, async (signal) => {
        const ctx = { signal, source: params.source ?? ('rpc' as const), client };
        if (!params.streamId) return services.chat.complete({ ...request, stream: false }, ctx);
        // Usage always comes back over RPC: the collected completion carries it.
        const stream = await services.chat.stream(
          { ...request, stream: true, stream_options: { include_usage: true } },
          ctx,
        );
        const collected = new StreamCollector(stream);
        // A window that goes away mid-answer (closed, reloaded) makes the send fail: caught, or the
        // rejection would end the shared daemon; and the loop stops, which stops the upstream too.
        let windowGone = false;
        for await (const chunk of stream.chunks) {
          if (windowGone) break;
          collected.add(chunk);
          connection
            .sendNotification(ChatChunkNotification, { streamId: params.streamId, chunk })
            .catch(() => (windowGone = true));
        }
        return collected.completion();
      });
    }),
  );
  connection.onRequest(
    RouteRequest,
    guarded((params) => services.route(checkRouteParams(params))),
  );
  connection.onRequest(
    RateRequest,
    guarded((params) => services.feedback.rate(params)),
  );
  connection.onRequest(
    ModelsRequest,
    guarded(() => services.models()),
  );
  connection.onRequest(
    StatsRequest,
    guarded(() => services.stats()),
  );
  connection.onRequest(
    UsageOverTimeRequest,
    guarded((params) => {
      const bucket = optionalNumberParam(params?.bucket_ms, 'bucket_ms') ?? 3_600_000;
      return services.usageOverTime(Math.max(1000, bucket), optionalNumberParam(params?.since, 'since'));
    }),
  );
  connection.onRequest(
    DecisionsRequest,
    guarded((params) => {
      const limit = Math.min(Math.max(optionalNumberParam(params?.limit, 'limit') ?? 50, 1), 1000);
      const before = optionalNumberParam(params?.before, 'before');
      const beforeId = optionalStringParam(params?.before_id, 'before_id');
      return services.decisions(decisionsQuery(limit, before, beforeId));
    }),
  );
  connection.onRequest(
    TraceRequest,
    guarded((params) => services.trace(String(params?.request_id ?? ''))),
  );
  connection.onRequest(
    RankingsRequest,
    guarded(() => services.feedback.rankings()),
  );
  connection.onRequest(
    FeedbackStatsRequest,
    guarded(() => services.feedback.stats()),
  );
  connection.onRequest(
    TrainingRequest,
    guarded((params) => services.feedback.addTraining(params?.rows)),
  );
  connection.onRequest(
    RetrainRequest,
    guarded(() => services.feedback.retrain()),
  );
  connection.onRequest(
    HealthRequest,
    guarded(() => services.health()),
  );
  connection.onRequest(
    LastBenchmarkRequest,
    guarded(() => hooks.benchmark?.last() ?? null),
  );
  connection.onRequest(
    BenchmarkRequest,
    guarded((params, token) => {
      if (!hooks.benchmark)
        throw new FugusashiError('InvalidRequest', 'The benchmark runner is not available in this daemon.');
      // Not stopped when the window leaves: the report is kept (last benchmark, the dashboard).
      return hooks.benchmark.run(paramsObject(params), {
        signal: signalOf(token),
        // Caught: a window gone mid-run must not end the shared daemon. A disposed connection
        // throws at once ("Connection is disposed"); a broken socket rejects.
        onProgress: (progress) => {
          try {
            void connection.sendNotification(BenchmarkProgressNotification, progress).catch(() => undefined);
          } catch {
            // the window is gone; the run goes on and its report is kept
          }
        },
      });
    }),
  );

  // Notifications have no reply to carry an error: too deeply nested ones are dropped.
  connection.onNotification(SetSecretsNotification, (params) => {
    if (valueTooDeep(params)) return;
    if (params && typeof params.env === 'object' && params.env) hooks.setSecrets?.(params.env);
  });
  connection.onNotification(VscodeLmModelsNotification, (params) => {
    if (valueTooDeep(params)) return;
    hooks.vscodeLm?.setModels(connection, Array.isArray(params?.models) ? params.models : []);
  });
  connection.onNotification(VscodeLmChunkNotification, (params) => {
    if (valueTooDeep(params)) return;
    if (params && typeof params.streamId === 'string')
      hooks.vscodeLm?.chunk(
        params.streamId,
        String(params.text ?? ''),
        Array.isArray(params.toolCalls) ? params.toolCalls.filter(isToolCall) : [],
      );
  });

  const unsubscribe = services.events.subscribe((event) => {
    void connection.sendNotification(LiveEventNotification, event).catch(() => undefined);
    if (event.type === 'decision' && event.row.answered_by) {
      const status: DaemonStatus = { ...(hooks.status?.() ?? { health: 'ok' }), lastModel: event.row.answered_by };
      void connection.sendNotification(StatusNotification, status).catch(() => undefined);
    }
  });
  return () => {
    requests.leave();
    unsubscribe();
    hooks.vscodeLm?.remove(connection);
  };
}

/** Folds streamed chunks back into the ChatCompletion the request resolves with. */
export class StreamCollector {
  private content = '';
  private finish: ChatCompletion['choices'][number]['finish_reason'] = null;
  private usage: ChatCompletion['usage'];
  private readonly tools = new Map<
    number,
    { id: string; type: 'function'; function: { name: string; arguments: string } }
  >();
  private created = Math.floor(Date.now() / 1000);
  /** The stream's decision and model, until a later chunk names others (ChatStream.chunks). */
  private decision: RoutingDecision;
  private model: string;

  constructor(private readonly stream: Pick<ChatStream, 'id' | 'decision' | 'answeredBy'>) {
    this.decision = stream.decision;
    this.model = stream.answeredBy;
  }

  add(chunk: ChatCompletionChunk): void {
    this.created = chunk.created;
    const later = laterDecision(this.stream, chunk);
    if (later) {
      this.decision = later;
      this.model = chunk.model;
    }
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return;
    if (choice.delta.content) this.content += choice.delta.content;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    for (const call of choice.delta.tool_calls ?? []) {
      const entry = this.tools.get(call.index) ?? {
        id: '',
        type: 'function' as const,
        function: { name: '', arguments: '' },
      };
      if (call.id) entry.id = call.id;
      if (call.function?.name) entry.function.name += call.function.name;
      if (call.function?.arguments) entry.function.arguments += call.function.arguments;
      this.tools.set(call.index, entry);
    }
  }

  completion(): ChatCompletion {
    const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: this.content };
    if (this.tools.size > 0)
      message.tool_calls = [...this.tools.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    const out: ChatCompletion = {
      id: this.stream.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, message, finish_reason: this.finish ?? 'stop' }],
    };
    if (this.usage) out.usage = this.usage;
    out.routing_decision = this.decision;
    return out;
  }
}

/** A whole tool call from a window (checked: a window's notification is input like any other). */
function isToolCall(call: unknown): call is ToolCall {
  const c = call as Partial<ToolCall> | null;
  return typeof c?.id === 'string' && typeof c.function?.name === 'string' && typeof c.function.arguments === 'string';
}
