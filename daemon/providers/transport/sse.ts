// Incremental Server-Sent Events parser (WHATWG rules that matter for LLM APIs): events end at a blank
// line, `data:` lines join with \n, `event:` names the type, `:` lines are comments. Each event is
// handed out as soon as its blank line arrives, so streaming adds no buffering delay.
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * The parser itself, synchronous: feed it body chunks, it appends the events they complete. Adapters
 * on the hot path read the body and parse in one loop (no async generator layer per event).
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private event: string | undefined;
  private data: string[] = [];

  /** Appends to `out` every event this chunk completes. */
  push(chunk: Buffer, out: SseEvent[]): void {
    const buffer = this.buffer + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline: number;
    while ((newline = buffer.indexOf('\n', start)) !== -1) {
      this.takeLine(buffer.slice(start, newline), out);
      start = newline + 1;
    }
    this.buffer = start === 0 ? buffer : buffer.slice(start);
  }

  /** The body ended: some servers end without the final blank line, so what is pending is dispatched. */
  end(out: SseEvent[]): void {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    if (rest) this.takeLine(rest, out);
    this.takeLine('', out);
  }

  private takeLine(raw: string, out: SseEvent[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      if (this.data.length) out.push({ event: this.event, data: this.data.join('\n') });
      this.event = undefined;
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}

export async function* parseSse(body: AsyncIterable<Buffer>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for await (const chunk of body) {
    parser.push(chunk, events);
    if (events.length === 0) continue;
    yield* events;
    events.length = 0;
  }
  parser.end(events);
  yield* events;
}
