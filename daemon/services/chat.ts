// Chat: route, call with fallback, price, record once when the request ends, tell live listeners.
import type { AttemptRecord, DecisionRow, OrchestrationProgress } from '../../shared/api';
import type { ModelConfig } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  RoutingDecision,
  Usage,
} from '../../shared/openai';
import { routingInput } from '../core/features';
import type { RequestRecord } from '../core/ports';
import type { ServiceDeps } from './deps';
import type { ImplicitSignals } from './implicit';
import type { RunContext } from './ports';
import { ORCHESTRATE_MODEL, type Routed, type RoutingService } from './routing';
import type { ChatService, ChatStream, LiveEvents } from './types';
import { CANCELLED_ATTEMPT, describe, type OpenedStream, type Upstreams } from './upstream';
import { estimateUsage, isUsage, newRequestId, normaliseUsage, usageCost } from './usage';
import { choicesAsChunks, completeChoices, toAsync } from './choices';

const PREVIEW_CHARS = 200;
/** Request fields kept in the trace besides the messages (never the whole body twice). */
const TRACED_PARAMS = [
  'model',
  'stream',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'tool_choice',
  'response_format',
  'seed',
  'user',
] as const;

export class Chat implements ChatService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly routing: RoutingService,
    private readonly upstreams: Upstreams,
    private readonly events: LiveEvents,
    private readonly implicit: ImplicitSignals,
    private readonly orchestrate: (
      request: ChatCompletionRequest,
      signal: AbortSignal,
      onProgress?: (p: OrchestrationProgress) => void,
    ) => Promise<{
      completion: ChatCompletion;
      steps: RequestRecord['steps'];
      cost_usd: number;
      decision: RoutingDecision;
    }>,
  ) {}

  async complete(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatCompletion> {
    const started = performance.now();
    const id = newRequestId();
    if (request.model === ORCHESTRATE_MODEL) return this.completeOrchestrated(id, request, ctx, started);
    const routed = await this.routing.plan(request);
    const attempts: AttemptRecord[] = [];
    try {
      const { completion, config } = await completeChoices(routed.plan.order, request, (order, req) =>
        this.upstreams.complete(order, req, ctx.signal, attempts),
      );
      const text = completion.choices[0]?.message.content ?? '';
      const usage = isUsage(completion.usage)
        ? normaliseUsage(completion.usage)
        : estimateUsage(request.messages, text);
      const cost = usageCost(config, usage);
      const answer: ChatCompletion = {
        ...completion,
        id,
        model: config.name,
        usage,
        routing_decision: routed.plan.decision,
      };
      const kept = this.finish({ id, request, ctx, routed, attempts, started, config, text, usage, cost, error: null });
      if (!kept) answer.routing_decision = { ...routed.plan.decision, record_kept: false };
      return answer;
    } catch (err) {
      this.finish({
        id,
        request,
        ctx,
        routed,
        attempts,
        started,
        config: null,
        text: null,
        usage: null,
        cost: 0,
        error: err,
      });
      throw err;
    }
  }

  async stream(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatStream> {
    const started = performance.now();
    const id = newRequestId();
    if (request.model === ORCHESTRATE_MODEL) return this.streamOrchestrated(id, request, ctx, started);
    if ((request.n ?? 1) > 1) {
      // n > 1: the choices are made in parallel (choices.ts), then sent as chunks.
      const answer = await this.complete(request, ctx);
      const chunks = choicesAsChunks(answer, request.stream_options?.include_usage === true);
      return { id: answer.id, decision: answer.routing_decision!, answeredBy: answer.model, chunks: toAsync(chunks) };
    }
    const routed = await this.routing.plan(request);
    const attempts: AttemptRecord[] = [];
    let opened: OpenedStream;
    try {
      opened = await this.upstreams.openStream(routed.plan.order, request, ctx.signal, attempts);
    } catch (err) {
      this.finish({
        id,
        request,
        ctx,
        routed,
        attempts,
        started,
        config: null,
        text: null,
        usage: null,
        cost: 0,
        error: err,
      });
      throw err;
    }
    return {
      id,
      decision: routed.plan.decision,
      answeredBy: opened.config.name,
      chunks: this.relay(id, request, ctx, routed, attempts, started, opened),
    };
  }

  /** Re-labels upstream chunks as the daemon's, collects text and usage, records at the end. */
  private async *relay(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    routed: Routed,
    attempts: AttemptRecord[],
    started: number,
    opened: OpenedStream,
  ): AsyncGenerator<ChatCompletionChunk> {
    const created = Math.floor(Date.now() / 1000);
    const model = opened.config.name;
    const wantUsage = request.stream_options?.include_usage === true;
    let text = '';
    let usage: Usage | null = null;
    let first = true;
    let error: unknown = null;
    let finished = false;
    const relabel = (chunk: ChatCompletionChunk): ChatCompletionChunk | null => {
      if (isUsage(chunk.usage)) usage = normaliseUsage(chunk.usage);
      const content = chunk.choices[0]?.delta.content;
      if (content) text += content;
      // A usage-only chunk is re-sent at the end (or dropped if the client did not ask for usage).
      if (chunk.choices.length === 0 && !chunk.orchestration) return null;
      const out: ChatCompletionChunk = { ...chunk, id, created, model };
      delete out.usage;
      if (first) {
        out.routing_decision = routed.plan.decision;
        first = false;
      }
      return out;
    };
    try {
      if (opened.first) {
        const out = relabel(opened.first);
        if (out) yield out;
      }
      for (;;) {
        const next = await opened.rest.next();
        if (next.done) break;
        const out = relabel(next.value);
        if (out) yield out;
      }
      const finalUsage: Usage = usage ?? estimateUsage(request.messages, text);
      usage = finalUsage;
      if (first) {
        // The upstream sent no content chunk at all: still give the client the decision.
        yield {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }],
          routing_decision: routed.plan.decision,
        };
      }
      if (wantUsage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: finalUsage };
      finished = true;
    } catch (err) {
      error = ctx.signal.aborted ? new FugusashiError('Cancelled', 'The request was cancelled by the client.') : err;
      this.upstreams.streamFailed(opened, err);
      throw error instanceof FugusashiError
        ? error
        : new FugusashiError('UpstreamFailed', `${model} failed mid-stream: ${describe(err)}`);
    } finally {
      if (!finished && error === null) {
        // The consumer stopped reading (client went away): stop the upstream too.
        error = new FugusashiError('Cancelled', 'The client disconnected during the stream.');
        opened.attempt.status = 'error';
        opened.attempt.error = CANCELLED_ATTEMPT;
        void opened.rest.return?.();
      }
      this.upstreams.streamDone(opened);
      const finalUsage = usage ?? estimateUsage(request.messages, text);
      const kept = this.finish({
        id,
        request,
        ctx,
        routed,
        attempts,
        started,
        config: opened.config,
        text,
        usage: finalUsage,
        cost: usageCost(opened.config, finalUsage),
        error,
      });
      // A completed stream whose record was lost says so in a last chunk, before [DONE].
      if (finished && !kept) {
        yield {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [],
          routing_decision: { ...routed.plan.decision, record_kept: false },
        };
      }
    }
  }

  private async completeOrchestrated(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    started: number,
  ): Promise<ChatCompletion> {
    const run = await this.runOrchestration(id, request, ctx, started);
    return run;
  }

  private streamOrchestrated(id: string, request: ChatCompletionRequest, ctx: RunContext, started: number): ChatStream {
    // Progress events are queued and streamed as they come; the final answer follows them.
    const queue: ChatCompletionChunk[] = [];
    let wake: (() => void) | null = null;
    const created = Math.floor(Date.now() / 1000);
    const push = (chunk: ChatCompletionChunk): void => {
      queue.push(chunk);
      wake?.();
    };
    const planning: RoutingDecision = {
      model: ORCHESTRATE_MODEL,
      confidence: 1,
      strategy: 'orchestrator',
      latency_ms: 0,
      explanation:
        'Orchestrated: a planner splits the task, specialists answer the parts, a synthesizer combines them.',
      alternatives: [],
      estimated_cost: 0,
    };
    let done = false;
    let failure: unknown = null;
    let result: ChatCompletion | null = null;
    const running = this.runOrchestration(id, request, ctx, started, (progress) =>
      push({
        id,
        object: 'chat.completion.chunk',
        created,
        model: ORCHESTRATE_MODEL,
        choices: [],
        orchestration: progress,
      }),
    ).then(
      (completion) => {
        result = completion;
        done = true;
        wake?.();
      },
      (err: unknown) => {
        failure = err;
        done = true;
        wake?.();
      },
    );
    async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
      let first = true;
      for (;;) {
        while (queue.length > 0) {
          const chunk = queue.shift()!;
          if (first) {
            chunk.routing_decision = planning;
            first = false;
          }
          yield chunk;
        }
        if (done) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      await running;
      if (failure) throw failure instanceof Error ? failure : new Error('orchestration failed', { cause: failure });
      const completion = result;
      if (!completion) return;
      const message = completion.choices[0]?.message;
      yield {
        id,
        object: 'chat.completion.chunk',
        created,
        model: completion.model,
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: message?.content ?? '' },
            finish_reason: completion.choices[0]?.finish_reason ?? 'stop',
          },
        ],
        routing_decision: completion.routing_decision ?? planning,
      };
      if (request.stream_options?.include_usage && completion.usage) {
        yield {
          id,
          object: 'chat.completion.chunk',
          created,
          model: completion.model,
          choices: [],
          usage: completion.usage,
        };
      }
    }
    return { id, decision: planning, answeredBy: ORCHESTRATE_MODEL, chunks: chunks() };
  }

  private async runOrchestration(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    started: number,
    onProgress?: (p: OrchestrationProgress) => void,
  ): Promise<ChatCompletion> {
    const input = routingInput(request, { costWeight: 0, explore: false, random: Math.random });
    try {
      const run = await this.orchestrate(request, ctx.signal, onProgress);
      const decision = { ...run.decision, strategy: 'orchestrator' };
      const text = run.completion.choices[0]?.message.content ?? '';
      const usage = isUsage(run.completion.usage)
        ? normaliseUsage(run.completion.usage)
        : estimateUsage(request.messages, text);
      const completion: ChatCompletion = { ...run.completion, id, usage, routing_decision: decision };
      const routed: Routed = { plan: { decision, order: [] }, input, forced: false };
      this.finish({
        id,
        request,
        ctx,
        routed,
        attempts: [],
        started,
        config: null,
        answeredBy: run.completion.model,
        text,
        usage,
        cost: run.cost_usd,
        error: null,
        steps: run.steps,
      });
      return completion;
    } catch (err) {
      const decision: RoutingDecision = {
        model: ORCHESTRATE_MODEL,
        confidence: 0,
        strategy: 'orchestrator',
        latency_ms: 0,
        explanation: 'Orchestration failed.',
        alternatives: [],
        estimated_cost: 0,
      };
      this.finish({
        id,
        request,
        ctx,
        routed: { plan: { decision, order: [] }, input, forced: false },
        attempts: [],
        started,
        config: null,
        text: null,
        usage: null,
        cost: 0,
        error: err,
      });
      throw err;
    }
  }

  /** Writes the one RequestRecord of this request and emits the live event; false if it was not kept. Never throws. */
  private finish(end: {
    id: string;
    request: ChatCompletionRequest;
    ctx: RunContext;
    routed: Routed;
    attempts: AttemptRecord[];
    started: number;
    config: ModelConfig | null;
    answeredBy?: string;
    text: string | null;
    usage: Usage | null;
    cost: number;
    error: unknown;
    steps?: RequestRecord['steps'];
  }): boolean {
    const { request, routed } = end;
    const status = end.error ? 'error' : 'ok';
    const routingText = routed.input.text;
    const record: RequestRecord = {
      request_id: end.id,
      created_at: Date.now(),
      source: end.ctx.source,
      requested_model: request.model,
      routing_text: routingText,
      messages: request.messages,
      request_params: tracedParams(request),
      decision: routed.plan.decision,
      status,
      answered_by: end.error ? null : (end.answeredBy ?? end.config?.name ?? null),
      response_text: end.text,
      error: end.error ? (end.error instanceof Error ? end.error.message : JSON.stringify(end.error)) : null,
      usage: end.usage,
      cost_usd: end.cost,
      latency_ms: Math.round((performance.now() - end.started) * 100) / 100,
      attempts: end.attempts,
      capabilities: [...routed.input.required, ...routed.input.preferred],
      ...(end.steps ? { steps: end.steps } : {}),
    };
    try {
      this.deps.store.saveRequest(record);
    } catch (err) {
      this.deps.log?.(`could not save request ${end.id}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    this.implicit.afterRequest(record, routed.forced);
    if (this.events.listeners > 0) this.events.emit({ type: 'decision', row: decisionRow(record) });
    return true;
  }
}

function tracedParams(request: ChatCompletionRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of TRACED_PARAMS) if (request[key] !== undefined) out[key] = request[key];
  if (request.tools) out['tools'] = request.tools.map((t) => t.function.name);
  return out;
}

export function decisionRow(record: RequestRecord): DecisionRow {
  return {
    request_id: record.request_id,
    created_at: record.created_at,
    source: record.source,
    requested_model: record.requested_model,
    prompt_preview: record.routing_text.slice(0, PREVIEW_CHARS),
    decision: record.decision,
    status: record.status,
    answered_by: record.answered_by,
    usage: record.usage,
    cost_usd: record.cost_usd,
    latency_ms: record.latency_ms,
    rating: null,
  };
}
