// gateway (issue 12): the cascade strategy (FrugalGPT / AutoMix style), as a ChatService wrapper
// in front of the chat pipeline. For "auto:cascade" (or every "auto" request with
// routing.strategy: cascade) it asks the cheapest suitable model first and accepts its answer
// unless a check fails (truncation, refusal, JSON for response_format, tool-call schema, the judge
// model's verdict), then escalates to the next model up. A model that errors is skipped (the
// fallback chain holds); routing.cascade.max_cost_usd stops escalating. Every step is in
// routing_decision.cascade and in the trace; a streamed request streams the accepted answer.
import type { AttemptRecord, OrchestrationTraceStep } from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, RoutingDecision } from '../../shared/openai';
import { buildCandidates, noCandidateError } from '../core/candidates';
import { cheapChecks, type CheapCheck, type CheckResult } from '../core/cascade-checks';
import { messageText, routingInput } from '../core/features';
import { passesLimit } from '../core/money';
import type { RouteInput } from '../core/ports';
import { keepRecord } from './chat';
import { RequestOutcome } from './outcome';
import type { ServiceDeps } from './deps';
import type { Gateway, RunContext } from './ports';
import { CASCADE_MODEL, type Routed, type RoutingService } from './routing';
import type { ChatService, ChatStream, LiveEvents } from './types';
import { newRequestId } from './usage';

export interface CascadeSettings {
  /** routing.strategy: cascade: plain "auto" cascades too. */
  always: boolean;
  models: string[] | undefined;
  maxSteps: number;
  judge: string | undefined;
  checks: CheapCheck[];
  maxCostUsd: number | undefined;
}

export const DEFAULT_CASCADE: CascadeSettings = {
  always: false,
  models: undefined,
  maxSteps: 3,
  judge: undefined,
  checks: ['truncation', 'refusal', 'format'],
  maxCostUsd: undefined,
};

type Step = NonNullable<RoutingDecision['cascade']>[number];

const JUDGE_SYSTEM =
  'You grade an assistant answer. Reply with exactly one word: ACCEPT if the answer is correct, complete ' +
  'and does what the request asks; REJECT otherwise.';

export class CascadeChat implements ChatService {
  constructor(
    private readonly inner: ChatService,
    private readonly deps: ServiceDeps,
    private readonly gateway: Gateway,
    private readonly routing: Pick<RoutingService, 'cooldown'>,
    private readonly events: LiveEvents,
  ) {}

  private settings(): CascadeSettings {
    return this.deps.config().cascade ?? DEFAULT_CASCADE;
  }

  private applies(request: ChatCompletionRequest): boolean {
    return request.model === CASCADE_MODEL || (request.model === 'auto' && this.settings().always);
  }

  // Not async: a request the cascade leaves alone gets the pipeline's own promise, without a
  // wrapping one whose settling costs the answer extra turns of the microtask queue.
  complete(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatCompletion> {
    if (!this.applies(request)) return this.inner.complete(request, ctx);
    return this.run(request, ctx);
  }

  stream(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatStream> {
    if (!this.applies(request)) return this.inner.stream(request, ctx);
    return this.streamCascade(request, ctx);
  }

  private async streamCascade(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatStream> {
    // Only an accepted answer may reach the client, so the cascade runs to its end first.
    const completion = await this.run({ ...request, stream: false }, ctx);
    const decision = completion.routing_decision!;
    return { id: completion.id, decision, answeredBy: completion.model, chunks: replay(completion, request) };
  }

  private async run(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatCompletion> {
    const started = performance.now();
    const id = newRequestId();
    const settings = this.settings();
    const config = this.deps.config();
    const input = routingInput(request, { costWeight: config.costWeight, explore: false, random: Math.random });
    const { candidates, excluded } = buildCandidates(config.pool, input, {
      isCoolingDown: (name) => this.routing.cooldown.isCoolingDown(name),
    });
    if (candidates.length === 0) throw noCandidateError(config.pool, excluded);
    const ladder = (
      settings.models
        ? settings.models.flatMap((name) => candidates.filter((c) => c.config.name === name))
        : [...candidates].sort((a, b) => a.expectedCost - b.expectedCost)
    ).slice(0, settings.maxSteps);
    if (ladder.length === 0)
      throw new FugusashiError('InvalidRequest', 'No routing.cascade.models model can serve this request.', 'model');

    const steps: Step[] = [];
    const trace: OrchestrationTraceStep[] = [];
    const attempts: AttemptRecord[] = [];
    let spent = 0;
    let chosen: { completion: ChatCompletion; step: Step } | null = null;
    let lastError: unknown = null;
    let stopReason = '';
    for (let i = 0; i < ladder.length; i++) {
      const candidate = ladder[i]!;
      const model = candidate.config.name;
      const last = i === ladder.length - 1;
      if (
        settings.maxCostUsd !== undefined &&
        i > 0 &&
        passesLimit(spent + candidate.expectedCost, settings.maxCostUsd)
      ) {
        stopReason = ` Stopped before ${model}: the cascade budget $${settings.maxCostUsd} would be exceeded.`;
        break;
      }
      const stepStarted = performance.now();
      const at = Date.now();
      let run;
      try {
        run = await this.gateway.run([model], { ...request, model, stream: false }, ctx.signal);
      } catch (err) {
        lastError = err;
        const step: Step = {
          model,
          status: 'failed',
          cost_usd: 0,
          latency_ms: ms(stepStarted),
          checks: [{ check: 'upstream', passed: false, detail: message(err) }],
        };
        steps.push(step);
        trace.push(traceStep(model, step, at, message(err)));
        if (ctx.signal.aborted) break;
        continue;
      }
      attempts.push(...run.attempts);
      spent += run.cost_usd;
      const choice = run.completion.choices[0];
      const answer = {
        content: choice?.message.content ?? null,
        tool_calls: choice?.message.tool_calls,
        finish_reason: choice?.finish_reason ?? null,
      };
      const checks: CheckResult[] = cheapChecks(request, answer, settings.checks);
      if (settings.judge && !last && checks.every((c) => c.passed)) {
        const verdict = await this.judge(settings.judge, request, answer.content ?? '', ctx);
        spent += verdict.cost;
        checks.push(verdict.result);
      }
      const passed = checks.every((c) => c.passed);
      const step: Step = {
        model,
        status: passed ? 'accepted' : last ? 'final' : 'rejected',
        cost_usd: run.cost_usd,
        latency_ms: ms(stepStarted),
        checks,
      };
      steps.push(step);
      trace.push(traceStep(model, step, at, answer.content ?? ''));
      chosen = { completion: run.completion, step };
      if (passed) break;
    }
    if (!chosen) {
      const error =
        lastError instanceof Error ? lastError : new FugusashiError('UpstreamFailed', 'Every cascade model failed.');
      const outcome = this.outcome(id, request, ctx, failedDecision(steps), input, started, attempts);
      outcome.failed(error, { config: null, text: null, usage: null, cost: 0, steps: trace });
      throw error;
    }
    const decision: RoutingDecision = {
      model: chosen.step.model,
      confidence: chosen.step.status === 'accepted' ? 1 : 0.5,
      strategy: 'cascade',
      latency_ms: ms(started),
      explanation: explain(steps) + stopReason,
      alternatives: ladder.map((c) => ({ model: c.config.name, score: c.expectedCost })),
      estimated_cost: spent,
      cascade: steps,
    };
    const completion: ChatCompletion = { ...chosen.completion, id, routing_decision: decision };
    this.outcome(id, request, ctx, decision, input, started, attempts).answered({
      config: null,
      answeredBy: completion.model,
      text: completion.choices[0]?.message.content ?? null,
      usage: completion.usage ?? null,
      cost: spent,
      steps: trace,
    });
    return completion;
  }

  private async judge(
    judge: string,
    request: ChatCompletionRequest,
    answer: string,
    ctx: RunContext,
  ): Promise<{ result: CheckResult; cost: number }> {
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
    const question = lastUser ? messageText(lastUser) : '';
    try {
      const run = await this.gateway.run(
        [judge],
        {
          model: judge,
          temperature: 0,
          max_tokens: 5,
          messages: [
            { role: 'system', content: JUDGE_SYSTEM },
            { role: 'user', content: `Request:\n${question}\n\nAnswer:\n${answer}` },
          ],
        },
        ctx.signal,
      );
      const verdict = (run.completion.choices[0]?.message.content ?? '').trim().toUpperCase();
      const accepted = verdict.startsWith('ACCEPT');
      return {
        result: { check: 'judge', passed: accepted, detail: `${judge}: ${verdict.slice(0, 20) || '(no verdict)'}` },
        cost: run.cost_usd,
      };
    } catch (err) {
      // A judge that cannot answer cannot vouch for the answer: escalate.
      return { result: { check: 'judge', passed: false, detail: `${judge} failed: ${message(err)}` }, cost: 0 };
    }
  }

  /** The request's one record (services/outcome.ts), with every step's upstream attempts. */
  private outcome(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    decision: RoutingDecision,
    input: RouteInput,
    started: number,
    attempts: readonly AttemptRecord[],
  ): RequestOutcome {
    const routed: Routed = { plan: { decision, order: [] }, input, forced: false };
    const outcome = new RequestOutcome(
      (record) => keepRecord(this.deps, this.events, record),
      id,
      request,
      ctx,
      routed,
      started,
    );
    outcome.attempts.push(...attempts);
    return outcome;
  }
}

function explain(steps: readonly Step[]): string {
  const parts = steps.map((s) => {
    const failed = s.checks.find((c) => !c.passed);
    if (s.status === 'accepted') return `${s.model} accepted`;
    if (s.status === 'final') return `${s.model} answered last${failed ? ` (${failed.check}: ${failed.detail})` : ''}`;
    return `${s.model} ${s.status} (${failed ? `${failed.check}: ${failed.detail}` : 'failed'})`;
  });
  return `Cascade, cheapest first: ${parts.join('; ')}.`;
}

function failedDecision(steps: Step[]): RoutingDecision {
  return {
    model: steps.at(-1)?.model ?? CASCADE_MODEL,
    confidence: 0,
    strategy: 'cascade',
    latency_ms: 0,
    explanation: `Cascade: every model failed. ${explain(steps)}`,
    alternatives: [],
    estimated_cost: 0,
    cascade: steps,
  };
}

function traceStep(model: string, step: Step, at: number, output: string): OrchestrationTraceStep {
  const failed = step.checks.find((c) => !c.passed);
  return {
    id: `cascade-${model}`,
    kind: 'subtask',
    model,
    reason: failed ? `${step.status}: ${failed.check}: ${failed.detail}` : step.status,
    started_at: at,
    duration_ms: step.latency_ms,
    cost_usd: step.cost_usd,
    status: step.status === 'failed' ? 'failed' : 'ok',
    output_preview: output.slice(0, 200),
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- async only to be the stream's AsyncIterable
async function* replay(
  completion: ChatCompletion,
  request: ChatCompletionRequest,
): AsyncGenerator<ChatCompletionChunk> {
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
  };
  const choice = completion.choices[0];
  const delta: ChatCompletionChunk['choices'][number]['delta'] = {
    role: 'assistant',
    content: choice?.message.content ?? '',
  };
  if (choice?.message.tool_calls)
    delta.tool_calls = choice.message.tool_calls.map((t, index) => ({
      index,
      id: t.id,
      type: 'function',
      function: t.function,
    }));
  yield {
    ...base,
    choices: [{ index: 0, delta, finish_reason: null }],
    routing_decision: completion.routing_decision!,
  };
  yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: choice?.finish_reason ?? 'stop' }] };
  if (request.stream_options?.include_usage && completion.usage)
    yield { ...base, choices: [], usage: completion.usage };
}

function ms(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
