// Pure: VS Code language-model messages → OpenAI-shaped messages (text, tool calls, tool results,
// images), the request's tools and tool mode → OpenAI `tools` / `tool_choice`, and the picker
// entries for the pool. Structural input types so unit tests need no VS Code: parts are told apart
// by their fields (a tool call has callId + name + input, a tool result callId + content, a data
// part mimeType + data), which is also how they survive the extension host's serialisation.
import type {
  ChatCompletionRequest,
  ChatMessage,
  ContentPart,
  ModelListEntry,
  Tool,
  ToolCall,
} from '../../shared/openai';
import { TOKENS_PER_IMAGE, TOKENS_PER_MESSAGE } from '../../shared/tokens';
import { AUTO_MODEL_ID } from '../ids';

/** LanguageModelChatMessageRole: User = 1, Assistant = 2 (System = 3 in newer VS Code builds). */
export const ROLE_USER = 1;
export const ROLE_ASSISTANT = 2;
export const ROLE_SYSTEM = 3;
/** LanguageModelChatToolMode: Auto = 1 (the default), Required = 2. */
export const TOOL_MODE_AUTO = 1;
export const TOOL_MODE_REQUIRED = 2;

export interface LmMessageLike {
  readonly role: number;
  readonly content: ReadonlyArray<unknown>;
}

/** LanguageModelChatTool. */
export interface LmToolLike {
  readonly name: string;
  readonly description: string;
  readonly inputSchema?: object | undefined;
}

interface ToolCallPartLike {
  callId: string;
  name: string;
  input: unknown;
}
interface ToolResultPartLike {
  callId: string;
  content: readonly unknown[];
}
interface DataPartLike {
  mimeType: string;
  data: Uint8Array;
}

function isObject(part: unknown): part is Record<string, unknown> {
  return typeof part === 'object' && part !== null;
}
export function isToolCallPart(part: unknown): part is ToolCallPartLike {
  return isObject(part) && typeof part.callId === 'string' && typeof part.name === 'string' && 'input' in part;
}
export function isToolResultPart(part: unknown): part is ToolResultPartLike {
  return isObject(part) && typeof part.callId === 'string' && Array.isArray(part.content);
}
export function isDataPart(part: unknown): part is DataPartLike {
  return isObject(part) && typeof part.mimeType === 'string' && part.data instanceof Uint8Array;
}
function isImage(part: DataPartLike): boolean {
  return /^image\/(png|jpe?g|gif|webp)$/i.test(part.mimeType);
}
function isTextual(part: DataPartLike): boolean {
  return /^text\/|^application\/(json|xml|x-yaml|yaml)\b/i.test(part.mimeType);
}

/**
 * The text a prompt-tsx element (LanguageModelPromptTsxPart.value, JSON from `renderElementJSON`)
 * renders to: its text nodes in order. Tools written with prompt-tsx return their results this way.
 */
function promptTsxText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(promptTsxText).join('');
  if (!isObject(node)) return '';
  if (typeof node.text === 'string') return node.text;
  if ('node' in node) return promptTsxText(node.node);
  if ('children' in node) return promptTsxText(node.children);
  return '';
}

/** Text of one part: text parts as they are, textual data decoded, tool calls and results as text. */
function partText(part: unknown): string {
  if (typeof part === 'string') return part;
  if (!isObject(part)) return '';
  if (isToolCallPart(part)) return `[tool call ${part.name} ${JSON.stringify(part.input)}]`;
  if (isToolResultPart(part)) return messageText(part.content);
  if (isDataPart(part)) return isTextual(part) ? new TextDecoder().decode(part.data) : '';
  if (typeof part.value === 'string') return part.value;
  if ('value' in part) return promptTsxText(part.value);
  return '';
}

/** Text of a message (for token counts and previews): every part's text, in order. */
export function messageText(content: ReadonlyArray<unknown>): string {
  return content.map(partText).join('');
}

function imagePart(part: DataPartLike): ContentPart {
  const base64 = Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength).toString('base64');
  return { type: 'image_url', image_url: { url: `data:${part.mimeType.toLowerCase()};base64,${base64}` } };
}

/** A user turn: text, plus images as OpenAI image_url parts (data URLs) when there are any. */
function userMessage(text: string, images: readonly DataPartLike[]): ChatMessage | undefined {
  if (images.length === 0) return text ? { role: 'user', content: text } : undefined;
  const content: ContentPart[] = text ? [{ type: 'text', text }] : [];
  content.push(...images.map(imagePart));
  return { role: 'user', content };
}

export function toolCall(part: ToolCallPartLike): ToolCall {
  return {
    id: part.callId,
    type: 'function',
    function: { name: part.name, arguments: JSON.stringify(part.input ?? {}) },
  };
}

/**
 * VS Code messages → OpenAI chat messages, the form every daemon provider translates from:
 * - an assistant message's LanguageModelToolCallParts become its `tool_calls`;
 * - a user message's LanguageModelToolResultParts become `role: 'tool'` messages (with the
 *   `tool_call_id`) right after the assistant turn, as OpenAI requires; the user's own text and
 *   images follow as a user message;
 * - image data parts become `image_url` parts with a data URL (also images a tool returned, which
 *   OpenAI does not accept in a tool message: they go in the user message after the results).
 * A tool result whose call is not in the conversation (VS Code trimmed the history) is kept as user
 * text, and a call left without a result gets one saying so: upstreams reject either mismatch.
 */
export function toOpenAiMessages(messages: readonly LmMessageLike[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const pendingCalls = new Set<string>();
  const answerPending = () => {
    for (const id of pendingCalls)
      out.push({ role: 'tool', tool_call_id: id, content: '(no result: the tool was not run)' });
    pendingCalls.clear();
  };
  for (const m of messages) {
    if (m.role === ROLE_ASSISTANT) {
      answerPending();
      const text = m.content
        .filter((p) => !isToolCallPart(p))
        .map(partText)
        .join('');
      const calls = m.content.filter(isToolCallPart).map(toolCall);
      if (calls.length === 0) {
        if (text) out.push({ role: 'assistant', content: text });
        continue;
      }
      out.push({ role: 'assistant', content: text || null, tool_calls: calls });
      for (const c of calls) pendingCalls.add(c.id);
      continue;
    }
    const texts: string[] = [];
    const images: DataPartLike[] = [];
    for (const part of m.content) {
      if (isToolResultPart(part)) {
        const resultText = messageText(part.content);
        images.push(...part.content.filter(isDataPart).filter(isImage));
        if (pendingCalls.delete(part.callId))
          out.push({ role: 'tool', tool_call_id: part.callId, content: resultText });
        else texts.push(`[result of tool call ${part.callId}]\n${resultText}`);
      } else if (isDataPart(part) && isImage(part)) images.push(part);
      else texts.push(partText(part));
    }
    const text = texts.join('');
    if (m.role === ROLE_SYSTEM) {
      answerPending();
      if (text) out.push({ role: 'system', content: text });
      continue;
    }
    const user = userMessage(text, images);
    if (user) {
      answerPending();
      out.push(user);
    }
  }
  answerPending();
  if (out.length === 0) out.push({ role: 'user', content: '' });
  return out;
}

/** LanguageModelChatTools → OpenAI function tools (an object schema when the tool declares none). */
export function toOpenAiTools(tools: readonly LmToolLike[] | undefined): Tool[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map((t) => ({
    type: 'function' as const,
    function: {
      name: t.name,
      description: t.description,
      parameters: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
    },
  }));
}

/**
 * LanguageModelChatToolMode → OpenAI tool_choice: Required is "required" (or that one tool by name
 * when there is only one, which models that take a single forced tool need); Auto is "auto".
 */
export function toolChoice(mode: number | undefined, tools: readonly LmToolLike[] | undefined): unknown {
  if (!tools || tools.length === 0) return undefined;
  if (mode !== TOOL_MODE_REQUIRED) return 'auto';
  const [only] = tools;
  return tools.length === 1 && only ? { type: 'function', function: { name: only.name } } : 'required';
}

/**
 * The request fields a caller may set through `modelOptions` (sampling and length): passed on when
 * they have the right type, everything else ignored (the options are free-form).
 */
export function modelOptionsRequest(
  options: { readonly [name: string]: unknown } | undefined,
): Pick<ChatCompletionRequest, 'temperature' | 'top_p' | 'max_tokens' | 'stop'> {
  const out: Pick<ChatCompletionRequest, 'temperature' | 'top_p' | 'max_tokens' | 'stop'> = {};
  if (!options) return out;
  const { temperature, top_p, max_tokens, stop } = options;
  if (typeof temperature === 'number' && temperature >= 0 && temperature <= 2) out.temperature = temperature;
  if (typeof top_p === 'number' && top_p >= 0 && top_p <= 1) out.top_p = top_p;
  if (typeof max_tokens === 'number' && Number.isInteger(max_tokens) && max_tokens >= 1) out.max_tokens = max_tokens;
  if (typeof stop === 'string' || (Array.isArray(stop) && stop.every((x) => typeof x === 'string'))) out.stop = stop;
  return out;
}

const AUTO_MODES = [
  {
    id: 'auto:quality',
    name: 'Fugusashi Auto (quality)',
    detail: 'best answer first',
    tooltip: 'Routes for quality, cost barely counts.',
  },
  {
    id: 'auto:cost',
    name: 'Fugusashi Auto (cheap)',
    detail: 'cheapest good answer',
    tooltip: 'Routes with a strong preference for cheaper models.',
  },
  {
    id: 'auto:orchestrate',
    name: 'Fugusashi Orchestrate',
    detail: 'plan, delegate, synthesize',
    tooltip: 'Splits the task into sub-tasks for several models and combines their answers.',
  },
];

export interface PickerModel {
  id: string;
  name: string;
  family: string;
  version: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  tooltip: string;
  detail?: string;
  capabilities: { imageInput?: boolean; toolCalling?: boolean };
}

/**
 * "Fugusashi Auto" first, then each pool model the daemon lists. Pool members that are themselves
 * VS Code language models (provider `vscode-lm`) are left out: offering them back to VS Code would
 * let a request loop through the daemon into the same model picker.
 */
export function pickerModels(pool: readonly ModelListEntry[], version: string): PickerModel[] {
  const members = pool.filter((m) => m.provider !== 'vscode-lm' && m.id !== AUTO_MODEL_ID && !m.id.startsWith('auto:'));
  // A member that cannot be called (its API key unset) is left out of Auto's routing: it lends Auto
  // none of its abilities, or agent mode would be offered an Auto whose every request fails.
  const callable = members.filter((m) => !m.unavailable);
  const listed = new Set(pool.map((m) => m.id));
  const maxContext = Math.max(DEFAULT_CONTEXT_TOKENS, ...callable.map((m) => m.context_window ?? 0));
  // Auto routes a request with tools only to models that take tools (and one with images only to
  // models that see), so it has an ability when any member has it. Before the daemon has answered
  // the pool is unknown: tool calling is offered, so agent mode can pick Auto from the start.
  const anyTools = members.length === 0 || callable.some(supportsTools);
  const anyVision = callable.some(supportsVision);
  const auto: PickerModel = {
    id: AUTO_MODEL_ID,
    name: 'Fugusashi Auto',
    family: 'fugusashi',
    version,
    ...tokenLimits(maxContext),
    tooltip: `Routes each request to the best model of your pool for the money (${callable.length} models).`,
    detail: 'auto-routing',
    capabilities: { toolCalling: anyTools, imageInput: anyVision },
  };
  // The daemon's other routing modes, when it offers them.
  const modes = AUTO_MODES.filter((m) => listed.has(m.id)).map((m) => ({
    ...auto,
    id: m.id,
    name: m.name,
    detail: m.detail,
    tooltip: m.tooltip,
    // The orchestrator plans, delegates and writes one answer: it does not hand tool calls back.
    capabilities: m.id === 'auto:orchestrate' ? { imageInput: anyVision } : auto.capabilities,
  }));
  return [
    auto,
    ...modes,
    ...members.map((m) => ({
      id: m.id,
      name: `${m.id} (via Fugusashi)`,
      family: m.provider ?? 'fugusashi',
      version,
      ...tokenLimits(m.context_window ?? DEFAULT_CONTEXT_TOKENS),
      tooltip: m.unavailable ? `Unavailable: ${m.unavailable}` : (m.description ?? `${m.id} from the Fugusashi pool`),
      detail: m.unavailable ? `${m.provider ?? ''} · unavailable`.replace(/^ · /, '') : (m.provider ?? ''),
      capabilities: { toolCalling: supportsTools(m), imageInput: supportsVision(m) },
    })),
  ];
}

function supportsTools(m: ModelListEntry): boolean {
  return m.capabilities?.includes('tools') ?? false;
}
function supportsVision(m: ModelListEntry): boolean {
  return m.capabilities?.includes('vision') ?? false;
}

/** Used when the daemon does not know a model's window: a size every current chat model takes. */
export const DEFAULT_CONTEXT_TOKENS = 8192;

/** Tokens of a window kept for the answer: a quarter, at most 4096. */
export function answerRoomTokens(contextWindow: number): number {
  return Math.min(4096, Math.floor(contextWindow / 4));
}

/**
 * What the picker tells VS Code about a window: the prompt may take what the answer leaves. VS Code
 * (agent mode) fills a prompt up to maxInputTokens; told the whole window, it sent prompts that the
 * router then found too long for every model once the answer was counted ("context window 16000 <
 * ~16150 tokens needed").
 */
export function tokenLimits(contextWindow: number): { maxInputTokens: number; maxOutputTokens: number } {
  const answer = answerRoomTokens(contextWindow);
  return { maxInputTokens: contextWindow - answer, maxOutputTokens: answer };
}

/** Rough token count (≈4 characters per token), the usual estimate without a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * provideTokenCount: a message counts as the router counts it (shared/tokens.ts): its text, each
 * image, and the per-message framing. Images counted as nothing let VS Code put screenshots in a
 * prompt it believed short.
 */
export function countMessageTokens(content: ReadonlyArray<unknown>): number {
  const images = content.filter((p) => isDataPart(p) && isImage(p)).length;
  const resultImages = content
    .filter(isToolResultPart)
    .reduce((n, r) => n + r.content.filter((p) => isDataPart(p) && isImage(p)).length, 0);
  return estimateTokens(messageText(content)) + (images + resultImages) * TOKENS_PER_IMAGE + TOKENS_PER_MESSAGE;
}
