// The one record every chat request leaves, however it ends (answered, failed before any answer,
// failed or cut off mid-stream, orchestrated, answered from the cache, cascaded): opened when the
// request is routed, closed exactly once, then handed to `save` (the store, implicit signals, the
// live event).
import type { AttemptRecord } from '../../shared/api';
import type { ModelConfig } from '../../shared/config';
import type { ChatCompletionRequest, Usage } from '../../shared/openai';
import type { RequestRecord } from '../core/ports';
import type { RunContext } from './ports';
import type { Routed } from './routing';

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

/** What is known of the answer when the request ends (all null when no model answered). */
export interface AnswerPart {
  config: ModelConfig | null;
  /** Who answered when it is not a pool model (the orchestrator's synthesizer). */
  answeredBy?: string;
  text: string | null;
  usage: Usage | null;
  cost: number;
  steps?: RequestRecord['steps'];
  /** Extra request_params for the trace (the cache entry a hit was answered from). */
  params?: Record<string, unknown>;
}

const NO_ANSWER: AnswerPart = { config: null, text: null, usage: null, cost: 0 };

/** What a stopped team had done: its steps so far and what they cost. */
export interface TeamWork {
  cost_usd: number;
  steps: NonNullable<RequestRecord['steps']>;
}

export const NO_TEAM_WORK: TeamWork = { cost_usd: 0, steps: [] };

export class RequestOutcome {
  /** Filled by the attempt loop: one entry per upstream tried. */
  readonly attempts: AttemptRecord[] = [];
  private closed = false;
  /** What was spent on the request besides its answer: a team that stopped (budget, cancel). */
  private spentBefore = 0;
  private stepsBefore: RequestRecord['steps'];

  constructor(
    /** Stores the record; false when the store could not keep it. */
    private readonly save: (record: RequestRecord, forced: boolean) => boolean,
    readonly id: string,
    private readonly request: ChatCompletionRequest,
    private readonly ctx: RunContext,
    private readonly routed: Routed,
    private readonly started: number,
  ) {}

  /** Closes the record of an answered request; false when the store could not keep it. */
  answered(answer: AnswerPart): boolean {
    return this.close(answer, null);
  }

  failed(error: unknown, partial: AnswerPart = NO_ANSWER): boolean {
    return this.close(partial, error);
  }

  /**
   * A team that worked on this request and stopped (its budget, a cancel): the record's cost
   * includes what it spent, and its trace lists the steps that ran (unless the answer has its own).
   */
  teamStopped(team: TeamWork): void {
    this.spentBefore += team.cost_usd;
    if (team.steps.length > 0) this.stepsBefore = team.steps;
  }

  private close(answer: AnswerPart, error: unknown): boolean {
    if (this.closed) return true;
    this.closed = true;
    const { request, routed } = this;
    const record: RequestRecord = {
      request_id: this.id,
      created_at: Date.now(),
      source: this.ctx.source,
      requested_model: request.model,
      routing_text: routed.input.text,
      messages: request.messages,
      request_params: answer.params ? { ...tracedParams(request), ...answer.params } : tracedParams(request),
      decision: routed.plan.decision,
      status: error ? 'error' : 'ok',
      answered_by: error ? null : (answer.answeredBy ?? answer.config?.name ?? null),
      response_text: answer.text,
      error: error ? (error instanceof Error ? error.message : JSON.stringify(error)) : null,
      usage: answer.usage,
      cost_usd: answer.cost + this.spentBefore,
      latency_ms: Math.round((performance.now() - this.started) * 100) / 100,
      attempts: this.attempts,
      capabilities: routed.input.required.concat(routed.input.preferred),
    };
    // Set only when there are steps, rather than an object spread into the literal, which every
    // request's record paid for (2-3 µs of its 18-21, steps or not).
    const steps = answer.steps ?? this.stepsBefore;
    if (steps) record.steps = steps;
    return this.save(record, routed.forced);
  }
}

const TRACED_KEYS: ReadonlySet<string> = new Set(TRACED_PARAMS);

function tracedParams(request: ChatCompletionRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // The request's own keys (a few), not a lookup per traced name: see buildOpenAIBody.
  const source = request as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (TRACED_KEYS.has(key) && source[key] !== undefined) out[key] = source[key];
  }
  if (request.tools) out['tools'] = request.tools.map((t) => t.function.name);
  return out;
}
