// Stored responses of the `/v1/responses` door, in memory and bounded: what `previous_response_id`,
// `item_reference` and `GET /v1/responses/{id}` read. Each entry keeps only its own turn (input and
// output); a conversation is rebuilt by walking the previous_response_id chain. Oldest entries go first
// once either bound is reached; a chain whose start was evicted is reported as such, never guessed.
// In team mode a response belongs to the user whose key stored it: for another user's key (a
// `viewer`) it is as if it were not stored; a null viewer (admin key, server.token, no keys) sees all.
import { FugusashiError } from '../../shared/errors';
import type { ChatMessage } from '../../shared/openai';
import type { ResponseObject } from '../../shared/responses';
import type { InputItem } from './routes/responses-input-items';
import { outputMessages } from './translate/responses';

interface Entry {
  response: ResponseObject;
  /** This turn's input then its output, as chat messages. */
  messages: ChatMessage[];
  /** The request's input items as GET /v1/responses/{id}/input_items lists them. */
  input: InputItem[];
  chars: number;
  /** Team mode: whose response it is (the API key's user); null without a key. */
  owner: string | null;
}

export interface ResponseStoreLimits {
  maxResponses: number;
  /** Approximate characters of stored message text (a memory bound that ignores object overhead). */
  maxChars: number;
}

export const DEFAULT_RESPONSE_STORE_LIMITS: ResponseStoreLimits = { maxResponses: 1000, maxChars: 32_000_000 };

function messageChars(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    chars += 16;
    if (typeof m.content === 'string') chars += m.content.length;
    else if (m.content) for (const p of m.content) chars += p.type === 'text' ? p.text.length : p.image_url.url.length;
    for (const c of m.tool_calls ?? []) chars += c.function.name.length + c.function.arguments.length;
  }
  return chars;
}

export class ResponseStore {
  /** Insertion order is eviction order. */
  private readonly entries = new Map<string, Entry>();
  /** Output item id → response id, for item_reference. */
  private readonly items = new Map<string, string>();
  private chars = 0;

  constructor(private readonly limits: ResponseStoreLimits = DEFAULT_RESPONSE_STORE_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  put(
    response: ResponseObject,
    turn: readonly ChatMessage[],
    input: InputItem[] = [],
    owner: string | null = null,
  ): void {
    const messages = [...turn, ...outputMessages(response.output)];
    const chars = messageChars(messages) + JSON.stringify(input).length;
    const entry: Entry = { response, messages, input, chars, owner };
    this.entries.set(response.id, entry);
    for (const item of response.output) this.items.set(item.id, response.id);
    this.chars += entry.chars;
    while (this.entries.size > this.limits.maxResponses || this.chars > this.limits.maxChars) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined || oldest === response.id) break;
      this.delete(oldest);
    }
  }

  /** The entry, if stored and the viewer's to see. */
  private entry(id: string, viewer: string | null): Entry | undefined {
    const entry = this.entries.get(id);
    return entry && (viewer === null || entry.owner === viewer) ? entry : undefined;
  }

  get(id: string, viewer: string | null = null): ResponseObject | undefined {
    return this.entry(id, viewer)?.response;
  }

  /** The input items `id` was created from, or undefined when it is not stored. */
  inputItems(id: string, viewer: string | null = null): InputItem[] | undefined {
    return this.entry(id, viewer)?.input;
  }

  delete(id: string, viewer: string | null = null): boolean {
    const entry = this.entry(id, viewer);
    if (!entry) return false;
    this.entries.delete(id);
    for (const item of entry.response.output) this.items.delete(item.id);
    this.chars -= entry.chars;
    return true;
  }

  /** A stored output item (message or function_call) by its id. */
  item(id: string, viewer: string | null = null): Record<string, unknown> | undefined {
    const responseId = this.items.get(id);
    const found = responseId ? this.entry(responseId, viewer)?.response.output.find((i) => i.id === id) : undefined;
    return found as Record<string, unknown> | undefined;
  }

  /** The conversation up to and including `id`, oldest turn first. */
  history(id: string, viewer: string | null = null): ChatMessage[] {
    const turns: ChatMessage[][] = [];
    let next: string | null = id;
    while (next !== null) {
      const entry = this.entry(next, viewer);
      if (!entry) {
        const which = next === id ? `Response '${id}'` : `Response '${next}' (earlier in the chain of '${id}')`;
        throw new FugusashiError(
          'NotFound',
          `${which} is not stored: it was created with store: false, by another daemon run, or evicted (the daemon keeps the last ${this.limits.maxResponses}).`,
          'previous_response_id',
        );
      }
      turns.push(entry.messages);
      next = entry.response.previous_response_id;
      if (turns.length > this.limits.maxResponses) break; // a cycle cannot happen, but never loop forever
    }
    return turns.reverse().flat();
  }
}
