// Pure: turns VS Code's chat history into OpenAI-shaped messages, and parses slash-command text.
// Structural types instead of the vscode classes so unit tests need no VS Code.
import type { ChatMessage } from '../../shared/openai';

export interface RequestTurnLike {
  readonly prompt: string;
  readonly participant: string;
  readonly command?: string | undefined;
  /** What the user attached to that turn (ChatRequestTurn.references), last-first as VS Code lists them. */
  readonly references?: readonly unknown[] | undefined;
}
export interface ResponseTurnLike {
  readonly participant: string;
  readonly response: readonly unknown[];
  readonly result: { readonly metadata?: { readonly [key: string]: unknown } | undefined };
}

/** What the participant stores in ChatResult.metadata (it comes back in later turns' history). */
export interface AnswerMetadata {
  requestId: string;
  model: string;
  /** The answer without the decision header, for the next turn's history. */
  text: string;
  prompt: string;
  alternatives: string[];
}

function isRequestTurn(t: unknown): t is RequestTurnLike {
  return typeof t === 'object' && t !== null && 'prompt' in t;
}
function isResponseTurn(t: unknown): t is ResponseTurnLike {
  return typeof t === 'object' && t !== null && 'response' in t;
}

export function answerMetadata(turn: ResponseTurnLike): AnswerMetadata | undefined {
  const m = turn.result.metadata;
  return m && typeof m.requestId === 'string' && typeof m.text === 'string'
    ? (m as unknown as AnswerMetadata)
    : undefined;
}

function markdownText(parts: readonly unknown[]): string {
  return parts
    .map((p) => {
      const v = (p as { value?: unknown }).value;
      if (typeof v === 'string') return v;
      if (v && typeof (v as { value?: unknown }).value === 'string') return (v as { value: string }).value;
      return '';
    })
    .join('');
}

/**
 * Conversation so far with this participant (slash-command turns like /why and /stats are left
 * out: they are not part of the conversation the model should see), then the new prompt.
 */
export function toMessages(history: readonly unknown[], participant: string, prompt: string): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let skipNextResponse = false;
  /** A bare "/model name" re-asked the previous question: its answer's metadata names it. */
  let reask = false;
  for (const turn of history) {
    if (isRequestTurn(turn)) {
      if (turn.participant !== participant || (turn.command && turn.command !== 'model')) {
        skipNextResponse = true;
        continue;
      }
      skipNextResponse = false;
      const text = turn.command === 'model' ? parseModelCommand(turn.prompt).question : turn.prompt;
      reask = !text;
      if (text) messages.push({ role: 'user', content: text });
    } else if (isResponseTurn(turn)) {
      if (turn.participant !== participant || skipNextResponse) continue;
      const meta = answerMetadata(turn);
      if (reask && meta?.prompt) messages.push({ role: 'user', content: meta.prompt });
      reask = false;
      const text = meta?.text ?? markdownText(turn.response);
      if (text) messages.push({ role: 'assistant', content: text });
    }
  }
  messages.push({ role: 'user', content: prompt });
  return messages;
}

/**
 * What the user attached to earlier turns of the conversation (the turns toMessages keeps), newest
 * turn first and each turn's references as VS Code lists them (last-first): a follow-up ("now write
 * tests for it") must still see the file the first question attached, and the history holds only
 * the typed prompts.
 */
export function historyReferences<R>(history: readonly unknown[], participant: string): R[] {
  const turns: R[][] = [];
  for (const turn of history) {
    if (!isRequestTurn(turn) || turn.participant !== participant) continue;
    if (turn.command && turn.command !== 'model') continue;
    if (turn.references?.length) turns.push(turn.references as R[]);
  }
  return turns.reverse().flat();
}

/** `/model <name> [question]`: the first word names the pool model, the rest is the question. */
export function parseModelCommand(prompt: string): { model: string; question: string } {
  const trimmed = prompt.trim();
  const space = trimmed.search(/\s/);
  if (space < 0) return { model: trimmed, question: '' };
  return { model: trimmed.slice(0, space), question: trimmed.slice(space).trim() };
}

/** The last answer of this participant in the history (for /why and "/model name" re-asks). */
export function lastAnswer(history: readonly unknown[], participant: string): AnswerMetadata | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const t = history[i];
    if (isResponseTurn(t) && t.participant === participant) {
      const m = answerMetadata(t);
      if (m) return m;
    }
  }
  return undefined;
}
