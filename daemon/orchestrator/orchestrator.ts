// Tier 2: a planner model splits the request into sub-tasks, each sub-task is routed by the Tier 1
// router on its own text and capability (adjusted by what ratings taught the team memory) and run
// through the Gateway as the dependency graph allows, and a synthesizer model writes the answer.
// Every step is recorded for the trace and reported live through onProgress. A plan that stays
// invalid after one retry, or a run in which every sub-task failed, falls back to single-model
// routing with the reason in the decision; budget limits and cancellation stop the run with an error.
import { randomUUID } from 'node:crypto';
import type { OrchestrationProgress, OrchestrationTraceStep } from '../../shared/api';
import {
  CAPABILITIES,
  DEFAULTS,
  type Capability,
  type ModelConfig,
  type OrchestratorConfig,
} from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type {
  ChatCompletion,
  ChatCompletionRequest,
  ChatMessage,
  OrchestrationStepSummary,
  RoutingDecision,
  Usage,
} from '../../shared/openai';
import type { Outcome } from '../core/ports';
import type { CancelSignal } from '../providers/types';
import type { Gateway } from '../services/ports';
import { Budget, BudgetExceeded, EXPECTED_OUTPUT_TOKENS, estimateCallCost, resolveLimits } from './budget';
import { parsePlan, planPattern, type Plan, type PlannedSubtask } from './plan';
import {
  clip,
  conversationText,
  plannerMessages,
  plannerRetryMessages,
  subtaskMessages,
  synthesisMessages,
} from './prompts';
import { runDag } from './scheduler';
import { TeamMemory, creditedSteps, outcomeSource, ratingToScore } from './team';

export interface OrchestratorDeps {
  gateway: Gateway;
  config: () => OrchestratorConfig | undefined;
  /** Shared with the benchmark and tests; a fresh one otherwise. */
  memory?: TeamMemory;
  /** λ of the Tier 1 router (routing.cost_weight: quality points of 100 per US cent); default DEFAULTS.costWeight. */
  costWeight?: () => number;
  now?: () => number;
}

export interface OrchestrationResult {
  completion: ChatCompletion;
  decision: RoutingDecision;
  steps: OrchestrationTraceStep[];
  cost_usd: number;
}

export interface RunOptions {
  signal: CancelSignal;
  onProgress?: (event: OrchestrationProgress) => void;
  /**
   * Called once, when the run's first model call passed the budget check: from then on the team
   * runs (its budget may still stop it later). A run stopped before it never calls this, so a
   * caller can wait for it to know whether the team will answer at all.
   */
  onUnderway?: () => void;
}

/** What FugusashiError.details holds when a run stops (BudgetExceeded, Cancelled): the partial trace. */
export interface OrchestrationStopDetails {
  steps: OrchestrationTraceStep[];
  cost_usd: number;
}

export interface Orchestrator {
  run(request: ChatCompletionRequest, opts: RunOptions): Promise<OrchestrationResult>;
  /**
   * A rating (1–5) of an orchestrated answer: credits the plan's pattern and each specialist's
   * (capability, model) pair in the team memory, and returns the outcomes to store and feed to the
   * learner (prompt = the sub-task's instructions, source = "orchestrator:<capability>@<pattern>").
   */
  creditRating(
    steps: readonly OrchestrationTraceStep[],
    rating: number,
    meta?: { request_id?: string; created_at?: number },
  ): Omit<Outcome, 'id'>[];
  /** At daemon start: rebuild the team memory from stored outcomes (rows of other sources are ignored). */
  restore(outcomes: readonly Outcome[]): void;
  readonly memory: TeamMemory;
}

/** Weight of a sub-task outcome: a rating of the whole answer is a weaker label for each part. */
export const SUBTASK_CREDIT_WEIGHT = 0.5;
const PREVIEW_CHARS = 400;
const RESERVED_STEP_IDS = ['plan', 'plan-retry', 'synthesis', 'fallback'];

export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const memory = deps.memory ?? new TeamMemory();
  const now = deps.now ?? Date.now;
  return {
    memory,
    run: (request, opts) =>
      new Run(
        deps.gateway,
        deps.config(),
        memory,
        deps.costWeight?.() ?? DEFAULTS.costWeight,
        now,
        request,
        opts,
      ).execute(),
    creditRating(steps, rating, meta) {
      const score = ratingToScore(rating);
      const subtasks = steps.filter((s) => s.kind === 'subtask');
      const pattern =
        subtasks.length > 0
          ? planPattern({
              subtasks: subtasks.map((s) => ({
                id: s.id,
                capability: s.capability ?? 'chat',
                instructions: s.instructions ?? '',
                depends_on: s.depends_on ?? [],
              })),
            })
          : undefined;
      if (pattern) memory.creditPattern(pattern, score);
      return creditedSteps(steps).map((s) => {
        const capability = s.capability ?? 'chat';
        memory.creditPair(capability, s.model, score, SUBTASK_CREDIT_WEIGHT);
        return {
          prompt: s.instructions ?? '',
          model: s.model,
          score,
          weight: SUBTASK_CREDIT_WEIGHT,
          source: outcomeSource(capability, pattern),
          request_id: meta?.request_id ?? null,
          created_at: meta?.created_at ?? now(),
        };
      });
    },
    restore: (outcomes) => memory.restore(outcomes),
  };
}

interface SubtaskResult {
  text: string;
  capability: string;
}

/** One orchestration: owns its budget, its abort controller and its steps. */
class Run {
  private readonly started: number;
  private readonly budget: Budget;
  private readonly controller = new AbortController();
  private readonly steps = new Map<string, OrchestrationTraceStep>();
  private readonly usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  private readonly pool: readonly ModelConfig[];
  private readonly task: string;
  private routeConfidences: number[] = [];
  /** Set once the plan is valid: the trace lists sub-tasks in its order. */
  private plan_: Plan | undefined;
  /** Set once a model call passed the budget check (RunOptions.onUnderway was called). */
  private underway = false;

  constructor(
    private readonly gateway: Gateway,
    private readonly config: OrchestratorConfig | undefined,
    private readonly memory: TeamMemory,
    private readonly costWeight: number,
    private readonly now: () => number,
    private readonly request: ChatCompletionRequest,
    private readonly opts: RunOptions,
  ) {
    this.started = now();
    this.budget = new Budget(resolveLimits(config));
    this.pool = gateway.pool().filter((m) => m.enabled !== false);
    this.task = conversationText(request.messages);
  }

  async execute(): Promise<OrchestrationResult> {
    if (this.pool.length === 0)
      throw new FugusashiError('NoModels', 'No models are configured, so nothing can be orchestrated.');
    const cancel = (): void =>
      this.controller.abort(new FugusashiError('Cancelled', 'The orchestration was cancelled.'));
    if (this.opts.signal.aborted) cancel();
    this.opts.signal.addEventListener('abort', cancel, { once: true });
    const { max_seconds } = this.budget.limits;
    const deadline = setTimeout(() => {
      this.budget.stop(`max_seconds ${max_seconds} s passed before the answer was written`);
      this.controller.abort(new BudgetExceeded(this.budget.exceeded ?? 'max_seconds'));
    }, max_seconds * 1000);
    deadline.unref?.();
    try {
      return await this.orchestrate();
    } catch (err) {
      throw this.stopError(err);
    } finally {
      clearTimeout(deadline);
      this.opts.signal.removeEventListener('abort', cancel);
    }
  }

  private async orchestrate(): Promise<OrchestrationResult> {
    const planned = await this.plan();
    if (!planned.ok) return this.singleModel(planned.reason);
    const { plan } = planned;
    this.plan_ = plan;

    const results = await runDag<PlannedSubtask, SubtaskResult>({
      nodes: plan.subtasks,
      maxParallel: this.budget.limits.max_parallel,
      signal: this.controller.signal,
      run: (node, depResults, signal) => this.runSubtask(node, depResults, signal),
    });
    this.throwIfStopped();

    const forSynthesis = new Map<string, { text: string } | { error: string }>();
    for (const s of plan.subtasks) {
      const r = results.get(s.id);
      if (r?.status === 'ok') forSynthesis.set(s.id, { text: r.value.text });
      else if (r?.status === 'skipped') {
        forSynthesis.set(s.id, { error: `skipped: ${r.reason}` });
        this.record({ ...this.subtaskStep(s), model: '', reason: r.reason, status: 'skipped', error: r.reason });
      } else if (r?.status === 'failed') forSynthesis.set(s.id, { error: errorMessage(r.error) });
    }
    const succeeded = plan.subtasks.filter((s) => results.get(s.id)?.status === 'ok');
    if (succeeded.length === 0) {
      const first = plan.subtasks.map((s) => this.steps.get(s.id)?.error).find((e) => e !== undefined);
      return this.singleModel(`every sub-task failed${first ? ` (${first})` : ''}`);
    }
    return this.synthesize(plan, forSynthesis);
  }

  // ------------------------------------------------------------ planning

  private async plan(): Promise<{ ok: true; plan: Plan; pattern: string } | { ok: false; reason: string }> {
    const capabilities = this.capabilities();
    const patternHints = this.memory
      .ratedPatterns(1)
      .slice(0, 5)
      .map((p) => `${p.pattern} rated ${(1 + 4 * p.score).toFixed(1)}/5 (${p.n} ratings)`);
    const messages = plannerMessages({
      task: this.task,
      capabilities,
      maxSubtasks: this.budget.limits.max_subtasks,
      patternHints,
    });
    const rules = { capabilities, maxSubtasks: this.budget.limits.max_subtasks, reservedIds: RESERVED_STEP_IDS };
    const { order, reason } = await this.chooseRole('planner', this.config?.planner, 'reasoning');
    this.emit('planning', `planning with ${order[0]}`, { step_id: 'plan', model: order[0] });

    const first = await this.callStep('plan', 'plan', order, messages, reason, EXPECTED_OUTPUT_TOKENS.plan);
    if (!first.ok) return { ok: false, reason: `the planner failed: ${first.error}` };
    let parsed = parsePlan(first.text, rules);
    if (!parsed.ok) {
      this.markStep('plan', { status: 'failed', error: parsed.error });
      this.emit('planning', `plan rejected (${parsed.error}); asking ${first.model} once more`, {
        step_id: 'plan-retry',
        model: first.model,
      });
      const retryMessages = plannerRetryMessages(messages, first.text, parsed.error);
      const retryOrder = [first.model, ...order.filter((m) => m !== first.model)];
      const second = await this.callStep(
        'plan-retry',
        'plan',
        retryOrder,
        retryMessages,
        `retry: ${parsed.error}`,
        EXPECTED_OUTPUT_TOKENS.plan,
      );
      if (!second.ok)
        return { ok: false, reason: `the plan was invalid (${parsed.error}) and the retry failed: ${second.error}` };
      const again = parsePlan(second.text, rules);
      if (!again.ok) {
        this.markStep('plan-retry', { status: 'failed', error: again.error });
        return { ok: false, reason: `the planner's plan was invalid twice (${parsed.error}; then ${again.error})` };
      }
      parsed = again;
    }
    const stepId = this.steps.has('plan-retry') ? 'plan-retry' : 'plan';
    const pattern = planPattern(parsed.plan);
    const repaired = parsed.repairs.length > 0 ? `; repaired: ${parsed.repairs.join('; ')}` : '';
    this.markStep(stepId, {
      reason: `${this.steps.get(stepId)?.reason ?? ''} → ${parsed.plan.subtasks.length} sub-tasks, shape ${pattern}${repaired}`,
    });
    this.emit(
      'planned',
      `${parsed.plan.subtasks.length} sub-tasks: ${parsed.plan.subtasks.map((s) => `${s.id} (${s.capability})`).join(', ')}`,
      {
        step_id: stepId,
        plan: parsed.plan.subtasks.map((s) => ({ ...s, depends_on: [...s.depends_on] })),
      },
    );
    return { ok: true, plan: parsed.plan, pattern };
  }

  /** The pool's capability names, in the config's canonical order first. */
  private capabilities(): string[] {
    const all = new Set(this.pool.flatMap((m) => m.capabilities));
    if (all.size === 0) all.add('chat');
    const known = CAPABILITIES.filter((c) => all.has(c));
    return [...known, ...[...all].filter((c) => !(CAPABILITIES as readonly string[]).includes(c)).sort()];
  }

  // ------------------------------------------------------------ sub-tasks

  private async runSubtask(
    node: PlannedSubtask,
    depResults: ReadonlyMap<string, SubtaskResult>,
    signal: AbortSignal,
  ): Promise<SubtaskResult> {
    const startedAt = this.now();
    const base = this.subtaskStep(node);
    let model = '';
    let reason = '';
    try {
      const routed = await this.gateway.route(
        { model: 'auto', messages: [{ role: 'user', content: node.instructions }] },
        { capability: asCapability(node.capability) },
      );
      this.routeConfidences.push(routed.decision.confidence);
      const dependencies = node.depends_on.map((id) => ({
        id,
        capability: depResults.get(id)?.capability ?? '',
        text: depResults.get(id)?.text ?? '',
      }));
      const messages = subtaskMessages({ subtask: node, task: this.task, dependencies });
      const candidates = routed.order.map((m) => ({
        model: m,
        costUsd: estimateCallCost(this.modelConfig(m), messages, EXPECTED_OUTPUT_TOKENS.subtask),
      }));
      const pick = this.memory.pick(node.capability, candidates, this.costWeight);
      if (!pick) throw new Error(`no model can take a ${node.capability} sub-task`);
      const order = [pick.model, ...routed.order.filter((m) => m !== pick.model)];
      model = pick.model;
      reason = pick.reason ?? routed.decision.explanation;
      const settle = this.reserve(
        `sub-task "${node.id}"`,
        estimateCallCost(this.modelConfig(model), messages, EXPECTED_OUTPUT_TOKENS.subtask),
      );
      this.emit('subtask-started', `${node.id} · ${node.capability} → ${model}`, { step_id: node.id, model });
      let out;
      try {
        out = await this.gateway.run(order, this.callRequest(order, messages), signal);
      } finally {
        settle(out?.cost_usd ?? 0);
      }
      this.addUsage(out.completion);
      const text = completionText(out.completion);
      const step: OrchestrationTraceStep = {
        ...base,
        model: out.answered_by,
        reason: out.answered_by === model ? reason : `${reason} (${model} failed; ${out.answered_by} answered)`,
        started_at: startedAt,
        duration_ms: this.now() - startedAt,
        cost_usd: out.cost_usd,
        status: 'ok',
        output_preview: clip(text, PREVIEW_CHARS, 'end'),
      };
      this.record(step);
      this.emit('subtask-finished', `${node.id} done by ${out.answered_by}`, {
        step_id: node.id,
        model: out.answered_by,
        step,
      });
      return { text, capability: node.capability };
    } catch (err) {
      // A budget hit by one sub-task ends the whole run: stop the others too.
      if (err instanceof BudgetExceeded) this.controller.abort(err);
      const step: OrchestrationTraceStep = {
        ...base,
        model,
        reason,
        started_at: startedAt,
        duration_ms: this.now() - startedAt,
        cost_usd: 0,
        status: 'failed',
        error: errorMessage(err),
      };
      this.record(step);
      this.emit('subtask-finished', `${node.id} failed: ${step.error}`, { step_id: node.id, model, step });
      throw err;
    }
  }

  private subtaskStep(node: PlannedSubtask): OrchestrationTraceStep {
    return {
      id: node.id,
      kind: 'subtask',
      capability: node.capability,
      instructions: node.instructions,
      depends_on: [...node.depends_on],
      model: '',
      reason: '',
      started_at: this.now(),
      duration_ms: 0,
      cost_usd: 0,
      status: 'skipped',
    };
  }

  // ------------------------------------------------------------ synthesis and fallback

  private async synthesize(
    plan: Plan,
    results: ReadonlyMap<string, { text: string } | { error: string }>,
  ): Promise<OrchestrationResult> {
    const messages = synthesisMessages({ conversation: this.request.messages, plan, results });
    const capability = this.capabilities().includes('writing') ? 'writing' : 'chat';
    const { order, reason } = await this.chooseRole('synthesizer', this.config?.synthesizer, capability, messages);
    this.emit('synthesizing', `writing the answer with ${order[0]}`, { step_id: 'synthesis', model: order[0] });
    const out = await this.callStep(
      'synthesis',
      'synthesis',
      order,
      messages,
      reason,
      EXPECTED_OUTPUT_TOKENS.synthesis,
      true,
    );
    if (!out.ok)
      throw new FugusashiError('UpstreamFailed', `The synthesizer failed: ${out.error}`, null, this.details());

    const steps = this.orderedSteps(plan);
    const subtaskSteps = steps.filter((s) => s.kind === 'subtask');
    const failed = subtaskSteps.filter((s) => s.status !== 'ok');
    const planner = this.steps.get('plan')?.model ?? '';
    const explanation =
      `${planner} split the request into ${subtaskSteps.length} sub-task${subtaskSteps.length === 1 ? '' : 's'} (` +
      subtaskSteps.map((s) => `${s.id}: ${s.capability} → ${s.model || s.status}`).join(', ') +
      `), and ${out.model} wrote the answer` +
      (failed.length > 0 ? `; ${failed.map((s) => `${s.id} ${s.status}`).join(', ')}` : '') +
      '.';
    const confidences = this.routeConfidences;
    const decision: RoutingDecision = {
      model: out.model,
      confidence: confidences.length ? confidences.reduce((a, b) => a + b, 0) / confidences.length : 0.5,
      strategy: 'orchestrator',
      latency_ms: (this.steps.get('plan-retry') ?? this.steps.get('plan'))?.duration_ms ?? 0,
      explanation,
      alternatives: [],
      estimated_cost: this.budget.costUsd,
      plan: steps.map(summary),
    };
    return this.result(out.completion, decision, steps);
  }

  private async singleModel(reason: string): Promise<OrchestrationResult> {
    this.throwIfStopped();
    this.emit('fallback', `answering with one model: ${reason}`, { step_id: 'fallback' });
    const request = { ...this.request, model: 'auto', stream: false };
    const routed = await this.gateway.route(request);
    const model = routed.order[0] ?? '';
    const settle = this.reserve(
      'the single-model fallback',
      estimateCallCost(this.modelConfig(model), request.messages, EXPECTED_OUTPUT_TOKENS.synthesis),
    );
    const startedAt = this.now();
    let out;
    try {
      out = await this.gateway.run(routed.order, { ...request, model }, this.controller.signal);
    } finally {
      settle(out?.cost_usd ?? 0);
    }
    this.addUsage(out.completion);
    this.record({
      id: 'fallback',
      kind: 'synthesis',
      model: out.answered_by,
      reason: `single-model fallback (${reason}): ${routed.decision.explanation}`,
      started_at: startedAt,
      duration_ms: this.now() - startedAt,
      cost_usd: out.cost_usd,
      status: 'ok',
      output_preview: clip(completionText(out.completion), PREVIEW_CHARS, 'end'),
    });
    const decision: RoutingDecision = {
      ...routed.decision,
      explanation: `Orchestration fell back to single-model routing because ${reason}. ${routed.decision.explanation}`,
      chain: [{ strategy: 'orchestrator', abstained: true, reason }, ...(routed.decision.chain ?? [])],
      estimated_cost: this.budget.costUsd,
    };
    return this.result(out.completion, decision, this.orderedSteps(this.plan_));
  }

  // ------------------------------------------------------------ calls and bookkeeping

  /** A configured model goes first (if it is in the pool), then the router's order for the role. */
  private async chooseRole(
    role: string,
    configured: string | undefined,
    capability: string,
    messages?: ChatMessage[],
  ): Promise<{ order: string[]; reason: string }> {
    const routed = await this.gateway.route(
      { model: 'auto', messages: messages ?? this.request.messages },
      { capability: asCapability(capability) },
    );
    if (configured && this.pool.some((m) => m.name === configured))
      return { order: [configured, ...routed.order.filter((m) => m !== configured)], reason: `configured ${role}` };
    const note = configured ? `configured ${role} "${configured}" is not in the pool; ` : '';
    return { order: routed.order, reason: `${note}routed: ${routed.decision.explanation}` };
  }

  /** Runs the plan/synthesis call and records its step; failures other than a stop are returned. */
  private async callStep(
    id: string,
    kind: 'plan' | 'synthesis',
    order: readonly string[],
    messages: ChatMessage[],
    reason: string,
    outputTokens: number,
    withUserParams = false,
  ): Promise<{ ok: true; text: string; model: string; completion: ChatCompletion } | { ok: false; error: string }> {
    const startedAt = this.now();
    const model = order[0] ?? '';
    const step: OrchestrationTraceStep = {
      id,
      kind,
      model,
      reason,
      started_at: startedAt,
      duration_ms: 0,
      cost_usd: 0,
      status: 'failed',
    };
    try {
      if (order.length === 0) throw new Error('no model is available');
      const settle = this.reserve(
        id === 'synthesis' ? 'the synthesis' : 'the planner',
        estimateCallCost(this.modelConfig(model), messages, outputTokens),
      );
      let out;
      try {
        const request = this.callRequest(order, messages, withUserParams);
        if (kind === 'plan') request.temperature = 0;
        out = await this.gateway.run(order, request, this.controller.signal);
      } finally {
        settle(out?.cost_usd ?? 0);
      }
      this.addUsage(out.completion);
      const text = completionText(out.completion);
      this.record({
        ...step,
        model: out.answered_by,
        duration_ms: this.now() - startedAt,
        cost_usd: out.cost_usd,
        status: 'ok',
        output_preview: clip(text, PREVIEW_CHARS, 'end'),
      });
      return { ok: true, text, model: out.answered_by, completion: out.completion };
    } catch (err) {
      this.record({ ...step, duration_ms: this.now() - startedAt, error: errorMessage(err) });
      if (err instanceof BudgetExceeded) this.controller.abort(err);
      if (this.controller.signal.aborted || err instanceof BudgetExceeded) throw err;
      return { ok: false, error: errorMessage(err) };
    }
  }

  private callRequest(
    order: readonly string[],
    messages: ChatMessage[],
    withUserParams = false,
  ): ChatCompletionRequest {
    const request: ChatCompletionRequest = { model: order[0] ?? 'auto', messages, stream: false };
    if (withUserParams) {
      const { temperature, top_p, max_tokens, max_completion_tokens, stop, seed, user } = this.request;
      Object.assign(
        request,
        Object.fromEntries(
          Object.entries({ temperature, top_p, max_tokens, max_completion_tokens, stop, seed, user }).filter(
            ([, v]) => v !== undefined,
          ),
        ),
      );
    }
    return request;
  }

  /** budget.reserve, telling the caller once that the team is underway (the first check passed). */
  private reserve(what: string, estimate: number): (actualUsd: number) => void {
    const settle = this.budget.reserve(what, estimate);
    if (!this.underway) {
      this.underway = true;
      try {
        this.opts.onUnderway?.();
      } catch {
        // The caller's bookkeeping must not break the run (as with onProgress).
      }
    }
    return settle;
  }

  private modelConfig(name: string): ModelConfig | undefined {
    return this.pool.find((m) => m.name === name);
  }

  private addUsage(completion: ChatCompletion): void {
    if (!completion.usage) return;
    this.usage.prompt_tokens += completion.usage.prompt_tokens;
    this.usage.completion_tokens += completion.usage.completion_tokens;
    this.usage.total_tokens += completion.usage.total_tokens;
  }

  private record(step: OrchestrationTraceStep): void {
    this.steps.set(step.id, step);
  }

  private markStep(id: string, patch: Partial<OrchestrationTraceStep>): void {
    const step = this.steps.get(id);
    if (step) this.steps.set(id, { ...step, ...patch });
  }

  /** Planner steps, then sub-tasks in plan order, then the answer's step. */
  private orderedSteps(plan: Plan | undefined): OrchestrationTraceStep[] {
    const out: OrchestrationTraceStep[] = [];
    for (const id of ['plan', 'plan-retry']) {
      const s = this.steps.get(id);
      if (s) out.push(s);
    }
    const planIds = plan?.subtasks.map((s) => s.id) ?? [];
    for (const id of planIds) {
      const s = this.steps.get(id);
      if (s) out.push(s);
    }
    for (const [id, s] of this.steps) if (!RESERVED_STEP_IDS.includes(id) && !planIds.includes(id)) out.push(s);
    for (const id of ['synthesis', 'fallback']) {
      const s = this.steps.get(id);
      if (s) out.push(s);
    }
    return out;
  }

  private details(): OrchestrationStopDetails {
    return { steps: this.orderedSteps(this.plan_), cost_usd: this.budget.costUsd };
  }

  private result(
    answer: ChatCompletion,
    decision: RoutingDecision,
    steps: OrchestrationTraceStep[],
  ): OrchestrationResult {
    const completion: ChatCompletion = {
      id: `orch-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(this.now() / 1000),
      model: decision.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: completionText(answer) },
          finish_reason: answer.choices[0]?.finish_reason ?? 'stop',
        },
      ],
      usage: { ...this.usage },
      routing_decision: decision,
    };
    return { completion, decision, steps, cost_usd: this.budget.costUsd };
  }

  private emit(
    phase: OrchestrationProgress['phase'],
    message: string,
    extra: Partial<OrchestrationProgress> = {},
  ): void {
    if (!this.opts.onProgress) return;
    try {
      this.opts.onProgress({
        phase,
        message,
        elapsed_ms: this.now() - this.started,
        cost_usd: this.budget.costUsd,
        ...extra,
      });
    } catch {
      // A listener's failure (e.g. a closed socket) must not break the orchestration.
    }
  }

  private throwIfStopped(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
    if (this.budget.exceeded) throw new BudgetExceeded(this.budget.exceeded);
  }

  /** Maps whatever ended the run to the error the doors report, with the partial trace attached. */
  private stopError(err: unknown): unknown {
    if (this.opts.signal.aborted)
      return new FugusashiError(
        'Cancelled',
        'The orchestration was cancelled; every running step was stopped.',
        null,
        this.details(),
      );
    if (this.budget.exceeded || err instanceof BudgetExceeded)
      return new FugusashiError(
        'BudgetExceeded',
        `Orchestration stopped: ${this.budget.exceeded ?? errorMessage(err)}. Raise the limit under "orchestrator:" in the config, or ask for less.`,
        null,
        this.details(),
      );
    if (err instanceof FugusashiError && err.details === undefined)
      return new FugusashiError(err.kind, err.message, err.param, this.details());
    return err;
  }
}

function summary(step: OrchestrationTraceStep): OrchestrationStepSummary {
  return {
    id: step.id,
    capability: step.capability ?? step.kind,
    model: step.model,
    reason: step.reason,
    cost: step.cost_usd,
    latency_ms: step.duration_ms,
    status: step.status,
  };
}

function completionText(completion: ChatCompletion): string {
  return completion.choices[0]?.message.content ?? '';
}

function asCapability(name: string): Capability | undefined {
  return (CAPABILITIES as readonly string[]).includes(name) ? (name as Capability) : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
