// Incremental newline-delimited JSON splitter (Ollama's streams): yields each non-empty line as soon as
// its newline arrives; the caller parses it (so it can map a bad line to its own error).
export async function* parseNdjsonLines(body: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline: number;
    while ((newline = buffer.indexOf('\n', start)) !== -1) {
      const line = buffer.slice(start, newline).trim();
      start = newline + 1;
      if (line) yield line;
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
  }
  const rest = (buffer + decoder.decode()).trim();
  if (rest) yield rest;
}
