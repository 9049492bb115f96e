// The orchestration budget: how many sub-tasks, how much money, how much wall time. Money is
// checked before each model call against what is spent plus what running calls are expected to
// cost, so parallel sub-tasks cannot jointly overshoot by much; time is a deadline that aborts
// every running call. The first limit hit stops the whole run with a message that names it.
import type { ModelConfig, OrchestratorConfig } from '../../shared/config';
import type { ChatMessage } from '../../shared/openai';
import { passesLimit } from '../core/money';
import { messageText } from './prompts';

export interface OrchestratorLimits {
  max_subtasks: number;
  max_parallel: number;
  max_seconds: number;
  max_cost_usd: number;
}

/** Used for every limit the config leaves unset. */
export const DEFAULT_LIMITS: OrchestratorLimits = {
  max_subtasks: 5,
  max_parallel: 3,
  max_seconds: 180,
  max_cost_usd: 0.5,
};

export function resolveLimits(config: OrchestratorConfig | undefined): OrchestratorLimits {
  return {
    max_subtasks: config?.max_subtasks ?? DEFAULT_LIMITS.max_subtasks,
    max_parallel: config?.max_parallel ?? DEFAULT_LIMITS.max_parallel,
    max_seconds: config?.max_seconds ?? DEFAULT_LIMITS.max_seconds,
    max_cost_usd: config?.max_cost_usd ?? DEFAULT_LIMITS.max_cost_usd,
  };
}

/** Expected output tokens of each kind of step, for the pre-call estimate. */
export const EXPECTED_OUTPUT_TOKENS = { plan: 400, subtask: 700, synthesis: 900 } as const;

/** USD a call is expected to cost: ~4 characters per input token plus the expected output. */
export function estimateCallCost(
  model: ModelConfig | undefined,
  messages: readonly ChatMessage[],
  outputTokens: number,
): number {
  if (!model) return 0;
  const inputTokens = Math.ceil(messages.reduce((n, m) => n + messageText(m).length, 0) / 4);
  return inputTokens * model.cost_per_input_token + outputTokens * model.cost_per_output_token;
}

export class BudgetExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetExceeded';
  }
}

export class Budget {
  private spent = 0;
  private reserved = 0;
  private stopReason: string | undefined;

  constructor(readonly limits: OrchestratorLimits) {}

  get costUsd(): number {
    return this.spent;
  }

  /** The message of the first limit hit, if any. */
  get exceeded(): string | undefined {
    return this.stopReason;
  }

  /**
   * Books `estimate` for a call about to start, or throws BudgetExceeded when it would take the
   * run past max_cost_usd. Returns the function that settles the booking with the actual cost.
   */
  reserve(what: string, estimate: number): (actualUsd: number) => void {
    const max = this.limits.max_cost_usd;
    if (this.stopReason) throw new BudgetExceeded(this.stopReason);
    if (passesLimit(this.spent + this.reserved + estimate, max)) {
      throw this.stop(
        `max_cost_usd $${max.toFixed(4)} would be passed by ${what} ($${this.spent.toFixed(4)} spent, ` +
          `$${this.reserved.toFixed(4)} running, this step ~$${estimate.toFixed(4)})`,
      );
    }
    this.reserved += estimate;
    let settled = false;
    return (actualUsd) => {
      if (settled) return;
      settled = true;
      this.reserved -= estimate;
      this.spent += actualUsd;
    };
  }

  /** Records that a limit was hit (the first one wins) and returns the error to throw. */
  stop(reason: string): BudgetExceeded {
    this.stopReason ??= reason;
    return new BudgetExceeded(this.stopReason);
  }
}
