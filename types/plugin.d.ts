// Fugusashi routing-strategy plugins: the types a plugin author imports.
//
//   // my-strategy.mjs (listed in config.yaml: routing.plugins: ['./my-strategy.mjs'])
//   /** @type {import('fugusashi/plugin').Strategy} */
//   export default {
//     name: 'cheap-for-short',
//     decide(ctx) {
//       if (ctx.prompt.features.chars > 200) return null; // pass: the next strategy decides
//       const cheapest = [...ctx.candidates].sort((a, b) => a.expected_cost_usd - b.expected_cost_usd)[0];
//       return { model: cheapest.name, explanation: 'short prompt: cheapest model' };
//     },
//   };
//
// Plugins are consulted in the listed order after the built-in chain has made its pick (given to
// them as ctx.default); the first one that returns a decision wins. A plugin that throws, returns
// an unknown model, or takes longer than its budget is skipped for that request (the reason is in
// routing_decision.chain); it never fails a request. An async plugin is abandoned at its budget; a
// synchronous one cannot be interrupted, so its late answer is discarded: keep decide() quick.

/** Cheap features of the prompt, computed once per request. */
export interface PromptFeatures {
  chars: number;
  estimatedInputTokens: number;
  expectedOutputTokens: number;
  hasCode: boolean;
  hasMath: boolean;
  hasTools: boolean;
  hasImages: boolean;
  /** Share of non-ASCII letters, a cheap language signal. */
  nonAsciiRatio: number;
  turns: number;
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | { type: string; [key: string]: unknown }[] | null;
  [key: string]: unknown;
}

/** A pool model that may serve this request (hard filters such as tools, vision, context size and cooldown already applied). */
export interface StrategyCandidate {
  /** The pool name: what a decision returns. */
  name: string;
  provider: string;
  /** The upstream model id. */
  model: string;
  capabilities: readonly string[];
  /** Runs on this machine (Ollama, a loopback server, VS Code's models). */
  local: boolean;
  /** USD per token; `source` says where the price comes from ('unknown' = counted as 0). */
  price: { input: number; output: number; cached_input?: number; source: string };
  /** Expected USD for this request at this model's prices. */
  expected_cost_usd: number;
  /** 0..1 chance of a good answer, predicted by the learned router from your outcomes; absent without them. */
  predicted_quality?: number;
}

export interface StrategyContext {
  prompt: {
    /** The text that decides the route: the last user turn plus bounded context. */
    text: string;
    messages: readonly ChatMessage[];
    features: PromptFeatures;
    /** Capabilities every candidate has (tools, vision, long_context). */
    required: readonly string[];
    /** Capabilities the prompt seems to want (code, math, reasoning, writing…). */
    preferred: readonly string[];
  };
  /** λ: quality points (0..100 scale) traded per US cent of expected cost; 0 = quality only. */
  costWeight: number;
  /** Requested mode: "auto", "auto:quality", "auto:cost"… */
  mode: string;
  candidates: readonly StrategyCandidate[];
  /** What the built-in chain picked (the answer if every plugin passes). */
  default: { model: string; strategy: string; confidence: number; explanation: string };
  /** This plugin's time budget in milliseconds. */
  budgetMs: number;
}

export interface StrategyDecision {
  /** A candidate's `name`. */
  model: string;
  /** 0..1, default 1. */
  confidence?: number;
  /** One sentence a user understands; shown in routing_decision.explanation. */
  explanation?: string;
  /** Models to try next if `model` fails, in order (other candidates follow). */
  fallbacks?: readonly string[];
}

/** Return a decision, or null/undefined to pass. */
export type StrategyResult = StrategyDecision | null | undefined;

export interface Strategy {
  /** Shown as `plugin:<name>` in routing_decision.strategy. */
  readonly name: string;
  /** Overrides routing.plugin_budget_ms for this plugin. */
  readonly budgetMs?: number;
  decide(context: StrategyContext): StrategyResult | Promise<StrategyResult>;
}
