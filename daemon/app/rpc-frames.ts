// The JSON-RPC socket's framing, watched before vscode-jsonrpc reads it. Its reader buffers whatever
// a Content-Length header announces (1 GB if asked), buffers a header that never ends, and after a
// header without a usable Content-Length silently stops understanding the stream while the
// connection stays open. A window never does any of this; a misbehaving client must not make the
// daemon that every window shares buffer without bound, nor hold a connection for ever.
// The guard only counts bytes: messages are still parsed by vscode-jsonrpc alone.

/** The biggest message the daemon takes: the HTTP door's biggest body (a training import). */
export const MAX_RPC_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A message's headers ("Content-Length: N" and perhaps a Content-Type) are a few dozen bytes. */
const MAX_HEADER_BYTES = 8 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

export class RpcFrameGuard {
  /** Header bytes of the message being read (until its blank line). */
  private header: Buffer = Buffer.alloc(0);
  /** Body bytes of the current message still to come; -1 while reading a header. */
  private bodyLeft = -1;
  /** Complete messages seen. */
  messages = 0;

  constructor(private readonly maxMessageBytes = MAX_RPC_MESSAGE_BYTES) {}

  /** True while a message has started and not finished. */
  get midMessage(): boolean {
    return this.bodyLeft >= 0 || this.header.length > 0;
  }

  /** Follows `chunk` through the framing; returns why the connection must close, or null. */
  push(chunk: Buffer): string | null {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft >= 0) {
        const take = Math.min(this.bodyLeft, chunk.length - offset);
        this.bodyLeft -= take;
        offset += take;
        if (this.bodyLeft === 0) this.finishMessage();
        continue;
      }
      const before = this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(offset)]);
      const end = this.header.indexOf(HEADER_END);
      if (end === -1) {
        if (this.header.length > MAX_HEADER_BYTES)
          return `a message header longer than ${MAX_HEADER_BYTES} bytes (not JSON-RPC framing)`;
        return null;
      }
      const length = contentLength(this.header.subarray(0, end).toString('latin1'));
      if (typeof length === 'string') return length;
      if (length > this.maxMessageBytes)
        return `a message of ${length} bytes, larger than the ${this.maxMessageBytes} the daemon takes`;
      offset += end + HEADER_END.length - before;
      this.header = Buffer.alloc(0);
      this.bodyLeft = length;
      if (length === 0) this.finishMessage();
    }
    return null;
  }

  private finishMessage(): void {
    this.bodyLeft = -1;
    this.messages++;
  }
}

/** The Content-Length of a message header, or why there is none usable. */
function contentLength(header: string): number | string {
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    return /^\d{1,15}$/.test(value) ? Number(value) : `a Content-Length that is not a number ('${value.slice(0, 40)}')`;
  }
  return 'a message without a Content-Length header';
}

/** The JSON-RPC error sent before closing (id null: the offending message's id is unknown). */
export function refusalFrame(reason: string): string {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32600, message: `Connection closed by the Fugusashi daemon: ${reason}.` },
  });
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
