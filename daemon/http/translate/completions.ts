// Legacy OpenAI completions (`POST /v1/completions`, what Continue's autocomplete and older tools call)
// ⇄ the chat service's shapes: the prompt becomes one user message, each choice's text comes back as
// `choices[].text`. Nothing else: routing, fallback, records and prices are the chat service's. Pure.
import { Type, type Static } from 'typebox';
import { FugusashiError } from '../../../shared/errors';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  FinishReason,
  RoutingDecision,
  Usage,
} from '../../../shared/openai';

export const CompletionRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    /** One prompt: a string, or a list holding one string (token-id prompts are not supported). */
    prompt: Type.Union([Type.String(), Type.Array(Type.String())]),
    stream: Type.Optional(Type.Boolean()),
    stream_options: Type.Optional(
      Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
    ),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String()), Type.Null()])),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    seed: Type.Optional(Type.Integer()),
    user: Type.Optional(Type.String()),
    echo: Type.Optional(Type.Boolean()),
    /** Fill-in-the-middle: refused unless empty (see toChatRequest). */
    suffix: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: true },
);
export type CompletionRequest = Static<typeof CompletionRequestSchema>;

export interface TextCompletionChoice {
  index: number;
  text: string;
  logprobs: null;
  finish_reason: FinishReason;
}

export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: TextCompletionChoice[];
  usage?: Usage | null;
  routing_decision?: RoutingDecision;
}

function invalid(message: string, param: string): FugusashiError {
  return new FugusashiError('InvalidRequest', message, param);
}

/** The completions request as a chat request (the prompt is the one user message). */
export function toChatRequest(request: CompletionRequest): ChatCompletionRequest {
  const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
  if (prompts.length !== 1) throw invalid('Send one prompt per request.', 'prompt');
  if (request.echo) throw invalid('echo is not supported: chat models do not return the prompt.', 'echo');
  // The prompt is answered as a chat message, so nothing can honour an insertion point: answering
  // as if no suffix had been sent would be text that does not join up with it (as LiteLLM does
  // unless told to drop unsupported parameters, the request is refused, naming the parameter).
  if (request.suffix)
    throw invalid(
      "Unsupported parameter: 'suffix' (fill-in-the-middle) is not supported: the prompt is answered by chat models, " +
        'which cannot insert text between a prefix and a suffix. Send the prompt without a suffix.',
      'suffix',
    );
  const out: ChatCompletionRequest = { model: request.model, messages: [{ role: 'user', content: prompts[0]! }] };
  if (request.stream) {
    out.stream = true;
    if (request.stream_options) out.stream_options = request.stream_options;
  }
  if (request.max_tokens !== undefined) out.max_tokens = request.max_tokens;
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  if (request.stop !== undefined && request.stop !== null) out.stop = request.stop;
  if (request.n !== undefined) out.n = request.n;
  if (request.seed !== undefined) out.seed = request.seed;
  if (request.user !== undefined) out.user = request.user;
  return out;
}

export function toTextCompletion(completion: ChatCompletion): TextCompletion {
  return {
    id: completion.id,
    object: 'text_completion',
    created: completion.created,
    model: completion.model,
    choices: completion.choices.map((c) => ({
      index: c.index,
      text: c.message.content ?? '',
      logprobs: null,
      finish_reason: c.finish_reason,
    })),
    ...(completion.usage ? { usage: completion.usage } : {}),
    ...(completion.routing_decision ? { routing_decision: completion.routing_decision } : {}),
  };
}

/** A chat chunk as a completions chunk; null for one with nothing a completions client reads. */
export function toTextChunk(chunk: ChatCompletionChunk): TextCompletion | null {
  const carriesText = chunk.choices.some((c) => c.delta.content || c.finish_reason);
  if (!carriesText && !chunk.usage && !chunk.routing_decision) return null;
  // The role chunk that brings the routing decision keeps its (empty) choices: clients read choices[0].
  const choices = chunk.choices.map((c) => ({
    index: c.index,
    text: c.delta.content ?? '',
    logprobs: null,
    finish_reason: c.finish_reason,
  }));
  return {
    id: chunk.id,
    object: 'text_completion',
    created: chunk.created,
    model: chunk.model,
    choices,
    ...(chunk.usage ? { usage: chunk.usage } : {}),
    ...(chunk.routing_decision ? { routing_decision: chunk.routing_decision } : {}),
  };
}
