// What the orchestrator learns from ratings: how well each model does each kind of sub-task
// (capability, model) and how well each plan shape does. A rating judges the whole answer, so
// every specialist in it shares the credit; over many ratings, the models that keep appearing in
// poorly rated answers for a kind of sub-task fall behind the others.
//
// Choosing a sub-task's model is a bandit per capability, limited to the Tier 1 router's top
// candidates (so exploration never leaves what the router finds acceptable): each candidate is
// first tried until it has a few ratings (in Tier 1's order, so without ratings nothing changes),
// then the pick is argmax of 100·mean score − λ·expected cents + a UCB bonus that shrinks with
// evidence, on the learned router's scale (routing.cost_weight = λ, quality points of 100 per US cent).
import type { OrchestrationTraceStep } from '../../shared/api';
import type { Outcome } from '../core/ports';

/** 0..1 score a 1–5 rating stands for (1 → 0, 3 → 0.5, 5 → 1), as everywhere in the daemon. */
export function ratingToScore(rating: number): number {
  return Math.min(1, Math.max(0, (rating - 1) / 4));
}

interface Tally {
  /** Ratings counted. */
  n: number;
  weight: number;
  sum: number;
}

export interface TeamMemoryOptions {
  /** How many of Tier 1's top candidates a sub-task may go to. */
  candidates: number;
  /** Ratings each candidate gets before the means decide. */
  minEvidence: number;
  /** Scale of the exploration bonus (about the spread of one rating's 0..1 score). */
  exploration: number;
  /** Score an unrated plan shape is assumed to have (for the planner's hints). */
  prior: number;
}

export const DEFAULT_TEAM_OPTIONS: TeamMemoryOptions = { candidates: 3, minEvidence: 2, exploration: 0.25, prior: 0.6 };

/** Marker in Outcome.source of credited sub-task outcomes: `orchestrator:<capability>@<pattern>`. */
export const OUTCOME_SOURCE_PREFIX = 'orchestrator:';

export interface PairCandidate {
  model: string;
  /** Expected USD of the call on this model. */
  costUsd: number;
}

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

  /** Mean 0..1 score of a (capability, model) pair and how many ratings it rests on. */
  pairScore(capability: string, model: string): { score: number; n: number } {
    const t = this.pairs.get(`${capability}\u0000${model}`);
    return { score: t && t.weight > 0 ? t.sum / t.weight : NaN, n: t?.n ?? 0 };
  }

  /** A plan shape's mean score, shrunk toward the prior by two ratings' worth. */
  patternScore(pattern: string): { score: number; n: number } {
    const t = this.patterns.get(pattern);
    const n = t?.n ?? 0;
    return { score: ((t?.sum ?? 0) + 2 * this.options.prior) / ((t?.weight ?? 0) + 2), n };
  }

  /** Rated plan shapes, best first (for the planner's prompt). */
  ratedPatterns(minRatings = 1): { pattern: string; score: number; n: number }[] {
    return [...this.patterns.keys()]
      .map((pattern) => ({ pattern, ...this.patternScore(pattern) }))
      .filter((p) => p.n >= minRatings)
      .sort((a, b) => b.score - a.score);
  }

  /**
   * The model for a sub-task of `capability`. `candidates` are in Tier 1's order; `costWeight` is
   * λ in quality points (of 100) per US cent, as routing.cost_weight.
   */
  pick(capability: string, candidates: readonly PairCandidate[], costWeight: number): PairPick | undefined {
    const top = candidates.slice(0, Math.max(1, this.options.candidates));
    const first = top[0];
    if (!first) return undefined;
    const stats = top.map((c) => ({ ...c, ...this.pairScore(capability, c.model) }));
    const untried = stats.find((s) => s.n < this.options.minEvidence);
    if (untried) {
      if (untried.model === first.model) return { model: first.model };
      return {
        model: untried.model,
        reason: `trying ${untried.model} for ${capability} sub-tasks (${untried.n} of ${this.options.minEvidence} ratings so far; Tier 1's first choice ${first.model} has ${stats[0]?.n})`,
      };
    }
    const total = stats.reduce((a, s) => a + s.n, 0);
    const value = (s: (typeof stats)[number]): number =>
      100 * s.score -
      costWeight * 100 * s.costUsd +
      100 * this.options.exploration * Math.sqrt((2 * Math.log(total)) / s.n);
    let best = stats[0]!;
    for (const s of stats.slice(1)) if (value(s) > value(best)) best = s;
    if (best.model === first.model) return { model: first.model };
    const fmt = (s: (typeof stats)[number]): string => `${(1 + 4 * s.score).toFixed(1)}/5 over ${s.n} ratings`;
    return {
      model: best.model,
      reason: `${capability} sub-tasks: ${best.model} rated ${fmt(best)} in team answers vs ${first.model} ${fmt(stats[0]!)} (Tier 1's first choice), counting cost and uncertainty`,
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
}

function add(map: Map<string, Tally>, key: string, score: number, weight: number): void {
  const t = map.get(key) ?? { n: 0, weight: 0, sum: 0 };
  t.n += 1;
  t.weight += weight;
  t.sum += score * weight;
  map.set(key, t);
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
