// OpenAI chat request → Anthropic Messages request. Pure: no I/O, unit-tested on its own.
import type { ModelConfig } from '../../../shared/config';
import { THINKING_FIELD } from '../../../shared/anthropic-messages';
import type {
  ChatCompletionRequest,
  ChatMessage,
  ChatMessageWithThinking,
  ThinkingBlock,
  Tool,
} from '../../../shared/openai';

export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type TextBlock = { type: 'text'; text: string };
type ImageBlock = {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
};
type ToolUseBlock = { type: 'tool_use'; id: string; name: string; input: unknown };
type ToolResultBlock = { type: 'tool_result'; tool_use_id: string; content: string | (TextBlock | ImageBlock)[] };
/** Any block may carry a prompt-cache breakpoint (prompt-cache.ts). */
export type AnthropicBlock = (TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock) & {
  cache_control?: { type: 'ephemeral' };
};

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  cache_control?: { type: 'ephemeral' };
}

export interface AnthropicRequest {
  model: string;
  messages: AnthropicMessage[];
  max_tokens: number;
  /** A string, or blocks once prompt-cache breakpoints are added (prompt-cache.ts). */
  system?: string | { type: 'text'; text: string; cache_control?: { type: 'ephemeral' } }[];
  tools?: AnthropicTool[];
  tool_choice?: { type: 'auto' | 'any' | 'none' } | { type: 'tool'; name: string };
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  /** Extended thinking, as the client sent it through the Messages door. */
  thinking?: Record<string, unknown>;
  stream?: boolean;
}

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** An OpenAI image part as an Anthropic image block (base64 from data URLs, url source otherwise). */
export function imageBlock(url: string): ImageBlock {
  const m = DATA_URL.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1]!, data: m[2]! } };
  return { type: 'image', source: { type: 'url', url } };
}

function partsToBlocks(content: ChatMessage['content']): (TextBlock | ImageBlock)[] {
  if (content === null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const blocks: (TextBlock | ImageBlock)[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      // Anthropic rejects empty text blocks.
      if (part.text) blocks.push({ type: 'text', text: part.text });
    } else if (part.type === 'image_url') blocks.push(imageBlock(part.image_url.url));
  }
  return blocks;
}

function textOf(content: ChatMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((p) => (p.type === 'text' ? p.text : ''))
    .filter(Boolean)
    .join('\n');
}

function parseArguments(args: string): unknown {
  if (!args) return {};
  try {
    return JSON.parse(args);
  } catch {
    // Anthropic needs an object; keep the model's text rather than losing it.
    return { _raw: args };
  }
}

function messageBlocks(m: ChatMessage): { role: 'user' | 'assistant'; blocks: AnthropicBlock[] } | undefined {
  switch (m.role) {
    case 'user':
      return { role: 'user', blocks: partsToBlocks(m.content) };
    case 'assistant': {
      // Signed thinking blocks go back first, as Anthropic requires when thinking and tools are combined.
      const blocks: AnthropicBlock[] = [...((m as ChatMessageWithThinking).thinking_blocks ?? [])];
      blocks.push(...partsToBlocks(m.content).filter((b) => b.type === 'text'));
      for (const call of m.tool_calls ?? []) {
        blocks.push({
          type: 'tool_use',
          id: call.id,
          name: call.function.name,
          input: parseArguments(call.function.arguments),
        });
      }
      return { role: 'assistant', blocks };
    }
    case 'tool': {
      const parts = partsToBlocks(m.content);
      const content = parts.every((p) => p.type === 'text') ? textOf(m.content) : parts;
      return { role: 'user', blocks: [{ type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content }] };
    }
    default:
      return undefined; // system/developer go to the top-level `system`
  }
}

/**
 * OpenAI messages → Anthropic `system` + alternating turns. Consecutive turns with the same role are
 * merged (Anthropic requires alternation; several tool results become one user turn, results first).
 */
export function translateMessages(messages: readonly ChatMessage[]): { system?: string; messages: AnthropicMessage[] } {
  const system: string[] = [];
  const out: AnthropicMessage[] = [];
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer') {
      const text = textOf(m.content);
      if (text) system.push(text);
      continue;
    }
    const turn = messageBlocks(m);
    if (!turn || turn.blocks.length === 0) continue;
    const last = out[out.length - 1];
    if (last && last.role === turn.role) {
      // Keep tool results ahead of any text in a merged user turn, as Anthropic expects.
      const results = turn.blocks.filter((b) => b.type === 'tool_result');
      const rest = turn.blocks.filter((b) => b.type !== 'tool_result');
      const firstNonResult = last.content.findIndex((b) => b.type !== 'tool_result');
      if (results.length && firstNonResult !== -1) last.content.splice(firstNonResult, 0, ...results);
      else last.content.push(...results);
      last.content.push(...rest);
    } else out.push({ role: turn.role, content: turn.blocks });
  }
  return system.length ? { system: system.join('\n\n'), messages: out } : { messages: out };
}

export function translateTools(tools: readonly Tool[]): AnthropicTool[] {
  return tools.map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: t.function.parameters ?? { type: 'object', properties: {} },
  }));
}

/** OpenAI tool_choice → Anthropic's: auto, none, required → any, a named function → tool. */
export function translateToolChoice(choice: unknown): AnthropicRequest['tool_choice'] {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  if (choice && typeof choice === 'object') {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name === 'string') return { type: 'tool', name };
  }
  return undefined;
}

/** The text the adapter starts the answer with for JSON mode; index.ts puts it back in front. */
export const JSON_PREFILL = '{';

/**
 * OpenAI's `response_format` (json_object / json_schema) has no Messages API equivalent: the model
 * is told in `system`, and, unless tools are offered (the answer may then be a tool call), its
 * answer is prefilled with `{` so it cannot open with prose or a code fence. Returns the prefill used.
 */
export function applyJsonMode(body: AnthropicRequest, responseFormat: unknown): string | undefined {
  if (!responseFormat || typeof responseFormat !== 'object') return undefined;
  const f = responseFormat as { type?: unknown; json_schema?: { schema?: unknown } };
  if (f.type !== 'json_object' && f.type !== 'json_schema') return undefined;
  let instruction =
    'Answer with a single JSON object and nothing else: no text before or after it, no Markdown code fences.';
  if (f.type === 'json_schema' && f.json_schema?.schema)
    instruction += ` The object must match this JSON Schema: ${JSON.stringify(f.json_schema.schema)}`;
  // Still a string here: prompt-cache breakpoints (which make it blocks) are added after JSON mode.
  const system = typeof body.system === 'string' ? body.system : '';
  body.system = system ? `${system}\n\n${instruction}` : instruction;
  const last = body.messages[body.messages.length - 1];
  if (body.tools?.length || !last || last.role !== 'user') return undefined;
  body.messages.push({ role: 'assistant', content: [{ type: 'text', text: JSON_PREFILL }] });
  return JSON_PREFILL;
}

export function buildAnthropicRequest(
  model: ModelConfig,
  request: ChatCompletionRequest,
  stream: boolean,
): AnthropicRequest {
  const { system, messages } = translateMessages(request.messages);
  const body: AnthropicRequest = {
    model: request.model,
    messages,
    // Required by the Messages API.
    max_tokens:
      request.max_tokens ?? request.max_completion_tokens ?? model.max_output_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
  };
  if (system) body.system = system;
  if (request.tools?.length) {
    body.tools = translateTools(request.tools);
    const choice = translateToolChoice(request.tool_choice);
    if (choice) {
      // parallel_tool_calls: false maps to Anthropic's disable_parallel_tool_use on the choice.
      if ((request as { parallel_tool_calls?: unknown }).parallel_tool_calls === false && choice.type !== 'none') {
        (choice as Record<string, unknown>).disable_parallel_tool_use = true;
      }
      body.tool_choice = choice;
    }
  }
  // Anthropic's temperature range is 0..1 (OpenAI's 0..2).
  if (request.temperature !== undefined) body.temperature = Math.min(request.temperature, 1);
  // Recent Claude models reject temperature and top_p together; temperature is the one clients mean.
  if (request.top_p !== undefined && request.temperature === undefined) body.top_p = request.top_p;
  if (request.stop !== undefined)
    body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.user) body.metadata = { user_id: request.user };
  const thinking = (request as Record<string, unknown>)[THINKING_FIELD];
  if (thinking && typeof thinking === 'object') {
    const kept = thinkingFor(body, thinking as Record<string, unknown>);
    if (kept) body.thinking = kept;
  }
  if (stream) body.stream = true;
  return body;
}

/**
 * The client's extended-thinking setting as this request can carry it, or undefined to leave it out.
 * Anthropic refuses thinking (400) where a mixed pool can put it:
 * - the conversation's last assistant turn called a tool without a thinking block first: another
 *   pool model answered that turn (an OpenAI model has no signed thinking to send back), and with
 *   thinking on Anthropic requires one ("Expected `thinking` … but found `tool_use`");
 * - a budget that does not fit under max_tokens (capped at this model's ceiling): the budget is
 *   lowered to fit, down to Anthropic's minimum of 1,024, below which thinking is left out.
 * This turn is then answered without thinking, as LiteLLM also does, rather than not at all.
 */
function thinkingFor(body: AnthropicRequest, thinking: Record<string, unknown>): Record<string, unknown> | undefined {
  if (thinking.type !== 'enabled') return thinking;
  const lastAssistant = body.messages.findLast((m) => m.role === 'assistant');
  if (lastAssistant && Array.isArray(lastAssistant.content)) {
    const blocks = lastAssistant.content;
    const first = blocks[0]?.type;
    if (blocks.some((b) => b.type === 'tool_use') && first !== 'thinking' && first !== 'redacted_thinking')
      return undefined;
  }
  const budget = thinking.budget_tokens;
  if (typeof budget === 'number' && budget >= body.max_tokens) {
    const fits = body.max_tokens - 1;
    return fits >= MIN_THINKING_BUDGET ? { ...thinking, budget_tokens: fits } : undefined;
  }
  return thinking;
}

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1_024;
