// Tier 2 orchestrator: what the rest of the daemon uses.
export {
  createOrchestrator,
  SUBTASK_CREDIT_WEIGHT,
  type Orchestrator,
  type OrchestratorDeps,
  type OrchestrationResult,
  type OrchestrationStopDetails,
  type RunOptions,
} from './orchestrator';
export { shouldEscalate, type EscalationDecision, type EscalationInput } from './escalate';
export { DEFAULT_LIMITS, resolveLimits, type OrchestratorLimits } from './budget';
export { parsePlan, validatePlan, extractJson, planPattern, type Plan, type PlannedSubtask } from './plan';
export { TeamMemory, ratingToScore, parseOutcomeSource, OUTCOME_SOURCE_PREFIX } from './team';
