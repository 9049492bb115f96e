// OpenAI Responses ⇄ the chat service's chat-completions shapes: the `/v1/responses` door is this
// translation plus a bounded memory of past responses (previous_response_id, item_reference). Pure.
import { FugusashiError } from '../../../shared/errors';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ContentPart,
  FinishReason,
  Tool,
  ToolCall,
  Usage,
} from '../../../shared/openai';
import type { DoorRoutingDecision } from '../../../shared/anthropic-messages';
import type {
  ResponseFunctionCallItem,
  ResponseMessageItem,
  ResponseMessagePart,
  ResponseObject,
  ResponseOutputRefusal,
  ResponseOutputText,
  ResponseOutputItem,
  ResponseStreamEvent,
  ResponsesRequest,
  ResponseUsage,
} from '../../../shared/responses';
import { ToolCallSequencer, type SequencedCall, type ToolCallEvent } from './tool-call-sequence';

type Item = Record<string, unknown> & { type?: string };

/** Looks up an item a client refers to by id (`item_reference`, from an earlier stored response). */
export type ItemLookup = (id: string) => Item | undefined;

function invalid(message: string, param: string): FugusashiError {
  return new FugusashiError('InvalidRequest', message, param);
}

function contentParts(content: unknown, param: string): ContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of content parts.`, param);
  return (content as Item[]).map((part, i): ContentPart => {
    const where = `${param}[${i}]`;
    switch (part?.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        if (typeof part['text'] !== 'string') throw invalid(`${where}.text must be a string.`, `${where}.text`);
        return { type: 'text', text: part['text'] };
      case 'refusal':
        return { type: 'text', text: typeof part['refusal'] === 'string' ? part['refusal'] : '' };
      case 'input_image': {
        const url = part['image_url'];
        if (typeof url !== 'string') {
          throw invalid(`${where}: only image_url images are supported (no uploaded file ids).`, `${where}.image_url`);
        }
        const detail = part['detail'];
        return { type: 'image_url', image_url: { url, ...(typeof detail === 'string' ? { detail } : {}) } };
      }
      default:
        throw invalid(`Unsupported content part type '${String(part?.type)}'.`, `${where}.type`);
    }
  });
}

function textOf(parts: readonly ContentPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

/** Appends the chat messages one input item stands for. */
function addItem(item: Item, param: string, out: ChatMessage[], lookup: ItemLookup, depth = 0): void {
  const type = item.type ?? (typeof item['role'] === 'string' ? 'message' : undefined);
  switch (type) {
    case 'message': {
      const role = item['role'];
      if (typeof role !== 'string' || !ROLES.has(role)) {
        throw invalid(`${param}.role must be one of user, assistant, system, developer.`, `${param}.role`);
      }
      const parts = contentParts(item['content'], `${param}.content`);
      if (role === 'user') {
        const onlyText = parts.every((p) => p.type === 'text');
        out.push({ role: 'user', content: onlyText ? textOf(parts) : parts });
      } else out.push({ role: role as 'assistant' | 'system' | 'developer', content: textOf(parts) });
      return;
    }
    case 'function_call': {
      const callId = item['call_id'];
      const name = item['name'];
      if (typeof callId !== 'string' || typeof name !== 'string') {
        throw invalid(`${param} (function_call) needs call_id and name.`, param);
      }
      const args = typeof item['arguments'] === 'string' ? item['arguments'] : '{}';
      const call: ToolCall = { id: callId, type: 'function', function: { name, arguments: args } };
      // Consecutive calls (and the text before them) are one assistant turn in chat completions.
      const last = out[out.length - 1];
      if (last?.role === 'assistant') (last.tool_calls ??= []).push(call);
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    case 'function_call_output': {
      const callId = item['call_id'];
      if (typeof callId !== 'string') throw invalid(`${param}.call_id is required.`, `${param}.call_id`);
      const output = item['output'];
      // An output may hold images (input_image): they stay with the result, as a user turn's would.
      const parts = typeof output === 'string' ? null : contentParts(output, `${param}.output`);
      const content =
        parts === null ? (output as string) : parts.every((p) => p.type === 'text') ? textOf(parts) : parts;
      out.push({ role: 'tool', tool_call_id: callId, content });
      return;
    }
    case 'item_reference': {
      const id = item['id'];
      const found = typeof id === 'string' && depth === 0 ? lookup(id) : undefined;
      if (!found) {
        throw new FugusashiError('NotFound', `Item '${String(id)}' is not stored (or no longer).`, `${param}.id`);
      }
      addItem(found, param, out, lookup, depth + 1);
      return;
    }
    case 'reasoning':
      return; // pool models get no hidden reasoning of another model
    default:
      throw invalid(`Unsupported input item type '${String(type)}'.`, `${param}.type`);
  }
}

/** This request's own input as chat messages (without instructions or history). */
export function inputMessages(input: ResponsesRequest['input'], lookup: ItemLookup): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const out: ChatMessage[] = [];
  input.forEach((item, i) => addItem(item, `input[${i}]`, out, lookup));
  return out;
}

/** The response's output items as chat messages (what a later turn sees as history). */
export function outputMessages(output: readonly ResponseOutputItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  output.forEach((item, i) => addItem(item as unknown as Item, `output[${i}]`, out, () => undefined));
  return out;
}

const HOSTED_TOOLS = new Set([
  'web_search',
  'web_search_preview',
  'file_search',
  'code_interpreter',
  'computer_use_preview',
  'image_generation',
  'mcp',
]);

function functionTools(tools: NonNullable<ResponsesRequest['tools']>): Tool[] {
  return tools.map((t, i) => {
    if (t.type !== 'function') {
      // Hosted tools (web_search, file_search…) run on OpenAI's servers; client-side custom and
      // local_shell tools have no JSON-schema form that other providers' models could call.
      throw invalid(
        HOSTED_TOOLS.has(t.type)
          ? `Tool type '${t.type}' runs on OpenAI's servers; only function tools can be routed across a pool.`
          : `Tool type '${t.type}' is understood by OpenAI's own models only; only function tools (type "function" with JSON-schema parameters) can be routed across a pool.`,
        `tools[${i}]`,
      );
    }
    if (!t.name) throw invalid(`tools[${i}].name is required.`, `tools[${i}].name`);
    const strict = strictness(t.strict, t.parameters);
    return {
      type: 'function',
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        ...(t.parameters ? { parameters: t.parameters } : {}),
        ...(strict === undefined ? {} : { strict }),
      },
    };
  });
}

/**
 * A function tool's `strict` for chat completions, where an absent `strict` means non-strict. In
 * Responses an absent (or null) `strict` means strict whenever the schema allows it (OpenAI's
 * function-calling guide: it "will attempt to normalize your schema into strict mode when possible"
 * and falls back to best-effort calling otherwise). OpenAI's rewriting of a loose schema into a
 * strict one is not imitated: a schema that already meets strict mode's rules gets `strict: true`,
 * any other is sent non-strict, as it would have been called.
 */
function strictness(strict: boolean | null | undefined, parameters: unknown): boolean | undefined {
  if (typeof strict === 'boolean') return strict;
  const rootIsObject = (parameters as { type?: unknown } | null | undefined)?.type === 'object';
  return rootIsObject && meetsStrictRules(parameters) ? true : undefined;
}

/** Strict mode's object rules: every object closes its properties and requires all of them. */
function meetsStrictRules(schema: unknown, depth = 0): boolean {
  if (depth > 32 || schema === null || typeof schema !== 'object') return false;
  if (Array.isArray(schema)) return schema.every((s) => meetsStrictRules(s, depth + 1));
  const node = schema as Record<string, unknown>;
  const properties = node['properties'];
  const props = typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : null;
  if (node['type'] === 'object' || props) {
    if (node['additionalProperties'] !== false) return false;
    const required = Array.isArray(node['required']) ? (node['required'] as unknown[]) : [];
    if (!Object.keys(props ?? {}).every((k) => required.includes(k))) return false;
    if (!Object.values(props ?? {}).every((s) => meetsStrictRules(s, depth + 1))) return false;
  }
  for (const key of ['items', 'anyOf', '$defs', 'definitions'] as const) {
    const sub = node[key];
    if (sub === undefined) continue;
    const subs = key === '$defs' || key === 'definitions' ? Object.values(sub as object) : [sub];
    if (!subs.every((s) => meetsStrictRules(s, depth + 1))) return false;
  }
  return true;
}

/**
 * Request fields naming state or work kept on OpenAI's servers, which a local gateway does not have:
 * answering without them would silently drop the history, instructions, asynchrony or moderation the
 * client asked for.
 */
const OPENAI_SERVER_SIDE: readonly [keyof ResponsesRequest, string][] = [
  [
    'conversation',
    "conversations live on OpenAI's servers. Chain turns with previous_response_id, or send the earlier turns in input.",
  ],
  [
    'prompt',
    "stored prompts live on OpenAI's servers. Send the prompt's text (its variables filled in) as instructions.",
  ],
  [
    'background',
    'responses are answered while the request is open. Send it without background (with stream: true to read the answer as it comes).',
  ],
  [
    'moderation',
    "moderated responses are checked by OpenAI's moderation models, which a pool's models do not pass through. Check input and answer with a moderation endpoint yourself, and send the request without moderation.",
  ],
];

function refuseServerSideFeatures(request: ResponsesRequest): void {
  for (const [param, instead] of OPENAI_SERVER_SIDE) {
    const value = request[param];
    if (value === undefined || value === null || value === false) continue;
    throw invalid(`'${param}' is not supported by this local gateway: ${instead}`, param);
  }
}

function toolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null || typeof choice === 'string') return choice ?? undefined;
  const c = choice as { type?: unknown; name?: unknown };
  if (c.type === 'function' && typeof c.name === 'string') return { type: 'function', function: { name: c.name } };
  throw invalid('tool_choice must be auto, none, required or {type: "function", name}.', 'tool_choice');
}

/** text.format → response_format (json_object, json_schema); plain text needs nothing. */
function responseFormat(text: unknown): unknown {
  const format = (text as { format?: Record<string, unknown> } | undefined)?.format;
  if (!format || format['type'] === 'text') return undefined;
  if (format['type'] === 'json_object') return { type: 'json_object' };
  if (format['type'] === 'json_schema') {
    const { type: _type, ...schema } = format;
    return { type: 'json_schema', json_schema: schema };
  }
  throw invalid(`Unsupported text.format type '${String(format['type'])}'.`, 'text.format.type');
}

/**
 * A Responses request as the chat service's request. `history` is the stored conversation up to
 * previous_response_id; `turn` (this request's input) is returned so the route can store it.
 */
export function toChatRequest(
  request: ResponsesRequest,
  history: readonly ChatMessage[],
  lookup: ItemLookup,
): { chat: ChatCompletionRequest; turn: ChatMessage[] } {
  refuseServerSideFeatures(request);
  const turn = inputMessages(request.input, lookup);
  const messages: ChatMessage[] = [];
  // Instructions are per request: a previous response's instructions are not carried over (as OpenAI).
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  messages.push(...history, ...turn);
  if (messages.length === 0) throw invalid('input has no content to send.', 'input');
  const chat: ChatCompletionRequest = { model: request.model, messages };
  if (request.stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (request.temperature != null) chat.temperature = request.temperature;
  if (request.top_p != null) chat.top_p = request.top_p;
  if (request.max_output_tokens != null) chat.max_tokens = request.max_output_tokens;
  if (request.user) chat.user = request.user;
  // Fields the chat request has under other names (the chat door forwards them as the client sends them).
  const extra = chat as Record<string, unknown>;
  const effort = (request.reasoning as { effort?: unknown } | null | undefined)?.effort;
  if (typeof effort === 'string') extra['reasoning_effort'] = effort;
  const verbosity = (request.text as { verbosity?: unknown } | null | undefined)?.verbosity;
  if (typeof verbosity === 'string') extra['verbosity'] = verbosity;
  if (typeof request.service_tier === 'string') extra['service_tier'] = request.service_tier;
  if (request.tools?.length) {
    chat.tools = functionTools(request.tools);
    const choice = toolChoice(request.tool_choice);
    if (choice !== undefined) chat.tool_choice = choice;
    if (request.parallel_tool_calls === false) extra['parallel_tool_calls'] = false;
  }
  const format = responseFormat(request.text);
  if (format) chat.response_format = format;
  return { chat, turn };
}

/** Item ids derive from the response id (fugu-<hex>) so they are unique and traceable. */
export function itemIds(responseId: string): { message: (n: number) => string; call: (n: number) => string } {
  const hex = responseId.replace(/^fugu-/, '');
  return { message: (n) => (n === 0 ? `msg_${hex}` : `msg_${hex}_${n}`), call: (n) => `fc_${hex}_${n}` };
}

function usageOut(u: Usage | undefined): ResponseUsage | null {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: u.prompt_tokens + u.completion_tokens,
  };
}

function messageItem(id: string, content: ResponseMessagePart[], status: ResponseMessageItem['status']) {
  return { type: 'message', id, status, role: 'assistant', content } satisfies ResponseMessageItem;
}

const outputText = (text: string): ResponseOutputText => ({ type: 'output_text', text, annotations: [], logprobs: [] });
const refusalPart = (refusal: string): ResponseOutputRefusal => ({ type: 'refusal', refusal });

/**
 * An OpenAI upstream's refusal (structured outputs: `message.refusal`, streamed `delta.refusal`). The
 * chat service passes it through untouched; the shared chat types do not name it.
 */
function refusalOf(messageOrDelta: object | undefined): string {
  const refusal = (messageOrDelta as { refusal?: unknown } | undefined)?.refusal;
  return typeof refusal === 'string' ? refusal : '';
}

/** The response object before any output (response.created) — also the base of the final one. */
export function responseShell(
  request: ResponsesRequest,
  id: string,
  model: string,
  decision: DoorRoutingDecision | undefined,
): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    store: request.store !== false,
    temperature: request.temperature ?? null,
    top_p: request.top_p ?? null,
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    text: request.text ?? { format: { type: 'text' } },
    metadata: request.metadata ?? {},
    usage: null,
    ...(decision ? { routing_decision: decision } : {}),
  };
}

/** A message item's status: OpenAI marks the message of an answer cut short incomplete too. */
function itemStatus(finish: FinishReason): ResponseMessageItem['status'] {
  return incompleteReason(finish) ? 'incomplete' : 'completed';
}

/** Why an answer stopped short, as OpenAI's incomplete_details.reason (null: it is complete). */
function incompleteReason(finish: FinishReason): string | null {
  if (finish === 'length') return 'max_output_tokens';
  // An upstream's content filter (OpenAI) or refusal stop (Anthropic, mapped by its adapter).
  if (finish === 'content_filter') return 'content_filter';
  return null;
}

function finished(shell: ResponseObject, output: ResponseOutputItem[], finish: FinishReason, usage?: Usage) {
  const reason = incompleteReason(finish);
  return {
    ...shell,
    status: reason ? 'incomplete' : 'completed',
    incomplete_details: reason ? { reason } : null,
    output,
    usage: usageOut(usage),
  } satisfies ResponseObject;
}

export function toResponseObject(request: ResponsesRequest, completion: ChatCompletion): ResponseObject {
  const choice = completion.choices[0];
  const ids = itemIds(completion.id);
  const output: ResponseOutputItem[] = [];
  const parts: ResponseMessagePart[] = [];
  const text = choice?.message.content;
  if (text) parts.push(outputText(text));
  const refusal = refusalOf(choice?.message);
  if (refusal) parts.push(refusalPart(refusal));
  const finish = choice?.finish_reason ?? 'stop';
  if (parts.length) output.push(messageItem(ids.message(0), parts, itemStatus(finish)));
  (choice?.message.tool_calls ?? []).forEach((call, n) =>
    output.push({
      type: 'function_call',
      id: ids.call(n),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
      status: 'completed',
    }),
  );
  const shell = responseShell(request, completion.id, completion.model, completion.routing_decision);
  return finished(shell, output, finish, completion.usage);
}

/** The message being streamed: its finished content parts and the part still growing. */
interface OpenMessage {
  outputIndex: number;
  id: string;
  parts: ResponseMessagePart[];
  part: { type: ResponseMessagePart['type']; text: string } | null;
}

/** A function call item on the wire: where it is in the output and its item as added. */
interface StartedCall {
  outputIndex: number;
  item: ResponseFunctionCallItem;
}

/**
 * The service's chunks → the Responses stream: response.created / in_progress, then per output item
 * output_item.added, its content parts (content_part.added, output_text.delta or refusal.delta, their
 * .done, content_part.done) or its function_call_arguments.delta / .done, and output_item.done, then
 * response.completed (or response.incomplete) with the whole response. As OpenAI's stream does, one
 * output item is done before the next is added: parallel calls whose pieces the upstream interleaves
 * are put one after the other (ToolCallSequencer).
 */
export class ResponsesStreamTranslator {
  private seq = 0;
  private readonly output: ResponseOutputItem[] = [];
  private message: OpenMessage | null = null;
  private messages = 0;
  private readonly toolCalls = new ToolCallSequencer();
  /** Each call on the wire by the sequencer's call (late argument pieces still reach the final response). */
  private readonly started = new Map<SequencedCall, StartedCall>();
  private readonly ids: ReturnType<typeof itemIds>;
  private finish: FinishReason = null;
  private usage: Usage | undefined;
  /** The final response, once end() ran. */
  result: ResponseObject | null = null;

  constructor(private shell: ResponseObject) {
    this.ids = itemIds(shell.id);
  }

  /**
   * The routing decision changed after response.created went out (ChatStream.chunks: e.g. the
   * model that really answered once an escalated team was stopped): the final response names
   * that model and decision.
   */
  decided(model: string, decision: DoorRoutingDecision): void {
    this.shell = { ...this.shell, model, routing_decision: decision };
  }

  private event(out: ResponseStreamEvent[], type: string, fields: Record<string, unknown>): void {
    out.push({ type, sequence_number: this.seq++, ...fields });
  }

  start(out: ResponseStreamEvent[]): void {
    this.event(out, 'response.created', { response: this.shell });
    this.event(out, 'response.in_progress', { response: this.shell });
  }

  push(chunk: ChatCompletionChunk, out: ResponseStreamEvent[]): void {
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return;
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const { content, tool_calls } = choice.delta;
    if (content) this.messageDelta('output_text', content, out);
    const refusal = refusalOf(choice.delta);
    if (refusal) this.messageDelta('refusal', refusal, out);
    if (tool_calls?.length) {
      // A new call after text: the message is done (a late piece of an earlier call is no new item).
      if (tool_calls.some((delta) => !this.toolCalls.knows(delta.index))) this.closeMessage(out);
      const events: ToolCallEvent[] = [];
      for (const delta of tool_calls) this.toolCalls.push(delta, events);
      this.callEvents(events, out);
    }
  }

  end(out: ResponseStreamEvent[]): ResponseObject {
    // The message still open is the answer's last: cut short, it is incomplete (as its response).
    this.closeMessage(out, itemStatus(this.finish ?? 'stop'));
    this.closeCalls(out);
    // A piece that came after its call was done (only after text between its pieces) is not lost.
    for (const [call, { outputIndex, item }] of this.started) {
      this.output[outputIndex] = { ...item, arguments: call.arguments, status: 'completed' };
    }
    const result = finished(this.shell, this.output, this.finish ?? 'stop', this.usage);
    this.event(out, result.status === 'incomplete' ? 'response.incomplete' : 'response.completed', {
      response: result,
    });
    this.result = result;
    return result;
  }

  /** An in-band failure after the stream started (OpenAI's `error` event; the SDKs raise it). */
  fail(
    out: ResponseStreamEvent[],
    status: number,
    error: { message: string; type: string; code: string | null },
  ): void {
    const code = error.code ?? String(status);
    this.event(out, 'error', {
      code,
      message: error.message,
      param: null,
      error: { type: error.type, code, message: error.message, param: null },
    });
  }

  /** A piece of answer text or refusal: opens the message item and the part as needed. */
  private messageDelta(type: ResponseMessagePart['type'], delta: string, out: ResponseStreamEvent[]): void {
    this.closeCalls(out);
    let message = this.message;
    if (!message) {
      // Text after a tool call is a new message item (a later one gets its own id).
      message = { outputIndex: this.output.length, id: this.ids.message(this.messages++), parts: [], part: null };
      this.message = message;
      const item = messageItem(message.id, [], 'in_progress');
      this.output.push(item);
      this.event(out, 'response.output_item.added', { output_index: message.outputIndex, item });
    }
    if (message.part?.type !== type) {
      this.closePart(message, out);
      message.part = { type, text: '' };
      this.event(out, 'response.content_part.added', {
        ...this.where(message),
        part: type === 'output_text' ? outputText('') : refusalPart(''),
      });
    }
    message.part.text += delta;
    if (type === 'output_text') {
      this.event(out, 'response.output_text.delta', { ...this.where(message), delta, logprobs: [] });
    } else this.event(out, 'response.refusal.delta', { ...this.where(message), delta });
  }

  private where(message: OpenMessage): { item_id: string; output_index: number; content_index: number } {
    return { item_id: message.id, output_index: message.outputIndex, content_index: message.parts.length };
  }

  private closePart(message: OpenMessage, out: ResponseStreamEvent[]): void {
    const open = message.part;
    if (!open) return;
    const where = this.where(message);
    message.part = null;
    const part = open.type === 'output_text' ? outputText(open.text) : refusalPart(open.text);
    if (part.type === 'output_text') {
      this.event(out, 'response.output_text.done', { ...where, text: part.text, logprobs: [] });
    } else this.event(out, 'response.refusal.done', { ...where, refusal: part.refusal });
    this.event(out, 'response.content_part.done', { ...where, part });
    message.parts.push(part);
  }

  private closeMessage(out: ResponseStreamEvent[], status: ResponseMessageItem['status'] = 'completed'): void {
    const message = this.message;
    if (!message) return;
    this.closePart(message, out);
    this.message = null;
    const item = messageItem(message.id, message.parts, status);
    this.output[message.outputIndex] = item;
    this.event(out, 'response.output_item.done', { output_index: message.outputIndex, item });
  }

  /** The answer goes on with text, or ends: every call still open or held is done. */
  private closeCalls(out: ResponseStreamEvent[]): void {
    if (!this.toolCalls.streaming) return;
    const events: ToolCallEvent[] = [];
    this.toolCalls.finish(events);
    this.callEvents(events, out);
  }

  /** The sequencer's events as function_call items: added, arguments deltas, arguments.done and done. */
  private callEvents(events: readonly ToolCallEvent[], out: ResponseStreamEvent[]): void {
    for (const event of events) {
      const { call } = event;
      if (event.type === 'start') {
        const n = this.started.size;
        const item: ResponseFunctionCallItem = {
          type: 'function_call',
          id: this.ids.call(n),
          call_id: call.id ?? `call_${this.shell.id}_${n}`,
          name: call.name,
          arguments: '',
          status: 'in_progress',
        };
        const started = { outputIndex: this.output.length, item };
        this.started.set(call, started);
        this.output.push(item);
        this.event(out, 'response.output_item.added', { output_index: started.outputIndex, item });
        continue;
      }
      const { outputIndex, item: added } = this.started.get(call)!;
      if (event.type === 'arguments') {
        this.event(out, 'response.function_call_arguments.delta', {
          item_id: added.id,
          output_index: outputIndex,
          delta: event.piece,
        });
        continue;
      }
      const item: ResponseFunctionCallItem = { ...added, arguments: call.arguments, status: 'completed' };
      this.output[outputIndex] = item;
      this.event(out, 'response.function_call_arguments.done', {
        item_id: item.id,
        output_index: outputIndex,
        name: item.name,
        arguments: item.arguments,
      });
      this.event(out, 'response.output_item.done', { output_index: outputIndex, item });
    }
  }
}
