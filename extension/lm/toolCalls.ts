// Pure: streamed OpenAI tool-call deltas (id and name in the first delta of an index, the arguments
// in pieces after it) → whole calls with parsed input, each handed out once. The daemon's final
// completion carries the same calls collected; `reconcile` adds any the stream did not deliver.
import type { ChatCompletionChunk, ToolCall } from '../../shared/openai';

type ToolCallDelta = NonNullable<NonNullable<ChatCompletionChunk['choices'][number]>['delta']['tool_calls']>[number];

export interface AssembledToolCall {
  callId: string;
  name: string;
  input: object;
}

/** Tool-call arguments as the object LanguageModelToolCallPart wants; a clear error when not JSON. */
export function parseToolInput(name: string, args: string): object {
  if (args.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    throw new Error(
      `The model called tool '${name}' with arguments that are not JSON: ${args.length > 200 ? `${args.slice(0, 200)}…` : args}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`The model called tool '${name}' with arguments that are not a JSON object: ${args.slice(0, 200)}`);
  return value;
}

/**
 * Ids for calls an upstream sent without one, unique across requests: an agent loop sends one
 * request per round, and VS Code pairs tool results with calls by id over the whole loop.
 */
const idTag = Math.floor(Math.random() * 36 ** 4).toString(36);
let generatedIds = 0;
function newCallId(): string {
  return `call_fugusashi_${idTag}${(++generatedIds).toString(36)}`;
}

export class ToolCallAssembler {
  private readonly building = new Map<number, { id: string; name: string; args: string }>();
  private readonly handedOut = new Set<string>();

  add(deltas: readonly ToolCallDelta[] | undefined): void {
    for (const d of deltas ?? []) {
      const entry = this.building.get(d.index) ?? { id: '', name: '', args: '' };
      if (d.id) entry.id = d.id;
      if (d.function?.name) entry.name += d.function.name;
      if (d.function?.arguments) entry.args += d.function.arguments;
      this.building.set(d.index, entry);
    }
  }

  /** The calls assembled so far, in index order (call at the end of the stream: finish_reason). */
  take(): AssembledToolCall[] {
    const out: (AssembledToolCall | undefined)[] = [];
    for (const [, entry] of [...this.building.entries()].sort((a, b) => a[0] - b[0])) {
      // Some upstreams (Ollama) send no call id: VS Code needs one to pair the result with the call.
      if (!entry.id) entry.id = newCallId();
      out.push(this.handOut(entry.id, entry.name, entry.args));
    }
    this.building.clear();
    return out.filter((c): c is AssembledToolCall => c !== undefined);
  }

  /**
   * Calls in the final completion that the stream did not deliver (matched by id; when the stream
   * delivered as many calls as the completion has, there is nothing left, ids or not).
   */
  reconcile(calls: readonly ToolCall[] | undefined): AssembledToolCall[] {
    if (!calls || this.handedOut.size >= calls.length) return [];
    return calls
      .map((c) => this.handOut(c.id || newCallId(), c.function.name, c.function.arguments))
      .filter((c): c is AssembledToolCall => c !== undefined);
  }

  private handOut(id: string, name: string, args: string): AssembledToolCall | undefined {
    if (this.handedOut.has(id)) return undefined;
    this.handedOut.add(id);
    return { callId: id, name, input: parseToolInput(name, args) };
  }
}
