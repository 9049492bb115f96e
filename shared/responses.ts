// OpenAI Responses API wire types for the daemon's `POST /v1/responses` door (what the Vercel AI SDK's
// default `openai(...)` provider, LangChain's `useResponsesApi` and `client.responses` send). The request
// schema is a TypeBox value for fastify; input items are checked loosely here (an object) and precisely
// in the translation, which names the bad item.
import { Type, type Static } from 'typebox';
import type { DoorRoutingDecision } from './anthropic-messages';

const Loose = { additionalProperties: true } as const;

export const ResponseInputItemSchema = Type.Object({ type: Type.Optional(Type.String()) }, Loose);

export const ResponseToolSchema = Type.Object(
  {
    type: Type.String(),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    parameters: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  Loose,
);

export const ResponsesRequestSchema = Type.Object(
  {
    /** "auto", "auto:*", or a pool model's name, as on /v1/chat/completions. */
    model: Type.String({ minLength: 1 }),
    input: Type.Union([Type.String(), Type.Array(ResponseInputItemSchema)]),
    instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    previous_response_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    tools: Type.Optional(Type.Array(ResponseToolSchema)),
    tool_choice: Type.Optional(Type.Unknown()),
    parallel_tool_calls: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
    top_p: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
    max_output_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    text: Type.Optional(Type.Unknown()),
    metadata: Type.Optional(Type.Unknown()),
    user: Type.Optional(Type.String()),
    /** `effort` becomes the chat request's reasoning_effort. */
    reasoning: Type.Optional(Type.Unknown()),
    service_tier: Type.Optional(Type.Unknown()),
    /** OpenAI-hosted state and work this door does not have: refused with a 400 naming what to use instead. */
    conversation: Type.Optional(Type.Unknown()),
    prompt: Type.Optional(Type.Unknown()),
    background: Type.Optional(Type.Unknown()),
    moderation: Type.Optional(Type.Unknown()),
  },
  Loose,
);
export type ResponsesRequest = Static<typeof ResponsesRequestSchema>;

export interface ResponseOutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

/** The model declined (an OpenAI upstream's `message.refusal`). */
export interface ResponseOutputRefusal {
  type: 'refusal';
  refusal: string;
}

export type ResponseMessagePart = ResponseOutputText | ResponseOutputRefusal;

export interface ResponseMessageItem {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: ResponseMessagePart[];
}

export interface ResponseFunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

export type ResponseOutputItem = ResponseMessageItem | ResponseFunctionCallItem;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponseOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  store: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: unknown;
  tools: unknown[];
  text: unknown;
  metadata: unknown;
  usage: ResponseUsage | null;
  /** Fugusashi extra: why this model answered. */
  routing_decision?: DoorRoutingDecision;
}

/** The typed stream events this door sends (each also carries `sequence_number`). */
export type ResponseStreamEvent = { type: string; sequence_number: number } & Record<string, unknown>;
