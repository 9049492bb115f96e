// Anthropic Messages API wire types for the daemon's `POST /v1/messages` door (what Claude Code and the
// Anthropic SDKs send). The request schema is a TypeBox value so fastify validates it; content blocks are
// checked loosely here (a `type` string) and precisely in the translation, which names the bad block.
import { Type, type Static } from 'typebox';
import type { RoutingDecision } from './openai';

const Loose = { additionalProperties: true } as const;

export const AnthropicBlockParamSchema = Type.Object({ type: Type.String() }, Loose);

export const AnthropicMessageParamSchema = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.Union([Type.String(), Type.Array(AnthropicBlockParamSchema)]),
  },
  Loose,
);

export const AnthropicToolParamSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    type: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    description: Type.Optional(Type.String()),
    input_schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  Loose,
);

const messagesFields = {
  /** "auto", "auto:*", a pool model, or a Claude model id (routed as auto when not in the pool). */
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(AnthropicMessageParamSchema, { minItems: 1 }),
  system: Type.Optional(Type.Union([Type.String(), Type.Array(AnthropicBlockParamSchema)])),
  tools: Type.Optional(Type.Array(AnthropicToolParamSchema)),
  tool_choice: Type.Optional(
    Type.Object(
      {
        type: Type.String(),
        name: Type.Optional(Type.String()),
        disable_parallel_tool_use: Type.Optional(Type.Boolean()),
      },
      Loose,
    ),
  ),
};

export const MessagesRequestSchema = Type.Object(
  {
    ...messagesFields,
    max_tokens: Type.Integer({ minimum: 1 }),
    stream: Type.Optional(Type.Boolean()),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
    metadata: Type.Optional(Type.Object({ user_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, Loose)),
  },
  Loose,
);
export type MessagesRequest = Static<typeof MessagesRequestSchema>;

export const CountTokensRequestSchema = Type.Object(messagesFields, Loose);
export type CountTokensRequest = Static<typeof CountTokensRequestSchema>;

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export type AnthropicOutputBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

export interface AnthropicUsageOut {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /**
   * The writes split by cache lifetime, as Anthropic reports them; null (as Anthropic's own type
   * allows) where the split is not known yet: a stream's message_start.
   */
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } | null;
}

/** Fugusashi's decision, plus the model the client asked for when the door had to re-map it. */
export type DoorRoutingDecision = RoutingDecision & { requested_model?: string };

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicOutputBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsageOut;
  /** Fugusashi extra: why this model answered. */
  routing_decision?: DoorRoutingDecision;
}

export type AnthropicStreamEventOut =
  | { type: 'message_start'; message: AnthropicMessage }
  | {
      type: 'content_block_start';
      index: number;
      content_block:
        | { type: 'text'; text: '' }
        | { type: 'tool_use'; id: string; name: string; input: object }
        | { type: 'thinking'; thinking: ''; signature: '' }
        | { type: 'redacted_thinking'; data: string };
    }
  | {
      type: 'content_block_delta';
      index: number;
      delta:
        | { type: 'text_delta'; text: string }
        | { type: 'input_json_delta'; partial_json: string }
        | { type: 'thinking_delta'; thinking: string }
        | { type: 'signature_delta'; signature: string };
    }
  | { type: 'content_block_stop'; index: number }
  | {
      type: 'message_delta';
      delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null };
      usage: { input_tokens: number; output_tokens: number } & Partial<AnthropicUsageOut>;
    }
  | { type: 'message_stop' };

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/**
 * Set by the Messages door on the chat request when the client marked any block, system block or
 * tool with `cache_control` (Claude Code always does): an Anthropic upstream then gets cache
 * breakpoints again, so the conversation's prefix is read from Anthropic's prompt cache (a tenth of
 * the input price) instead of paid in full every turn. Other providers never forward it.
 */
export const PROMPT_CACHE_FIELD = 'fugusashi_prompt_cache';

/**
 * Set by the Messages door to the client's `thinking` (extended thinking) object: an Anthropic upstream
 * gets it as `thinking`; other providers ignore it (the OpenAI adapter forwards an allowlist only).
 */
export const THINKING_FIELD = 'fugusashi_thinking';

/** GET /v1/models as the Anthropic API answers it (`client.models.list()` / `.retrieve()`). */
export interface AnthropicModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  /** RFC 3339. */
  created_at: string;
}

export interface AnthropicModelPage {
  data: AnthropicModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}
