// Incremental Server-Sent Events parser (WHATWG rules that matter for LLM APIs): events end at a blank
// line, `data:` lines join with \n, `event:` names the type, `:` lines are comments. Each event is
// yielded as soon as its blank line arrives, so streaming adds no buffering delay.
export interface SseEvent {
  event: string | undefined;
  data: string;
}

export async function* parseSse(body: AsyncIterable<Buffer>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];

  function* takeLine(raw: string): Generator<SseEvent> {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      if (data.length) yield { event, data: data.join('\n') };
      event = undefined;
      data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline: number;
    while ((newline = buffer.indexOf('\n', start)) !== -1) {
      const line = buffer.slice(start, newline);
      start = newline + 1;
      yield* takeLine(line);
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
  }
  buffer += decoder.decode();
  // Some servers end without the final blank line: dispatch what is pending.
  if (buffer) yield* takeLine(buffer);
  yield* takeLine('');
}
