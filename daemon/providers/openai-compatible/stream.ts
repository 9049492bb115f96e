// An OpenAI-compatible server's streamed answer as chunks: the SSE body parsed as it arrives, a JSON
// completion (servers that ignore `stream: true`) replayed as chunks. A hand-written iterator with
// poll() (../pollable.ts) rather than an async generator: chunks whose bytes are already here (the
// role chunk and the first piece usually arrive in one read) are handed over without a promise, so
// the first piece reaches the client in the same turn of the event loop as the upstream's bytes.
import type { ChatCompletion, ChatCompletionChunk } from '../../../shared/openai';
import { NOT_YET, rejection, type Pollable, type PollableIterable } from '../pollable';
import { malformedError, streamEndedEarly } from '../transport/errors';
import {
  ensureOk,
  readText,
  sendRequest,
  succeeded,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../transport/http';
import { deltaChunk, usageChunk } from '../transport/openai-shapes';
import { SseParser, type SseEvent } from '../transport/sse';
import { ProviderError } from '../types';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

type ErrorChunk = ChatCompletionChunk & { error?: { message?: string; type?: string; code?: unknown } };

export class OpenAIChunkStream implements Pollable<ChatCompletionChunk>, PollableIterable<ChatCompletionChunk> {
  private res: UpstreamResponse | undefined;
  // Made before the request goes out, so building it is not on the way to the first chunk.
  private readonly parser = new SseParser();
  /** Events parsed and not yet handed out (from `index`). */
  private readonly events: SseEvent[] = [];
  private index = 0;
  /** A JSON completion, as chunks (from `index`). */
  private replay: ChatCompletionChunk[] | undefined;
  private sawFinish = false;
  private bodyEnded = false;
  /** The answer is whole ([DONE], or the body ended after a finish_reason): only the end is left. */
  private complete = false;
  /** Nothing more to hand out (ended, failed or let go of). */
  private closed = false;

  constructor(
    private readonly provider: string,
    /** Builds the request: on the first next(), as an async generator's body would run. */
    private readonly request: () => UpstreamRequest,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  poll(): ChatCompletionChunk | typeof NOT_YET {
    if (this.closed || !this.res) return NOT_YET;
    try {
      return this.take();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (this.closed) return Promise.resolve(DONE);
    if (this.res) {
      try {
        const chunk = this.take();
        if (chunk !== NOT_YET) return Promise.resolve({ done: false, value: chunk });
      } catch (err) {
        this.close();
        return rejection(err);
      }
    }
    return this.read();
  }

  /** Let go of early (the reader stopped): the connection is closed unless the answer was whole. */
  async return(_value?: unknown): Promise<IteratorResult<ChatCompletionChunk>> {
    if (!this.closed) {
      this.closed = true;
      if (this.complete) await this.res?.drain();
      else this.res?.close();
    }
    return DONE;
  }

  /** Sends the request if it was not yet, then waits for body bytes until a chunk or the end. */
  private async read(): Promise<IteratorResult<ChatCompletionChunk>> {
    try {
      if (!this.res) await this.open();
      const res = this.res!;
      for (;;) {
        const chunk = this.take();
        if (chunk !== NOT_YET) return { done: false, value: chunk };
        if (this.complete) {
          this.closed = true;
          await res.drain();
          return DONE;
        }
        const next = await res.body.next();
        if (next.done) {
          this.parser.end(this.events);
          this.bodyEnded = true;
        } else this.parser.push(next.value, this.events);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private async open(): Promise<void> {
    const res = await sendRequest(this.request());
    this.res = res;
    // (Checked before calling: an async call that has nothing to do still costs a turn of the
    // microtask queue on the way to the first chunk.)
    if (!succeeded(res)) await ensureOk(res, this.provider);
    if (String(res.headers['content-type']).startsWith('application/json')) {
      // Some servers ignore `stream: true` and answer with one JSON completion: replay it as chunks.
      let completion: ChatCompletion | undefined;
      try {
        completion = JSON.parse(await readText(res, this.provider)) as ChatCompletion;
      } catch (err) {
        if (err instanceof ProviderError) throw err;
      }
      if (!completion || !Array.isArray(completion.choices)) {
        throw malformedError(this.provider, 'completion (no choices)');
      }
      this.replay = [...completionAsChunks(completion)];
    }
  }

  /** The next chunk from what has arrived, else NOT_YET (more bytes needed, or `complete`). Throws stream errors. */
  private take(): ChatCompletionChunk | typeof NOT_YET {
    if (this.complete) return NOT_YET;
    if (this.replay) {
      if (this.index < this.replay.length) return this.replay[this.index++]!;
      this.complete = true;
      return NOT_YET;
    }
    for (;;) {
      if (this.index < this.events.length) {
        const data = this.events[this.index++]!.data;
        if (data === '[DONE]') {
          this.complete = true;
          return NOT_YET;
        }
        return this.chunkOf(data);
      }
      this.events.length = 0;
      this.index = 0;
      if (this.bodyEnded) {
        // Servers that omit [DONE] still end cleanly after a finish_reason; anything else was cut off.
        if (!this.sawFinish) throw streamEndedEarly(this.provider);
        this.complete = true;
        return NOT_YET;
      }
      const bytes = this.res!.body.poll();
      if (bytes === NOT_YET) return NOT_YET;
      this.parser.push(bytes, this.events);
    }
  }

  private chunkOf(data: string): ChatCompletionChunk {
    let chunk: ErrorChunk;
    try {
      chunk = JSON.parse(data) as ErrorChunk;
    } catch {
      throw new ProviderError(`${this.provider} upstream sent a malformed stream event`, 'stream', undefined, false);
    }
    // OpenAI, vLLM and LiteLLM report failures after the stream started as `data: {"error": …}`.
    if (chunk.error) {
      const message = chunk.error.message ?? JSON.stringify(chunk.error);
      throw new ProviderError(
        `${this.provider} upstream stream error: ${message}`,
        'stream',
        undefined,
        false,
        message,
      );
    }
    if (chunk.choices?.some((c) => c.finish_reason)) this.sawFinish = true;
    return chunk;
  }

  /** Done after a failure: the connection is closed (idempotent). */
  private close(): void {
    this.closed = true;
    this.res?.close();
  }
}

function* completionAsChunks(c: ChatCompletion): Generator<ChatCompletionChunk> {
  const header = { id: c.id, created: c.created, model: c.model };
  const choice = c.choices[0];
  yield deltaChunk(header, { role: 'assistant', content: choice?.message.content ?? '' });
  const calls = choice?.message.tool_calls;
  if (calls?.length) yield deltaChunk(header, { tool_calls: calls.map((t, index) => ({ index, ...t })) });
  yield deltaChunk(header, {}, choice?.finish_reason ?? 'stop');
  if (c.usage) yield usageChunk(header, c.usage);
}
