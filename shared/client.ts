// The package's public types (package.json "types": esbuild.mjs copies this file to dist/index.d.ts),
// for code that calls the daemon with an OpenAI client:
//
//   import type { RoutedChatCompletion } from 'fugusashi';
//   const answer = (await client.chat.completions.create({ model: 'auto', messages })) as
//     RoutedChatCompletion<OpenAI.ChatCompletion>;
//   answer.routing_decision.model;
//
// Types only and self-contained (no imports), so it compiles in a client project that has none of the
// daemon's dependencies. test/unit/shared/client-types.test.ts keeps it identical to shared/openai.ts.

/** Why a route was chosen: `routing_decision` on every answer the daemon gives. */
export interface RoutingDecision {
  /** The pool model that answered. */
  model: string;
  /** 0..1: how sure the deciding strategy is. */
  confidence: number;
  /** The strategy that decided, e.g. "learned", "cost", "fallback", "override", "orchestrator". */
  strategy: string;
  /** Time spent deciding (embedding + policy), not the upstream call. */
  latency_ms: number;
  /** One sentence a user understands. */
  explanation: string;
  /** The other pool models with their scores; `excluded` says why one could not be chosen. */
  alternatives: { model: string; score: number; excluded?: string }[];
  /** USD, from the model's prices and the expected token counts. */
  estimated_cost: number;
  /** True when the pick was an exploration draw rather than the policy's best. */
  exploration?: boolean;
  /** Strategies consulted before the deciding one, and why each passed. */
  chain?: { strategy: string; abstained: boolean; reason: string }[];
  /** Present for orchestrated answers (strategy "orchestrator"). */
  plan?: OrchestrationStepSummary[];
}

export interface OrchestrationStepSummary {
  id: string;
  capability: string;
  model: string;
  reason: string;
  cost: number;
  latency_ms: number;
  status: 'ok' | 'failed' | 'skipped';
}

/** A client library's completion type plus the daemon's `routing_decision`. */
export type RoutedChatCompletion<Completion extends object> = Completion & { routing_decision: RoutingDecision };

/** A streamed chunk: the daemon puts `routing_decision` on the first chunk of a stream. */
export type RoutedChatCompletionChunk<Chunk extends object> = Chunk & { routing_decision?: RoutingDecision };
