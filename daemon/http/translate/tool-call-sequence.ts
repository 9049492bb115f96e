// Streamed tool calls, one at a time. An OpenAI chat stream may interleave the argument pieces of
// parallel tool calls (index 0, index 1, index 0 again…: each delta names its index), but Anthropic's
// content blocks and the Responses API's output items are sequential: one is open at a time, and its
// stop/done event, which carries (or lets the client assemble) the whole arguments, comes after its
// last piece. This orders the pieces for those doors: the first call streams as its pieces come; a
// later call is started once the earlier one is finished, and its pieces are held until then.
// Pure: shared by the Messages and Responses stream translators.
import type { ChatCompletionChunk } from '../../../shared/openai';

type ToolCallDelta = NonNullable<ChatCompletionChunk['choices'][number]['delta']['tool_calls']>[number];

export interface SequencedCall {
  /** The upstream's tool_calls index. */
  readonly index: number;
  id: string | undefined;
  name: string;
  /** Every piece so far, in order (late ones too: see ToolCallSequencer.push). */
  arguments: string;
}

export type ToolCallEvent =
  | { type: 'start'; call: SequencedCall }
  | { type: 'arguments'; call: SequencedCall; piece: string }
  | { type: 'stop'; call: SequencedCall };

/**
 * Whether a call's arguments are a whole JSON object (or array): no later piece can extend them into
 * valid JSON, so the upstream has finished this call. That is the case when a non-interleaving
 * upstream (OpenAI's own, and every one known) starts its next call, which therefore streams at once.
 */
function finished(args: string): boolean {
  const end = args.trimEnd().at(-1);
  if (end !== '}' && end !== ']') return false;
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/** A call and how far it went out: held (nothing sent yet), open (started), closed (stopped). */
interface Entry {
  call: SequencedCall;
  phase: 'held' | 'open' | 'closed';
}

export class ToolCallSequencer {
  private readonly calls = new Map<number, Entry>();
  private open: Entry | null = null;
  /** Calls seen while another was open, in order of appearance; their pieces wait in `arguments`. */
  private readonly held: Entry[] = [];

  /** Whether a delta with this index was seen before. */
  knows(index: number): boolean {
    return this.calls.has(index);
  }

  /** Whether a call is open (its start went out, its stop not yet). */
  get streaming(): boolean {
    return this.open !== null;
  }

  /**
   * One tool_calls delta. A call whose arguments were already stopped (the upstream sent text in
   * between, or more after whole JSON) gets its piece appended to `arguments` but no event: its
   * stop is out, so nothing valid can carry it any more.
   */
  push(delta: ToolCallDelta, out: ToolCallEvent[]): void {
    let entry = this.calls.get(delta.index);
    if (!entry) {
      const call: SequencedCall = { index: delta.index, id: delta.id, name: delta.function?.name ?? '', arguments: '' };
      entry = { call, phase: 'held' };
      this.calls.set(delta.index, entry);
      if (this.open && this.held.length === 0 && finished(this.open.call.arguments)) this.stopOpen(out);
      if (this.open) this.held.push(entry);
      else this.start(entry, out);
    } else if (entry.phase === 'held') {
      // What a call's first delta left out may come with a later one, before anything went out.
      entry.call.id ??= delta.id;
      if (!entry.call.name && delta.function?.name) entry.call.name = delta.function.name;
    }
    const piece = delta.function?.arguments;
    if (!piece) return;
    entry.call.arguments += piece;
    if (entry.phase !== 'open') return;
    out.push({ type: 'arguments', call: entry.call, piece });
    if (this.held.length > 0 && finished(entry.call.arguments)) this.next(out);
  }

  /**
   * No more pieces can come for the calls seen so far (the answer goes on with text, or the stream
   * ends): the open call stops, and every held call is sent whole, in order.
   */
  finish(out: ToolCallEvent[]): void {
    this.stopOpen(out);
    for (const entry of this.held.splice(0)) {
      this.start(entry, out);
      this.stopOpen(out);
    }
  }

  private start(entry: Entry, out: ToolCallEvent[]): void {
    entry.phase = 'open';
    this.open = entry;
    out.push({ type: 'start', call: entry.call });
    if (entry.call.arguments) out.push({ type: 'arguments', call: entry.call, piece: entry.call.arguments });
  }

  private stopOpen(out: ToolCallEvent[]): void {
    if (!this.open) return;
    this.open.phase = 'closed';
    out.push({ type: 'stop', call: this.open.call });
    this.open = null;
  }

  /** The open call is finished: the held ones follow, each streaming on if its pieces are not all in. */
  private next(out: ToolCallEvent[]): void {
    this.stopOpen(out);
    while (this.held.length > 0) {
      this.start(this.held.shift()!, out);
      if (this.held.length === 0 || !finished(this.open!.call.arguments)) return;
      this.stopOpen(out);
    }
  }
}
