// The routed model's opened stream as the client's chunks: re-labelled as the daemon's (its request
// id, the pool model's name, the routing decision on the first), text and usage collected, the
// usage chunk re-sent at the end if the client asked for it, and the request's one record made
// when the stream ends, fails or the client stops reading. A hand-written iterator with poll()
// (providers/pollable.ts) rather than an async generator: chunks the upstream sent together pass
// on to the door without a promise.
import { FugusashiError } from '../../shared/errors';
import type { ChatCompletionChunk, ChatCompletionRequest, RoutingDecision, Usage } from '../../shared/openai';
import { NOT_YET, rejection, type Pollable, type PollableIterable } from '../providers/pollable';
import type { RequestOutcome } from './outcome';
import type { RunContext } from './ports';
import { CANCELLED_ATTEMPT, describe, type OpenedStream, type Upstreams } from './upstream';
import { isUsage, normaliseUsage, priceAnswer, settleUsage } from './usage';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * first: opened.first not handed out yet; streaming: reading the upstream; ending: the upstream
 * ended, the relay's own last chunks are queued and the record is made once they were taken (as
 * an async generator's code after its last yield runs on the next read); done: recorded.
 */
type State = 'first' | 'streaming' | 'ending' | 'done';

export class StreamRelay implements Pollable<ChatCompletionChunk>, PollableIterable<ChatCompletionChunk> {
  private readonly id: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly model: string;
  private state: State = 'first';
  /** Chunks the relay made itself (the end's), handed out before anything else. */
  private readonly queued: ChatCompletionChunk[] = [];
  private text = '';
  private usage: Usage | null = null;
  /** No chunk has carried the decision yet. */
  private first = true;

  constructor(
    private readonly upstreams: Upstreams,
    private readonly request: ChatCompletionRequest,
    private readonly ctx: RunContext,
    private readonly decision: RoutingDecision,
    private readonly outcome: RequestOutcome,
    private readonly opened: OpenedStream,
  ) {
    this.id = outcome.id;
    this.model = opened.config.name;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  poll(): ChatCompletionChunk | typeof NOT_YET {
    for (;;) {
      if (this.queued.length) return this.queued.shift()!;
      switch (this.state) {
        case 'first': {
          this.state = 'streaming';
          const first = this.opened.first;
          const out = first && this.guarded(() => this.relabel(first));
          if (out) return out;
          continue;
        }
        case 'streaming': {
          const out = this.guarded(() => {
            const chunk = this.opened.rest.poll();
            return chunk === NOT_YET ? NOT_YET : this.relabel(chunk);
          });
          if (out === NOT_YET) return NOT_YET;
          if (out) return out;
          continue;
        }
        case 'ending':
          // The client took the last chunk: the stream completed.
          this.finish();
          continue;
        case 'done':
          return NOT_YET;
      }
    }
  }

  next(): Promise<IteratorResult<ChatCompletionChunk>> {
    let ready: ChatCompletionChunk | typeof NOT_YET;
    try {
      ready = this.poll();
    } catch (err) {
      return rejection(err);
    }
    if (ready !== NOT_YET) return Promise.resolve({ done: false, value: ready });
    if (this.state === 'done') return Promise.resolve(DONE);
    return this.wait();
  }

  /** The consumer stopped reading (the client went away): stop the upstream too, record the cancel. */
  return(_value?: unknown): Promise<IteratorResult<ChatCompletionChunk>> {
    if (this.state !== 'done') {
      this.opened.attempt.status = 'error';
      this.opened.attempt.error = CANCELLED_ATTEMPT;
      void this.opened.rest.return?.();
      this.settle(new FugusashiError('Cancelled', 'The client disconnected during the stream.'));
    }
    this.queued.length = 0;
    return Promise.resolve(DONE);
  }

  /** Waits for the upstream's next chunk (or its end), then hands out what follows from it. */
  private async wait(): Promise<IteratorResult<ChatCompletionChunk>> {
    for (;;) {
      let next: IteratorResult<ChatCompletionChunk>;
      try {
        next = await this.opened.rest.next();
      } catch (err) {
        throw this.failed(err);
      }
      if (next.done) this.guarded(() => this.ended());
      else {
        const chunk = next.value;
        const out = this.guarded(() => this.relabel(chunk));
        if (out) return { done: false, value: out };
      }
      const ready = this.poll();
      if (ready !== NOT_YET) return { done: false, value: ready };
      if (this.state === 'done') return DONE;
    }
  }

  /** Runs a step of the stream; a failure in it is the stream's (recorded, thrown as the client sees it). */
  private guarded<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      throw this.failed(err);
    }
  }

  /** A chunk as the client gets it, or null (a usage-only chunk is re-sent at the end, or dropped). */
  private relabel(chunk: ChatCompletionChunk): ChatCompletionChunk | null {
    if (isUsage(chunk.usage)) this.usage = normaliseUsage(chunk.usage);
    const content = chunk.choices[0]?.delta.content;
    if (content) this.text += content;
    if (chunk.choices.length === 0 && !chunk.orchestration) return null;
    const { id, created, model } = this;
    // Without its usage (`delete` would turn the copy into a slow dictionary-mode object, which
    // costs more to serialise; most chunks have no usage key at all).
    let out: ChatCompletionChunk;
    if ('usage' in chunk) {
      const { usage: _sentAtTheEnd, ...rest } = chunk;
      out = { ...rest, id, created, model };
    } else out = { ...chunk, id, created, model };
    if (this.first) {
      out.routing_decision = this.decision;
      this.first = false;
    }
    return out;
  }

  /** The upstream ended: the relay's own last chunks are queued. */
  private ended(): void {
    const { id, created, model } = this;
    const usage = settleUsage(this.usage, this.request.messages, this.text);
    this.usage = usage;
    this.state = 'ending';
    if (this.first) {
      // The upstream sent no content chunk at all: still give the client the decision.
      this.queued.push({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' }],
        routing_decision: this.decision,
      });
    }
    if (this.request.stream_options?.include_usage === true) {
      this.queued.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
  }

  /** The stream completed: recorded; a record the store lost is told in a last chunk (before [DONE]). */
  private finish(): void {
    if (this.settle(null)) return;
    const { id, created, model } = this;
    this.queued.push({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [],
      routing_decision: { ...this.decision, record_kept: false },
    });
  }

  /** The upstream (or the relay) failed mid-stream: recorded; returns the error the client sees. */
  private failed(err: unknown): FugusashiError {
    const error = this.ctx.signal.aborted
      ? new FugusashiError('Cancelled', 'The request was cancelled by the client.')
      : err;
    this.upstreams.streamFailed(this.opened, err);
    this.settle(error);
    return error instanceof FugusashiError
      ? error
      : new FugusashiError('UpstreamFailed', `${this.model} failed mid-stream: ${describe(err)}`);
  }

  /** The stream's end, however it came: the admission given back, the one record made. False: not kept. */
  private settle(error: unknown): boolean {
    this.state = 'done';
    this.upstreams.streamDone(this.opened);
    const { config } = this.opened;
    const answer = { config, text: this.text, ...priceAnswer(config, this.usage, this.request.messages, this.text) };
    return error === null ? this.outcome.answered(answer) : this.outcome.failed(error, answer);
  }
}
