// The resolved config (daemon/config) mapped onto the narrow view the services read.
import type { ResolvedConfig } from '../config';
import type { ServiceConfig } from './deps';

export function toServiceConfig(config: ResolvedConfig): ServiceConfig {
  const r = config.routing;
  return {
    pool: config.models,
    defaultModel: config.defaultModel,
    strategies: r.strategies,
    preferLocal: r.preferLocal,
    costWeight: r.costWeight,
    minConfidence: r.minConfidence,
    explorationRate: r.explorationRate,
    embeddingWaitMs: r.embeddings.waitMs,
    cooldownFailures: r.cooldownFailures,
    cooldownSeconds: r.cooldownSeconds,
    connectTimeoutMs: r.connectTimeoutMs,
    firstByteTimeoutMs: r.firstByteTimeoutMs,
    answerTimeoutMs: r.answerTimeoutMs,
    feedback: r.feedback,
    orchestrator: config.orchestrator,
    cache: config.cache, // gateway (issue 12)
    cascade: r.cascade, // gateway (issue 12)
  };
}
