// Chat: route, call with fallback, price, record once when the request ends, tell live listeners.
import type { DecisionRow } from '../../shared/api';
import { asciiJson } from '../../shared/ascii-json';
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
import type { OrchestratorRunOptions, ServiceDeps } from './deps';
import type { ImplicitSignals } from './implicit';
import type { RunContext } from './ports';
import { shouldEscalate } from '../orchestrator/escalate';
import type { OrchestrationStopDetails } from '../orchestrator/orchestrator';
import { ORCHESTRATE_MODEL, type Routed, type RoutingService } from './routing';
import type { ChatService, ChatStream, LiveEvents } from './types';
import { AsyncQueue } from './async-queue';
import { NO_TEAM_WORK, RequestOutcome, type TeamWork } from './outcome';
import { CANCELLED_ATTEMPT, describe, upstreamDetails, type OpenedStream, type Upstreams } from './upstream';
import { isUsage, newRequestId, normaliseUsage, priceAnswer, settleUsage } from './usage';
import { choicesAsChunks, completeChoices, toAsync } from './choices';

const PREVIEW_CHARS = 200;
export class Chat implements ChatService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly routing: RoutingService,
    private readonly upstreams: Upstreams,
    private readonly events: LiveEvents,
    private readonly implicit: ImplicitSignals,
    private readonly orchestrate: (
      request: ChatCompletionRequest,
      options: OrchestratorRunOptions,
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
    if (request.model === ORCHESTRATE_MODEL) return this.runOrchestration(id, request, ctx, started);
    let routed = this.routing.forced(request) ?? (await this.routing.plan(request));
    const escalation = this.escalation(request, routed);
    let teamWork = NO_TEAM_WORK;
    if (escalation) {
      try {
        return await this.runOrchestration(id, request, ctx, started, undefined, escalation);
      } catch (err) {
        // The client asked for `auto`: a team its budget cannot pay for leaves the routed model.
        if (!leftToRoutedModel(err, ctx)) throw err;
        routed = notEscalated(routed, err);
        teamWork = workOf(err);
      }
    }
    const outcome = this.open(id, request, ctx, routed, started);
    outcome.teamStopped(teamWork);
    try {
      // n > 1: the choices are made in parallel by the model the first call lands on (choices.ts).
      const { completion, config } = await completeChoices(routed.plan.order, request, (order, req) =>
        this.upstreams.complete(order, req, ctx.signal, outcome.attempts),
      );
      const text = completion.choices[0]?.message.content ?? '';
      const { usage, cost } = priceAnswer(config, completion.usage, request.messages, text);
      const kept = outcome.answered({ config, text, usage, cost });
      const decision = kept ? routed.plan.decision : { ...routed.plan.decision, record_kept: false };
      return { ...completion, id, model: config.name, usage, routing_decision: decision };
    } catch (err) {
      outcome.failed(err);
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
    // A named pool model is planned at once: no await between the request and its upstream call.
    const routed = this.routing.forced(request) ?? (await this.routing.plan(request));
    const escalation = this.escalation(request, routed);
    if (escalation) return this.streamOrchestrated(id, request, ctx, started, { reason: escalation, routed });
    // (`return await`: an async function returning a promise settles two microtask turns later.)
    return await this.streamRouted(id, request, ctx, routed, started);
  }

  /** The routed model's stream (with fallback along the plan), named after the model that answers. */
  private async streamRouted(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    routed: Routed,
    started: number,
    /** What an escalated team did before its budget stopped it (the record counts it). */
    teamWork = NO_TEAM_WORK,
  ): Promise<ChatStream> {
    const opening = this.openRouted(id, request, ctx, routed, started, teamWork);
    // The request is on its way to the upstream: what the doors will need is made while it works.
    const decisionJson = asciiJson(routed.plan.decision);
    const { opened, outcome } = await opening;
    return {
      id,
      decision: routed.plan.decision,
      decisionJson,
      answeredBy: opened.config.name,
      chunks: this.relay(request, ctx, routed, outcome, opened),
    };
  }

  /** Opens the routed model's stream (with fallback along the plan); the request's record fails with it. */
  private async openRouted(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    routed: Routed,
    started: number,
    /** What an escalated team did before its budget stopped it (the record counts it). */
    teamWork = NO_TEAM_WORK,
  ): Promise<{ opened: OpenedStream; outcome: RequestOutcome }> {
    const outcome = this.open(id, request, ctx, routed, started);
    outcome.teamStopped(teamWork);
    try {
      return {
        opened: await this.upstreams.openStream(routed.plan.order, request, ctx.signal, outcome.attempts),
        outcome,
      };
    } catch (err) {
      outcome.failed(err);
      throw err;
    }
  }

  /**
   * orchestrator.auto_escalate_below: when the router predicts that even its pick answers below
   * that quality, a team (planner, specialists, synthesizer) takes the request instead. Returns
   * why, or null to answer with the single model.
   */
  private escalation(request: ChatCompletionRequest, routed: Routed): string | null {
    if (!this.deps.orchestrator) return null;
    const config = this.deps.config();
    // Off unless configured (the usual case): nothing to weigh on the way to the upstream call.
    if (config.orchestrator?.auto_escalate_below === undefined) return null;
    const verdict = {
      strategy: routed.plan.decision.strategy,
      abstain: false,
      ...(routed.plan.predictedQuality !== undefined ? { predictedQuality: routed.plan.predictedQuality } : {}),
    };
    const decision = shouldEscalate(config.orchestrator, {
      requestedModel: request.model,
      verdict,
      ...(routed.plan.bestPredictedQuality !== undefined
        ? { bestPredictedQuality: routed.plan.bestPredictedQuality }
        : {}),
      poolSize: config.pool.filter((m) => m.enabled !== false).length,
    });
    return decision.escalate ? `Escalated to the orchestrator: ${decision.reason}.` : null;
  }

  private open(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    routed: Routed,
    started: number,
  ): RequestOutcome {
    // A rating may come before the record (a stream's id is in its first chunk): feedback holds it.
    this.implicit.feedback.requestOpened(id);
    return new RequestOutcome(
      (record, forced) => this.save(record, forced, ctx.client),
      id,
      request,
      ctx,
      routed,
      started,
    );
  }

  /** Re-labels upstream chunks as the daemon's, collects text and usage, records at the end. */
  private async *relay(
    request: ChatCompletionRequest,
    ctx: RunContext,
    routed: Routed,
    outcome: RequestOutcome,
    opened: OpenedStream,
  ): AsyncGenerator<ChatCompletionChunk> {
    const id = outcome.id;
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
      // Without its usage (`delete` would turn the copy into a slow dictionary-mode object, which
      // costs more to serialise; most chunks have no usage key at all).
      let out: ChatCompletionChunk;
      if ('usage' in chunk) {
        const { usage: _sentAtTheEnd, ...rest } = chunk;
        out = { ...rest, id, created, model };
      } else out = { ...chunk, id, created, model };
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
      const finalUsage: Usage = settleUsage(usage, request.messages, text);
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
        : new FugusashiError(
            'UpstreamFailed',
            `${model} failed mid-stream: ${describe(err)}`,
            null,
            upstreamDetails(err),
          );
    } finally {
      if (!finished && error === null) {
        // The consumer stopped reading (client went away): stop the upstream too.
        error = new FugusashiError('Cancelled', 'The client disconnected during the stream.');
        opened.attempt.status = 'error';
        opened.attempt.error = CANCELLED_ATTEMPT;
        void opened.rest.return?.();
      }
      this.upstreams.streamDone(opened);
      const answer = { config: opened.config, text, ...priceAnswer(opened.config, usage, request.messages, text) };
      const kept = error === null ? outcome.answered(answer) : outcome.failed(error, answer);
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

  /**
   * `auto:orchestrate`, or an `auto` request escalated to the team, as a stream. Nothing is sent
   * until the orchestrator's first budget check: only then is it known whether the team answers
   * at all, and the doors name the answering model before the first chunk (x-fugusashi-model,
   * message_start, the RPC completion). A team its budget stops there leaves an escalated request
   * to the routed model's own stream, named after that model; a run stopped there for any other
   * reason is an error status (nothing was sent yet). Once the team is underway its progress
   * streams live; if its budget stops it later the routed model's stream follows the progress
   * shown, and its chunks carry the decision that names the model that answered and why.
   */
  private async streamOrchestrated(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    started: number,
    /** Set when auto-escalation chose the team for a request routed to `routed`. */
    escalated?: { reason: string; routed: Routed },
  ): Promise<ChatStream> {
    const escalation = escalated?.reason;
    // Its progress chunks carry the id long before the record is opened: a rating may come now.
    this.implicit.feedback.requestOpened(id);
    // Progress events are queued and streamed as they come; the final answer follows them.
    const progress = new AsyncQueue<ChatCompletionChunk>();
    const created = Math.floor(Date.now() / 1000);
    const planning: RoutingDecision = {
      model: ORCHESTRATE_MODEL,
      confidence: 1,
      strategy: 'orchestrator',
      latency_ms: 0,
      explanation: `${escalation ? `${escalation} ` : ''}Orchestrated: a planner splits the task, specialists answer the parts, a synthesizer combines them.`,
      alternatives: [],
      estimated_cost: 0,
    };
    let result: ChatCompletion | null = null;
    let underway = (): void => undefined;
    const teamRuns = new Promise<null>((resolve) => (underway = () => resolve(null)));
    const settled = this.runOrchestration(
      id,
      request,
      ctx,
      started,
      {
        onProgress: (p) =>
          progress.push({
            id,
            object: 'chat.completion.chunk',
            created,
            model: ORCHESTRATE_MODEL,
            choices: [],
            orchestration: p,
          }),
        onUnderway: underway,
      },
      escalation,
    ).then(
      (completion) => {
        result = completion;
        progress.end();
        return null;
      },
      (err: unknown) => {
        progress.end(err instanceof Error ? err : new Error('orchestration failed', { cause: err }));
        return { error: err };
      },
    );
    const stoppedEarly = await Promise.race([teamRuns, settled]);
    if (stoppedEarly) {
      const { error } = stoppedEarly;
      if (!escalated || !leftToRoutedModel(error, ctx)) throw error;
      return this.streamRouted(id, request, ctx, notEscalated(escalated.routed, error), started, workOf(error));
    }
    // An escalated run its budget stopped after it started: the routed model's stream follows the
    // progress shown; its first chunk carries the decision naming the model that answered and why.
    const fallBack = (err: unknown): AsyncGenerator<ChatCompletionChunk> | null => {
      if (!escalated || !leftToRoutedModel(err, ctx)) return null;
      const routed = notEscalated(escalated.routed, err);
      return (async function* (chat: Chat) {
        const { opened, outcome } = await chat.openRouted(id, request, ctx, routed, started, workOf(err));
        yield* chat.relay(request, ctx, routed, outcome, opened);
      })(this);
    };
    async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
      let first = true;
      try {
        for await (const chunk of progress) {
          if (first) {
            chunk.routing_decision = planning;
            first = false;
          }
          yield chunk;
        }
      } catch (err) {
        const single = fallBack(err);
        if (!single) throw err;
        yield* single;
        return;
      }
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
    hooks: Omit<OrchestratorRunOptions, 'signal'> = {},
    escalation?: string,
  ): Promise<ChatCompletion> {
    const input = routingInput(request, { costWeight: 0, explore: false, random: Math.random });
    const failedDecision: RoutingDecision = {
      model: ORCHESTRATE_MODEL,
      confidence: 0,
      strategy: 'orchestrator',
      latency_ms: 0,
      explanation: 'Orchestration failed.',
      alternatives: [],
      estimated_cost: 0,
    };
    let routed: Routed = { plan: { decision: failedDecision, order: [] }, input, forced: false };
    try {
      const run = await this.orchestrate(request, { ...hooks, signal: ctx.signal });
      const decision: RoutingDecision = { ...run.decision, strategy: 'orchestrator' };
      if (escalation) decision.explanation = `${escalation} ${decision.explanation}`;
      routed = { plan: { decision, order: [] }, input, forced: false };
      const text = run.completion.choices[0]?.message.content ?? '';
      // The orchestrator priced its own steps (several models): its total is the cost.
      const usage = settleUsage(run.completion.usage, request.messages, text);
      this.open(id, request, ctx, routed, started).answered({
        config: null,
        answeredBy: run.completion.model,
        text,
        usage,
        cost: run.cost_usd,
        steps: run.steps,
      });
      return { ...run.completion, id, usage, routing_decision: decision };
    } catch (err) {
      // An escalated run its budget stopped is not the request's end: the routed model answers
      // under the same id and that is the one record (complete / streamOrchestrated).
      if (!(escalation && leftToRoutedModel(err, ctx))) {
        const outcome = this.open(id, request, ctx, routed, started);
        // A stopped run (budget, cancel) has paid for the steps it ran: the request cost that much,
        // and its trace shows them.
        if (err instanceof FugusashiError) outcome.teamStopped(workOf(err));
        outcome.failed(err);
      }
      throw err;
    }
  }

  /** Stores the request's one record, tells the implicit-feedback tracker and live listeners. Never throws. */
  /** Stores the request's record and tells listeners; false if the store could not keep it. Never throws. */
  private save(record: RequestRecord, forced: boolean, client: string | undefined): boolean {
    const kept = keepRecord(this.deps, this.events, record, () => this.implicit.afterRequest(record, forced, client));
    this.implicit.feedback.requestClosed(record.request_id, kept);
    return kept;
  }
}

/**
 * Stores a finished request record, runs `onKept`, and tells live listeners (dashboard, status bar).
 * False, logged, when the store could not keep it. Never throws: every kind of chat (routed, cached,
 * cascaded) ends here.
 */
export function keepRecord(
  deps: Pick<ServiceDeps, 'store' | 'log'>,
  events: LiveEvents,
  record: RequestRecord,
  onKept?: () => void,
): boolean {
  try {
    deps.store.saveRequest(record);
  } catch (err) {
    deps.log?.(`could not save request ${record.request_id}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
  onKept?.();
  // Live listeners (metrics, traces, the dashboard, VS Code windows) hear of it once the answer is
  // out: bookkeeping, not part of the answer. setImmediate runs before the next poll for I/O, so
  // the next request and the next scrape still see it.
  if (events.listeners > 0) setImmediate(emitDecision, events, record);
  return true;
}

function emitDecision(events: LiveEvents, record: RequestRecord): void {
  events.emit({ type: 'decision', row: decisionRow(record) });
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

/**
 * An escalated team its budget stopped (max_cost_usd, max_seconds) while the client still waits: the
 * request the client sent as `auto` is then the routed model's to answer.
 */
function leftToRoutedModel(err: unknown, ctx: RunContext): err is FugusashiError {
  return err instanceof FugusashiError && err.kind === 'BudgetExceeded' && !ctx.signal.aborted;
}

/** What the stopped team had done (the orchestrator's stop details): money and steps the request cost too. */
function workOf(err: FugusashiError): TeamWork {
  const details = err.details as Partial<OrchestrationStopDetails> | undefined;
  const cost = details?.cost_usd;
  return {
    cost_usd: typeof cost === 'number' && Number.isFinite(cost) ? cost : 0,
    steps: Array.isArray(details?.steps) ? details.steps : [],
  };
}

/** `routed` with its explanation saying why the team did not answer. */
function notEscalated(routed: Routed, err: FugusashiError): Routed {
  const decision = {
    ...routed.plan.decision,
    explanation: `Not escalated: ${err.message.replace(/ Raise the limit.*$/, '')} ${routed.plan.decision.explanation}`,
  };
  return { ...routed, plan: { ...routed.plan, decision } };
}
