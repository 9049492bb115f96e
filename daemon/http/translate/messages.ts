// Anthropic Messages ⇄ the chat service's OpenAI shapes: the `/v1/messages` door is this translation
// and nothing else. The Anthropic upstream adapter (daemon/providers/anthropic) goes the other way
// (OpenAI request → Anthropic, Anthropic answer → OpenAI); its stop-reason table is inverted here so
// both directions agree. Pure: no I/O, unit-testable.
import type {
  AnthropicErrorBody,
  AnthropicErrorType,
  AnthropicMessage,
  AnthropicOutputBlock,
  AnthropicStopReason,
  AnthropicStreamEventOut,
  CountTokensRequest,
  DoorRoutingDecision,
  MessagesRequest,
} from '../../../shared/anthropic-messages';
import { PROMPT_CACHE_FIELD, THINKING_FIELD } from '../../../shared/anthropic-messages';
import { FugusashiError } from '../../../shared/errors';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  ChatMessageWithThinking,
  ContentPart,
  FinishReason,
  ThinkingBlock,
  Tool,
  Usage,
} from '../../../shared/openai';
import type { HttpError } from '../errors';
import { ToolCallSequencer, type ToolCallEvent } from './tool-call-sequence';

type Block = Record<string, unknown> & { type: string };

function invalid(message: string, param: string): FugusashiError {
  return new FugusashiError('InvalidRequest', message, param);
}

/** An Anthropic image source as the URL an OpenAI image part carries (data URL for base64). */
function imageUrl(block: Block, param: string): string {
  const source = block['source'] as { type?: string; media_type?: string; data?: string; url?: string } | undefined;
  if (source?.type === 'base64' && typeof source.data === 'string') {
    return `data:${source.media_type ?? 'image/png'};base64,${source.data}`;
  }
  if (source?.type === 'url' && typeof source.url === 'string') return source.url;
  throw invalid(`Unsupported image source at ${param}: use a base64 or url source.`, param);
}

/** Text of a `document` block whose source is plain text; other documents (PDF) are not translatable. */
function documentText(block: Block): string | undefined {
  const source = block['source'] as { type?: string; data?: string; content?: unknown } | undefined;
  if (source?.type === 'text' && typeof source.data === 'string') return source.data;
  if (source?.type === 'content' && typeof source.content === 'string') return source.content;
  return undefined;
}

/**
 * What becomes of a block or tool no pool model can take (a PDF, a server tool, an unknown block
 * type): /v1/messages refuses it with this error; count_tokens, which only estimates, counts it.
 */
type Unroutable = (block: object, error: FugusashiError) => void;

const refuse: Unroutable = (_block, error) => {
  throw error;
};

/** Blocks a pool model cannot use and that carry no user-visible content: dropped, not refused. */
const IGNORED_BLOCKS = new Set(['thinking', 'redacted_thinking']);

function userParts(blocks: readonly Block[], param: string, unroutable: Unroutable): ContentPart[] {
  const parts: ContentPart[] = [];
  blocks.forEach((b, i) => {
    const where = `${param}[${i}]`;
    if (b.type === 'text') {
      if (typeof b['text'] !== 'string') throw invalid(`${where}.text must be a string.`, `${where}.text`);
      parts.push({ type: 'text', text: b['text'] });
    } else if (b.type === 'image') parts.push({ type: 'image_url', image_url: { url: imageUrl(b, where) } });
    else if (b.type === 'document') {
      const text = documentText(b);
      if (text !== undefined) parts.push({ type: 'text', text });
      else unroutable(b, invalid(`Unsupported document at ${where}: only text documents can be routed.`, where));
    } else if (!IGNORED_BLOCKS.has(b.type))
      unroutable(b, invalid(`Unsupported content block type '${b.type}'.`, `${where}.type`));
  });
  return parts;
}

/** A tool_result's content (string or text/image blocks) as a tool message's content. */
function toolResultContent(content: unknown, param: string, unroutable: Unroutable): ChatMessage['content'] {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`${param} must be a string or an array of blocks.`, param);
  const parts = userParts(content as Block[], param, unroutable);
  return parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n') : parts;
}

function userMessages(content: string | Block[], param: string, out: ChatMessage[], unroutable: Unroutable): void {
  if (typeof content === 'string') {
    out.push({ role: 'user', content });
    return;
  }
  // tool_result blocks answer the previous assistant turn's tool_use: they become `tool` messages,
  // placed before whatever else the user said in the same turn (as OpenAI requires).
  const rest: Block[] = [];
  content.forEach((b, i) => {
    if (b.type !== 'tool_result') {
      rest.push(b);
      return;
    }
    const id = b['tool_use_id'];
    if (typeof id !== 'string') throw invalid(`${param}[${i}].tool_use_id is required.`, `${param}[${i}].tool_use_id`);
    let result = toolResultContent(b['content'], `${param}[${i}].content`, unroutable);
    if (b['is_error'] === true && typeof result === 'string') result = `Error: ${result}`;
    out.push({ role: 'tool', tool_call_id: id, content: result });
  });
  if (rest.length === 0) return;
  const parts = userParts(rest, param, unroutable);
  if (parts.length === 0) return;
  const onlyText = parts.every((p) => p.type === 'text');
  out.push({ role: 'user', content: onlyText && parts.length === 1 ? parts[0]!.text : parts });
}

/** A thinking block of the client's history, kept as sent (an Anthropic upstream checks its signature). */
function thinkingBlock(b: Block): ThinkingBlock | undefined {
  if (b.type === 'thinking' && typeof b['thinking'] === 'string') {
    const signature = b['signature'];
    return { type: 'thinking', thinking: b['thinking'], ...(typeof signature === 'string' ? { signature } : {}) };
  }
  if (b.type === 'redacted_thinking' && typeof b['data'] === 'string')
    return { type: 'redacted_thinking', data: b['data'] };
  return undefined;
}

function assistantMessage(content: string | Block[], param: string, unroutable: Unroutable): ChatMessageWithThinking {
  if (typeof content === 'string') return { role: 'assistant', content };
  const texts: string[] = [];
  const toolCalls: NonNullable<ChatMessage['tool_calls']> = [];
  const thinking: ThinkingBlock[] = [];
  content.forEach((b, i) => {
    const thought = thinkingBlock(b);
    if (thought) thinking.push(thought);
    else if (b.type === 'text' && typeof b['text'] === 'string') texts.push(b['text']);
    else if (b.type === 'tool_use') {
      const id = b['id'];
      const name = b['name'];
      if (typeof id !== 'string' || typeof name !== 'string') {
        throw invalid(`${param}[${i}] (tool_use) needs an id and a name.`, `${param}[${i}]`);
      }
      toolCalls.push({ id, type: 'function', function: { name, arguments: JSON.stringify(b['input'] ?? {}) } });
    } else if (!IGNORED_BLOCKS.has(b.type)) {
      unroutable(b, invalid(`Unsupported assistant content block type '${b.type}'.`, `${param}[${i}].type`));
    }
  });
  // Separate blocks stay apart (a blank line, as between system blocks): glued together, "The tests
  // pass." and "Next I will refactor." would read as one run-on sentence. One string, not parts:
  // many OpenAI-compatible servers refuse an array as an assistant message's content.
  const text = texts.filter(Boolean).join('\n\n');
  return {
    role: 'assistant',
    content: text || (toolCalls.length ? null : ''),
    ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    ...(thinking.length ? { thinking_blocks: thinking } : {}),
  };
}

function systemText(system: MessagesRequest['system']): string {
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return (system as Block[])
    .map((b) => (b.type === 'text' && typeof b['text'] === 'string' ? b['text'] : ''))
    .filter(Boolean)
    .join('\n\n');
}

/**
 * Custom tools (an `input_schema`) become function tools. Anthropic-defined tools without a schema
 * (web_search, code_execution…) run on Anthropic's servers, which no pool model has: refused clearly
 * (count_tokens estimates them instead).
 */
function functionTools(tools: NonNullable<MessagesRequest['tools']>, unroutable: Unroutable = refuse): Tool[] {
  const out: Tool[] = [];
  tools.forEach((t, i) => {
    if (!t.input_schema) {
      const error = invalid(
        `Tool '${t.name}' (type ${t.type ?? 'unknown'}) is a server tool; only custom tools with an input_schema can be routed.`,
        `tools[${i}]`,
      );
      unroutable(t, error);
      return;
    }
    out.push({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
    });
  });
  return out;
}

function toolChoice(choice: NonNullable<MessagesRequest['tool_choice']>): unknown {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      if (!choice.name) throw invalid("tool_choice of type 'tool' needs a name.", 'tool_choice.name');
      return { type: 'function', function: { name: choice.name } };
    default:
      throw invalid(`Unknown tool_choice type '${choice.type}'.`, 'tool_choice.type');
  }
}

/** The conversation part of a Messages request (shared by /v1/messages and count_tokens). */
function toChatMessages(request: CountTokensRequest, unroutable: Unroutable = refuse): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = systemText(request.system);
  if (system) messages.push({ role: 'system', content: system });
  request.messages.forEach((m, i) => {
    const param = `messages[${i}].content`;
    const content = m.content;
    if (m.role === 'user') userMessages(content, param, messages, unroutable);
    else messages.push(assistantMessage(content, param, unroutable));
  });
  return messages;
}

/** Whether the client marked any system block, tool or message block with `cache_control`. */
function asksForPromptCache(request: MessagesRequest): boolean {
  const marked = (b: unknown): boolean => typeof b === 'object' && b !== null && 'cache_control' in b;
  if (Array.isArray(request.system) && request.system.some(marked)) return true;
  if (request.tools?.some(marked)) return true;
  return request.messages.some((m) => Array.isArray(m.content) && m.content.some(marked));
}

/** A Messages request as the chat service's request; `model` is the one the door decided to route. */
export function toChatRequest(request: MessagesRequest, model: string): ChatCompletionRequest {
  const out: ChatCompletionRequest = {
    model,
    messages: toChatMessages(request),
    max_tokens: request.max_tokens,
  };
  if (out.messages.length === 0) throw invalid('messages have no content to send.', 'messages');
  if (request.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.top_p !== undefined) out.top_p = request.top_p;
  if (request.stop_sequences?.length) out.stop = request.stop_sequences;
  if (request.metadata?.user_id) out.user = request.metadata.user_id;
  if (asksForPromptCache(request)) (out as Record<string, unknown>)[PROMPT_CACHE_FIELD] = true;
  const thinking = (request as Record<string, unknown>)['thinking'];
  if (thinking && typeof thinking === 'object') (out as Record<string, unknown>)[THINKING_FIELD] = thinking;
  if (request.tools?.length) {
    out.tools = functionTools(request.tools);
    if (request.tool_choice) {
      out.tool_choice = toolChoice(request.tool_choice);
      if (request.tool_choice.disable_parallel_tool_use) {
        (out as Record<string, unknown>)['parallel_tool_calls'] = false;
      }
    }
  }
  return out;
}

/**
 * Inverse of the upstream adapter's mapStopReason. `stop` with the stop sequence that ended it (only
 * Anthropic upstreams say which) is `stop_sequence`; an OpenAI upstream's `stop` stays `end_turn`.
 */
export function stopReason(finish: FinishReason | undefined, stopSequence?: string): AnthropicStopReason | null {
  switch (finish) {
    case 'stop':
      return stopSequence !== undefined ? 'stop_sequence' : 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return null;
  }
}

function parseInput(args: string): unknown {
  if (!args) return {};
  try {
    return JSON.parse(args);
  } catch {
    // A model that wrote broken JSON: keep its text rather than lose it (as the upstream adapter does).
    return { _raw: args };
  }
}

/** Anthropic counts cache reads and writes apart from input_tokens; OpenAI's prompt_tokens includes them. */
function usageOut(usage: Usage | undefined): AnthropicMessage['usage'] {
  const read = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const created = usage?.prompt_tokens_details?.cache_creation_tokens ?? 0;
  const created1h = usage?.prompt_tokens_details?.cache_creation_1h_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - read - created),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: created,
    cache_read_input_tokens: read,
    cache_creation: { ephemeral_5m_input_tokens: created - created1h, ephemeral_1h_input_tokens: created1h },
  };
}

/**
 * An OpenAI upstream's refusal (`message.refusal`, streamed as `delta.refusal`): the chat service
 * passes it through untyped. Anthropic has no refusal block: the text is the answer and
 * `stop_reason: 'refusal'` says what it is.
 */
function refusalOf(part: object | undefined): string | undefined {
  const refusal = (part as { refusal?: unknown } | undefined)?.refusal;
  return typeof refusal === 'string' && refusal ? refusal : undefined;
}

export function toAnthropicMessage(completion: ChatCompletion, decision?: DoorRoutingDecision): AnthropicMessage {
  const choice = completion.choices[0];
  const content: AnthropicOutputBlock[] = [];
  for (const block of choice?.message.thinking_blocks ?? []) {
    content.push(block.type === 'thinking' ? { ...block, signature: block.signature ?? '' } : block);
  }
  const text = choice?.message.content;
  if (text) content.push({ type: 'text', text });
  const refusal = refusalOf(choice?.message);
  if (refusal) content.push({ type: 'text', text: refusal });
  for (const call of choice?.message.tool_calls ?? []) {
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseInput(call.function.arguments),
    });
  }
  return {
    id: completion.id,
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: refusal ? 'refusal' : stopReason(choice?.finish_reason ?? 'stop', choice?.stop_sequence),
    stop_sequence: !refusal && choice?.finish_reason === 'stop' ? (choice.stop_sequence ?? null) : null,
    usage: usageOut(completion.usage),
    ...(decision ? { routing_decision: decision } : {}),
  };
}

/**
 * The service's chunks → Anthropic's event sequence: message_start, then per content block
 * content_block_start / deltas / content_block_stop (text and tool_use blocks in the order they
 * appear, one open at a time: parallel calls whose pieces the upstream interleaves are put one after
 * the other), then message_delta (stop reason, usage) and message_stop. Fed chunk by chunk.
 */
export class MessagesStreamTranslator {
  private blockIndex = -1;
  private openBlock: 'text' | 'tool' | 'thinking' | null = null;
  /** Parallel calls one block at a time, even when the upstream interleaves their pieces. */
  private readonly toolCalls = new ToolCallSequencer();
  private finish: FinishReason = null;
  private stopSequence: string | undefined;
  /** The upstream refused (streamed `delta.refusal`): the stop reason says so. */
  private refused = false;
  private usage: Usage | undefined;
  /** A decision that replaced the one message_start carried: message_delta carries it. */
  private finalDecision: DoorRoutingDecision | undefined;

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly decision: DoorRoutingDecision,
    private readonly estimatedInputTokens: number,
  ) {}

  start(): AnthropicStreamEventOut {
    return {
      type: 'message_start',
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The SDKs keep this usage object as the final message's and copy only the top-level counts
        // from message_delta: a zero split here would contradict the cache writes message_delta
        // reports. The upstream's usage arrives with its last chunk, so the split is unknown now: null.
        usage: {
          ...usageOut(undefined),
          input_tokens: this.estimatedInputTokens,
          output_tokens: 1,
          cache_creation: null,
        },
        routing_decision: this.decision,
      },
    };
  }

  push(chunk: ChatCompletionChunk, out: AnthropicStreamEventOut[]): void {
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return;
    if (choice.finish_reason) {
      this.finish = choice.finish_reason;
      this.stopSequence = choice.stop_sequence;
    }
    const { content, tool_calls, thinking_blocks } = choice.delta;
    for (const piece of thinking_blocks ?? []) this.thinking(piece, out);
    if (content) this.text(content, out);
    const refusal = refusalOf(choice.delta);
    if (refusal) {
      this.refused = true;
      this.text(refusal, out);
    }
    if (tool_calls?.length) {
      // A new call after text or thinking closes that block (a late piece of an earlier call does not).
      if (this.openBlock !== 'tool' && tool_calls.some((call) => !this.toolCalls.knows(call.index))) this.close(out);
      const events: ToolCallEvent[] = [];
      for (const call of tool_calls) this.toolCalls.push(call, events);
      this.toolEvents(events, out);
    }
  }

  /** The sequencer's events as tool_use blocks: start, input_json_delta pieces, stop. */
  private toolEvents(events: readonly ToolCallEvent[], out: AnthropicStreamEventOut[]): void {
    for (const event of events) {
      if (event.type === 'start') {
        const index = ++this.blockIndex;
        this.openBlock = 'tool';
        out.push({
          type: 'content_block_start',
          index,
          content_block: {
            type: 'tool_use',
            id: event.call.id ?? `toolu_${this.id}_${index}`,
            name: event.call.name,
            input: {},
          },
        });
      } else if (event.type === 'arguments') {
        out.push({
          type: 'content_block_delta',
          index: this.blockIndex,
          delta: { type: 'input_json_delta', partial_json: event.piece },
        });
      } else {
        out.push({ type: 'content_block_stop', index: this.blockIndex });
        this.openBlock = null;
      }
    }
  }

  /**
   * The routing decision changed after message_start went out (ChatStream.chunks: e.g. the model
   * that really answered once an escalated team was stopped): message_delta names it.
   */
  decided(decision: DoorRoutingDecision): void {
    this.finalDecision = decision;
  }

  end(out: AnthropicStreamEventOut[]): void {
    this.close(out);
    out.push({
      type: 'message_delta',
      delta: {
        stop_reason: this.refused ? 'refusal' : stopReason(this.finish ?? 'stop', this.stopSequence),
        stop_sequence: !this.refused && this.finish === 'stop' ? (this.stopSequence ?? null) : null,
      },
      usage: this.usage ? usageOut(this.usage) : { input_tokens: this.estimatedInputTokens, output_tokens: 0 },
      ...(this.finalDecision ? { routing_decision: this.finalDecision } : {}),
    });
    out.push({ type: 'message_stop' });
  }

  /** Answer text opens (or continues) a text block. */
  private text(text: string, out: AnthropicStreamEventOut[]): void {
    if (this.openBlock !== 'text') {
      this.close(out);
      this.openBlock = 'text';
      out.push({ type: 'content_block_start', index: ++this.blockIndex, content_block: { type: 'text', text: '' } });
    }
    out.push({ type: 'content_block_delta', index: this.blockIndex, delta: { type: 'text_delta', text } });
  }

  /** Thinking text opens (or continues) a thinking block; its signature ends it; redacted ones stand alone. */
  private thinking(
    piece: NonNullable<ChatCompletionChunk['choices'][number]['delta']['thinking_blocks']>[number],
    out: AnthropicStreamEventOut[],
  ): void {
    if (piece.type === 'redacted_thinking') {
      this.close(out);
      const index = ++this.blockIndex;
      out.push({ type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: piece.data } });
      out.push({ type: 'content_block_stop', index });
      return;
    }
    if (this.openBlock !== 'thinking') {
      this.close(out);
      this.openBlock = 'thinking';
      out.push({
        type: 'content_block_start',
        index: ++this.blockIndex,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
    }
    if (piece.thinking)
      out.push({
        type: 'content_block_delta',
        index: this.blockIndex,
        delta: { type: 'thinking_delta', thinking: piece.thinking },
      });
    if (piece.signature) {
      out.push({
        type: 'content_block_delta',
        index: this.blockIndex,
        delta: { type: 'signature_delta', signature: piece.signature },
      });
      this.close(out);
    }
  }

  private close(out: AnthropicStreamEventOut[]): void {
    if (this.openBlock === 'tool') {
      // The answer goes on with another kind of block, or ends: the open call and those held stop.
      const events: ToolCallEvent[] = [];
      this.toolCalls.finish(events);
      this.toolEvents(events, out);
    } else if (this.openBlock !== null) out.push({ type: 'content_block_stop', index: this.blockIndex });
    this.openBlock = null;
  }
}

/** Anthropic's error type for an HTTP status (the SDKs pick their exception class from the status). */
export function anthropicErrorType(status: number): AnthropicErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function anthropicError(e: HttpError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(e.status), message: e.body.error.message } };
}

/**
 * The in-band `error` event of a stream that failed after it started (the status line already said
 * 200). When the service says which HTTP status the upstream failed with, its Anthropic type goes
 * out (overloaded_error, rate_limit_error, api_error: an Anthropic upstream's own type comes back as
 * its status), so clients that retry on overload do; the message is the service's redacted one.
 */
export function anthropicStreamError(e: HttpError, details: unknown): AnthropicErrorBody {
  const body = anthropicError(e);
  const status = (details as { upstream_status?: unknown } | undefined)?.upstream_status;
  // A 4xx other than 429 after the answer started says nothing about the client's request.
  if (typeof status === 'number' && (status === 429 || status >= 500)) body.error.type = anthropicErrorType(status);
  return body;
}

/** ~4 characters per token, the same estimate the service uses when an upstream reports no usage. */
export function estimateInputTokens(messages: readonly ChatMessage[], tools?: readonly Tool[]): number {
  let chars = tools ? JSON.stringify(tools).length : 0;
  for (const m of messages) {
    chars += 16;
    if (typeof m.content === 'string') chars += m.content.length;
    else if (m.content) for (const p of m.content) chars += p.type === 'text' ? p.text.length : 1000;
    for (const c of m.tool_calls ?? []) chars += c.function.name.length + c.function.arguments.length;
  }
  return Math.max(1, Math.ceil(chars / 4));
}

/**
 * Anthropic's guide puts a PDF page at 1,500–3,000 tokens of text, plus the page's image: the top of
 * that range, as count_tokens is how clients keep a prompt within the context window (too high is safer).
 */
const PDF_TOKENS_PER_PAGE = 3000;

/** A PDF's pages, from its page objects (`/Type /Page`, not `/Pages`); at least one. */
function pdfPages(base64: string): number {
  const text = Buffer.from(base64, 'base64').toString('latin1');
  return Math.max(1, text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0);
}

/**
 * An estimate for what no pool model takes: a document that is not text (a PDF: base64, or by URL or
 * file id, whose pages are unknown: one) by its pages, anything else (a server tool) by its JSON.
 */
function unroutableTokens(block: object): number {
  const b = block as Block;
  if (b.type === 'document') {
    const source = b['source'] as { type?: string; data?: unknown } | undefined;
    const pages = source?.type === 'base64' && typeof source.data === 'string' ? pdfPages(source.data) : 1;
    return pages * PDF_TOKENS_PER_PAGE;
  }
  return Math.ceil(JSON.stringify(block).length / 4);
}

/**
 * POST /v1/messages/count_tokens: the same translation as /v1/messages, but what no pool model takes
 * (a PDF, a server tool such as web_search) is estimated rather than refused, since nothing is sent.
 */
export function estimateCountTokens(request: CountTokensRequest): number {
  let extra = 0;
  const count: Unroutable = (block) => {
    extra += unroutableTokens(block);
  };
  const messages = toChatMessages(request, count);
  const tools = request.tools?.length ? functionTools(request.tools, count) : undefined;
  if (tools && request.tool_choice) toolChoice(request.tool_choice);
  return estimateInputTokens(messages, tools?.length ? tools : undefined) + extra;
}
