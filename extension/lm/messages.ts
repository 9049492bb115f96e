// Pure: VS Code language-model messages → OpenAI-shaped messages, and the picker entries for the
// pool. Structural input types so unit tests need no VS Code.
import type { ChatMessage, ModelListEntry } from '../../shared/openai';
import { AUTO_MODEL_ID } from '../ids';

/** LanguageModelChatMessageRole: User = 1, Assistant = 2 (System = 3 in newer VS Code builds). */
export const ROLE_USER = 1;
export const ROLE_ASSISTANT = 2;
export const ROLE_SYSTEM = 3;

export interface LmMessageLike {
  readonly role: number;
  readonly content: ReadonlyArray<unknown>;
}

/** Text of a message: text parts as they are, tool results as their text, tool calls as JSON. */
export function messageText(content: ReadonlyArray<unknown>): string {
  const out: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') out.push(part);
    else if (part && typeof part === 'object') {
      const p = part as { value?: unknown; name?: unknown; input?: unknown; content?: unknown };
      if (typeof p.value === 'string') out.push(p.value);
      else if (typeof p.name === 'string' && 'input' in p) out.push(`[tool call ${p.name} ${JSON.stringify(p.input)}]`);
      else if (Array.isArray(p.content)) out.push(messageText(p.content));
    }
  }
  return out.join('');
}

export function toOpenAiMessages(messages: readonly LmMessageLike[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const role = m.role === ROLE_ASSISTANT ? 'assistant' : m.role === ROLE_SYSTEM ? 'system' : 'user';
    const content = messageText(m.content);
    if (content) out.push({ role, content });
  }
  if (out.length === 0) out.push({ role: 'user', content: '' });
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
  const listed = new Set(pool.map((m) => m.id));
  const maxContext = Math.max(8192, ...members.map((m) => m.context_window ?? 0));
  const auto: PickerModel = {
    id: AUTO_MODEL_ID,
    name: 'Fugusashi Auto',
    family: 'fugusashi',
    version,
    maxInputTokens: maxContext,
    maxOutputTokens: 8192,
    tooltip: `Routes each request to the best model of your pool for the money (${members.length} models).`,
    detail: 'auto-routing',
    capabilities: {},
  };
  // The daemon's other routing modes, when it offers them.
  const modes = AUTO_MODES.filter((m) => listed.has(m.id)).map((m) => ({
    ...auto,
    id: m.id,
    name: m.name,
    detail: m.detail,
    tooltip: m.tooltip,
  }));
  return [
    auto,
    ...modes,
    ...members.map((m) => ({
      id: m.id,
      name: `${m.id} (via Fugusashi)`,
      family: m.provider ?? 'fugusashi',
      version,
      maxInputTokens: m.context_window ?? 8192,
      maxOutputTokens: 4096,
      tooltip: m.description ?? `${m.id} from the Fugusashi pool`,
      detail: m.provider ?? '',
      capabilities: {},
    })),
  ];
}

/** Rough token count (≈4 characters per token), the usual estimate without a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
