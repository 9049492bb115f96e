// Automatic escalation to the orchestrator (off unless `orchestrator.auto_escalate_below` is set):
// when the Tier 1 router's own quality prediction says that even its best pick for this request
// falls short of the configured quality, a team is worth its extra calls. Only strategies that
// predict quality (the learned router's StrategyVerdict.predictedQuality) can trigger it; without
// a prediction nothing escalates, so the trigger never fires on a guess.
import type { OrchestratorConfig } from '../../shared/config';
import type { StrategyVerdict } from '../core/ports';

export interface EscalationInput {
  /** The model the client asked for: only the automatic modes ("auto", "auto:quality"…) escalate. */
  requestedModel: string;
  /** The deciding strategy's verdict. */
  verdict: Pick<StrategyVerdict, 'strategy' | 'abstain' | 'predictedQuality'>;
  /**
   * The best predicted quality over all candidates, when the strategy reports it; the top pick
   * trades quality for cost, so its prediction alone can understate what the pool can do.
   */
  bestPredictedQuality?: number;
  /** Pool size: a one-model pool has no team to escalate to. */
  poolSize: number;
}

export type EscalationDecision = { escalate: true; reason: string } | { escalate: false; reason: string };

export function shouldEscalate(config: OrchestratorConfig | undefined, input: EscalationInput): EscalationDecision {
  const threshold = config?.auto_escalate_below;
  if (threshold === undefined) return { escalate: false, reason: 'auto-escalation is off' };
  if (!/^auto(:(quality|balanced|cost))?$/.test(input.requestedModel))
    return { escalate: false, reason: `model "${input.requestedModel}" was asked for explicitly` };
  if (input.poolSize < 2) return { escalate: false, reason: 'the pool has a single model' };
  if (input.verdict.abstain) return { escalate: false, reason: `${input.verdict.strategy} abstained` };
  const predicted = Math.max(input.verdict.predictedQuality ?? -Infinity, input.bestPredictedQuality ?? -Infinity);
  if (!Number.isFinite(predicted))
    return { escalate: false, reason: `${input.verdict.strategy} does not predict quality` };
  if (predicted >= threshold)
    return {
      escalate: false,
      reason: `${input.verdict.strategy} predicts ${predicted.toFixed(2)} ≥ ${threshold.toFixed(2)} for a single model`,
    };
  return {
    escalate: true,
    reason: `${input.verdict.strategy} predicts at most ${predicted.toFixed(2)} for any single model, below auto_escalate_below ${threshold.toFixed(2)}`,
  };
}
