// What the orchestrator learns from ratings: how well each model does each kind of sub-task
// (capability, model) and how well each plan shape does. A rating judges the whole answer, so
// every specialist in it shares the credit; over many ratings the models that keep appearing in
// poorly rated answers for a kind of sub-task sink below the others. Means are shrunk toward a
// prior so that one lucky rating does not decide, and an unrated model starts at the prior, which
// is optimistic enough that a model with a poor record gives way to an untried one (exploration).
import type { OrchestrationTraceStep } from '../../shared/api';
import type { Outcome } from '../core/ports';

/** 0..1 score a 1–5 rating stands for (1 → 0, 3 → 0.5, 5 → 1), as everywhere in the daemon. */
export function ratingToScore(rating: number): number {
  return Math.min(1, Math.max(0, (rating - 1) / 4));
}

interface Tally {
  weight: number;
  sum: number;
}

export interface TeamMemoryOptions {
  /** Score an untried pair or pattern is assumed to have. */
  prior: number;
  /** How many ratings' worth of weight the prior counts for. */
  priorWeight: number;
  /** A Tier 1 pick is replaced only by a candidate at least this much better. */
  margin: number;
  /** A Tier 1 pick is judged only once it has this much rating weight. */
  minEvidence: number;
}

export const DEFAULT_TEAM_OPTIONS: TeamMemoryOptions = { prior: 0.6, priorWeight: 2, margin: 0.05, minEvidence: 2 };

/** Marker in Outcome.source of credited sub-task outcomes: `orchestrator:<capability>@<pattern>`. */
export const OUTCOME_SOURCE_PREFIX = 'orchestrator:';

export interface PairPick {
  model: string;
  /** Why, in one sentence, when the memory changed Tier 1's pick; undefined when it did not. */
  reason?: string;
}

export class TeamMemory {
  private readonly pairs = new Map<string, Tally>();
  private readonly patterns = new Map<string, Tally>();

  constructor(private readonly options: TeamMemoryOptions = DEFAULT_TEAM_OPTIONS) {}

  creditPair(capability: string, model: string, score: number, weight: number): void {
    add(this.pairs, `${capability}\u0000${model}`, score, weight);
  }

  creditPattern(pattern: string, score: number, weight = 1): void {
    add(this.patterns, pattern, score, weight);
  }

  /** Shrunk mean score and the rating weight behind it. */
  pairScore(capability: string, model: string): { score: number; weight: number } {
    return this.shrunk(this.pairs.get(`${capability}\u0000${model}`));
  }

  patternScore(pattern: string): { score: number; weight: number } {
    return this.shrunk(this.patterns.get(pattern));
  }

  /** Rated plan shapes, best first (for the planner's prompt). */
  ratedPatterns(minWeight = 1): { pattern: string; score: number; weight: number }[] {
    return [...this.patterns.entries()]
      .filter(([, t]) => t.weight >= minWeight)
      .map(([pattern, t]) => ({ pattern, ...this.shrunk(t) }))
      .sort((a, b) => b.score - a.score);
  }

  /**
   * Keeps Tier 1's pick (candidates[0]) unless the ratings show it doing this kind of sub-task
   * clearly worse than another candidate. Candidates are in Tier 1's order.
   */
  pick(capability: string, candidates: readonly string[]): PairPick | undefined {
    const first = candidates[0];
    if (first === undefined) return undefined;
    const tier1 = this.pairScore(capability, first);
    if (tier1.weight < this.options.minEvidence) return { model: first };
    let best = { model: first, ...tier1 };
    for (const model of candidates.slice(1)) {
      const s = this.pairScore(capability, model);
      if (s.score > best.score + (best.model === first ? this.options.margin : 0)) best = { model, ...s };
    }
    if (best.model === first) return { model: first };
    const fmt = (s: { score: number; weight: number }): string =>
      s.weight > 0 ? `${(1 + 4 * s.score).toFixed(1)}/5 over ${round(s.weight)} ratings` : 'not rated yet';
    return {
      model: best.model,
      reason: `${capability} sub-tasks: ${first} rated ${fmt(tier1)} in team answers, so ${best.model} (${fmt(best)}) gets it`,
    };
  }

  /** Rebuilds the memory from stored outcomes (daemon start); ignores non-orchestrator rows. */
  restore(outcomes: readonly Pick<Outcome, 'source' | 'model' | 'score' | 'weight' | 'request_id'>[]): void {
    const patternOf = new Map<string, { pattern: string; score: number }>();
    for (const o of outcomes) {
      const parsed = parseOutcomeSource(o.source);
      if (!parsed) continue;
      this.creditPair(parsed.capability, o.model, o.score, o.weight);
      if (parsed.pattern && o.request_id) patternOf.set(o.request_id, { pattern: parsed.pattern, score: o.score });
    }
    for (const { pattern, score } of patternOf.values()) this.creditPattern(pattern, score);
  }

  private shrunk(t: Tally | undefined): { score: number; weight: number } {
    const { prior, priorWeight } = this.options;
    const weight = t?.weight ?? 0;
    return { score: ((t?.sum ?? 0) + prior * priorWeight) / (weight + priorWeight), weight };
  }
}

function add(map: Map<string, Tally>, key: string, score: number, weight: number): void {
  const t = map.get(key) ?? { weight: 0, sum: 0 };
  t.weight += weight;
  t.sum += score * weight;
  map.set(key, t);
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function outcomeSource(capability: string, pattern: string | undefined): string {
  return `${OUTCOME_SOURCE_PREFIX}${capability}${pattern ? `@${pattern}` : ''}`;
}

export function parseOutcomeSource(source: string): { capability: string; pattern?: string } | undefined {
  if (!source.startsWith(OUTCOME_SOURCE_PREFIX)) return undefined;
  const rest = source.slice(OUTCOME_SOURCE_PREFIX.length);
  const at = rest.indexOf('@');
  if (at < 0) return rest ? { capability: rest } : undefined;
  return { capability: rest.slice(0, at), pattern: rest.slice(at + 1) || undefined };
}

/** Sub-task steps that answered: the ones a rating of the whole answer is credited to. */
export function creditedSteps(steps: readonly OrchestrationTraceStep[]): OrchestrationTraceStep[] {
  return steps.filter((s) => s.kind === 'subtask' && s.status === 'ok' && s.capability !== undefined);
}
