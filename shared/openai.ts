// OpenAI chat-completions wire types, typed once for the daemon's HTTP door, its RPC door,
// the providers (which translate to and from them), the extension and the dashboard.
// The request schema is a value (TypeBox) so fastify validates with it; the TS type is derived.
import { Type, type Static } from 'typebox';
import type { OrchestrationProgress } from './api';

export const ContentPartSchema = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String() }, { additionalProperties: true }),
  Type.Object(
    {
      type: Type.Literal('image_url'),
      image_url: Type.Object(
        { url: Type.String(), detail: Type.Optional(Type.String()) },
        { additionalProperties: true },
      ),
    },
    { additionalProperties: true },
  ),
]);
export type ContentPart = Static<typeof ContentPartSchema>;

export const ToolCallSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('function'),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }),
  },
  { additionalProperties: true },
);
export type ToolCall = Static<typeof ToolCallSchema>;

export const ChatMessageSchema = Type.Object(
  {
    role: Type.Union([
      Type.Literal('system'),
      Type.Literal('developer'),
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('tool'),
    ]),
    content: Type.Union([Type.String(), Type.Array(ContentPartSchema), Type.Null()]),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(ToolCallSchema)),
    tool_call_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ChatMessage = Static<typeof ChatMessageSchema>;

export const ToolSchema = Type.Object(
  {
    type: Type.Literal('function'),
    function: Type.Object(
      {
        name: Type.String(),
        description: Type.Optional(Type.String()),
        parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);
export type Tool = Static<typeof ToolSchema>;

/** A dry-run routing request (POST /v1/routing/route, fugusashi/route): a chat request's routing inputs. */
export const RouteRequestSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
    tools: Type.Optional(Type.Array(ToolSchema)),
  },
  { additionalProperties: true },
);

export const ChatCompletionRequestSchema = Type.Object(
  {
    /** "auto", "auto:quality" | "auto:balanced" | "auto:cost" | "auto:orchestrate" | "auto:cascade", or a pool model's name. */
    model: Type.String({ minLength: 1 }),
    messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(
      Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
    ),
    tools: Type.Optional(Type.Array(ToolSchema)),
    tool_choice: Type.Optional(Type.Unknown()),
    response_format: Type.Optional(Type.Unknown()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    max_completion_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    /** Choices per request; each is an upstream call (daemon/services/choices.ts), so bounded. */
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    seed: Type.Optional(Type.Integer()),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type ChatCompletionRequest = Static<typeof ChatCompletionRequestSchema>;

/**
 * Anthropic extended-thinking blocks, under LiteLLM's name `thinking_blocks`: on an answer's message, on
 * stream deltas (pieces: thinking text, then the signature) and on assistant history messages, which an
 * Anthropic upstream needs back (signed) when thinking and tools are used together. Only the Anthropic
 * adapter sends or reads them; others never forward them.
 */
export type ThinkingBlock =
  { type: 'thinking'; thinking: string; signature?: string } | { type: 'redacted_thinking'; data: string };
export type ThinkingBlockDelta =
  { type: 'thinking'; thinking?: string; signature?: string } | { type: 'redacted_thinking'; data: string };
/** An assistant history message with the thinking blocks that came with it. */
export type ChatMessageWithThinking = ChatMessage & { thinking_blocks?: ThinkingBlock[] };

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Of prompt_tokens, those the upstream's prompt cache served (OpenAI's field; Anthropic's
   *  cache_read_input_tokens) and, Fugusashi extras, those written to it (cache_creation_input_tokens)
   *  and, of those, the ones written with Anthropic's 1-hour lifetime (billed higher than 5-minute ones). */
  prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number; cache_creation_1h_tokens?: number };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;

/** Why a route was chosen: attached to every answer the daemon gives. */
export interface RoutingDecision {
  model: string;
  /** 0..1: how sure the deciding strategy is. */
  confidence: number;
  /** The strategy that decided, e.g. "similarity", "learned", "cost", "fallback", "override", "orchestrator". */
  strategy: string;
  /** Time spent deciding (embedding + policy), not the upstream call. */
  latency_ms: number;
  /** One sentence a user understands. */
  explanation: string;
  /** `excluded`: why that model could not be chosen (e.g. its `${KEY}` variable is unset). */
  alternatives: { model: string; score: number; excluded?: string }[];
  /** USD, from the model's prices and the expected token counts. */
  estimated_cost: number;
  /** True when the pick was an exploration draw rather than the policy's best. */
  exploration?: boolean;
  /** Strategies consulted before the deciding one, and why each passed. */
  chain?: { strategy: string; abstained: boolean; reason: string }[];
  /** Present for orchestrated answers (strategy "orchestrator"). */
  plan?: OrchestrationStepSummary[];
  /** false: the daemon could not store this request (disk full…): no trace, no rating possible. */
  record_kept?: boolean;
  /** gateway (issue 12): the steps of a cascade (strategy "cascade"), cheapest model first. */
  cascade?: {
    model: string;
    status: 'accepted' | 'rejected' | 'failed' | 'final';
    cost_usd: number;
    latency_ms: number;
    checks: { check: string; passed: boolean; detail: string }[];
  }[];
  /** gateway (issue 12): present on a response-cache hit (strategy "cache"). */
  cache?: {
    kind: 'exact' | 'semantic';
    entry_id: string;
    age_s: number;
    /** 1 for exact hits; the cosine similarity of the last user turns for semantic ones. */
    similarity: number;
    saved_usd: number;
    saved_ms: number;
  };
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

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[]; thinking_blocks?: ThinkingBlock[] };
    finish_reason: FinishReason;
    logprobs?: null;
    /** Fugusashi extra: the stop sequence that ended the answer (Anthropic upstreams say which one). */
    stop_sequence?: string;
  }[];
  usage?: Usage;
  system_fingerprint?: string | null;
  routing_decision?: RoutingDecision;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      tool_calls?: {
        index: number;
        id?: string;
        type?: 'function';
        function?: { name?: string; arguments?: string };
      }[];
      thinking_blocks?: ThinkingBlockDelta[];
    };
    finish_reason: FinishReason;
    logprobs?: null;
    /** Fugusashi extra: the stop sequence that ended the answer (Anthropic upstreams say which one). */
    stop_sequence?: string;
  }[];
  usage?: Usage | null;
  routing_decision?: RoutingDecision;
  /** Orchestrated streams: a progress event (such chunks have an empty delta). */
  orchestration?: OrchestrationProgress;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface ModelListEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** Fugusashi extras so tools can show prices and abilities. */
  provider?: string;
  capabilities?: string[];
  cost_per_input_token?: number;
  cost_per_output_token?: number;
  context_window?: number;
  description?: string;
  /** Why this model cannot be called (e.g. its `${KEY}` variable is unset); `auto` leaves it out. */
  unavailable?: string;
  // gateway (issue 12): where the price comes from, and the model's live health.
  cost_per_cached_input_token?: number;
  /** Prompt-cache writes (5-minute / 1-hour lifetime), when they cost more than fresh input (Anthropic). */
  cost_per_cache_write_token?: number;
  cost_per_cache_write_1h_token?: number;
  price_source?: 'config' | 'table' | 'config+table' | 'local' | 'unknown';
  price_ref?: { url: string; as_of: string; note?: string; table_date: string };
  /** Set when price_source is 'unknown': the model's cost is counted as 0. */
  price_warning?: string;
  health?: { state: 'ok' | 'failing' | 'cooling_down'; consecutive_failures: number; cooldown_remaining_s: number };
  /** Where the router's prior places this model before any rating (learned routing only). */
  quality?: QualityPlacement;
}

/**
 * How the bundled prior places a pool model: from public outcome data, from a quality figure (the
 * public table or `quality:` in config.yaml), from its price (a guess), or not at all (average).
 */
export interface QualityPlacement {
  basis: 'data' | 'quality' | 'price' | 'unknown';
  /** The Chatbot Arena-scale figure it was placed from (quality and price bases). */
  figure?: number;
  /** Where that came from, as the routing explanation says it. */
  from: string;
}
