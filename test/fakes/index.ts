/**
 * Loopback fake upstream LLM servers (node:http on 127.0.0.1, port 0) that speak each provider's real
 * wire format. They are the only fakes in the tests: everything between them and the test is real.
 *
 *   import { startFakeOpenAI, startFakeAnthropic, startFakeOllama } from '../fakes';
 *   const up = await startFakeOpenAI({ models: ['gpt-x'] });
 *   // model config: { provider: 'openai', api_base: up.url, model: 'gpt-x', ... }
 *   ...
 *   await up.close();
 *
 * startFakeOpenAI(opts) / startFakeAnthropic(opts) / startFakeOllama(opts): Promise<FakeUpstream>
 *   opts: FakeOptions = { behaviour?, hook?, models? (default ['fake-model']), apiKey? (401 without it),
 *                         record? (default true; false keeps no requests, for benchmarks) }
 *
 * FakeUpstream:
 *   url          base URL in api_base convention: OpenAI `http://127.0.0.1:P/v1`; Anthropic, Ollama the host
 *   origin, port, kind
 *   requests     FakeRequest[] in arrival order: { index, method, path, headers, body (parsed JSON), raw,
 *                model, stream, lastUserText, receivedAt, outcome, closed: Promise<outcome> }
 *                outcome: 'pending' | 'completed' | 'client-closed' (the caller closed the socket early,
 *                e.g. an abort) | 'dropped' (the fake destroyed it on purpose)
 *   behaviour    the default FakeBehaviour (assignable); set(b) replaces it
 *   enqueue(...b) behaviours for the next requests, one each, then the default again
 *   hook         (req) => FakeBehaviour | undefined (may be async), merged over the behaviour per request:
 *                answer a planner prompt with a JSON plan, answer differently per req.model, …
 *   models       ids listed by GET /v1/models (OpenAI, Anthropic) and GET /api/tags (Ollama)
 *   connections  TCP connections accepted so far (keep-alive reuse keeps it low)
 *   waitForRequest(n?, timeoutMs?)  resolves when request #n (1-based; default the next) has arrived
 *   reset()      forget requests, queue and hook; restore the start behaviour
 *   close()      destroy open sockets (hanging ones too) and stop listening
 *
 * FakeBehaviour (all optional):
 *   text          answer text; default `fake answer from <model> to: <last user message>`
 *   chunks        stream pieces (default: text split after each space)
 *   toolCalls     [{ id?, name, arguments: object | JSON string }]
 *   finishReason  'stop' | 'length' | 'tool_calls' (mapped to end_turn/max_tokens/tool_use, done_reason…)
 *   nativeFinishReason  the provider's own value, verbatim (e.g. 'stop_sequence')
 *   usage         { prompt, completion } tokens; default ceil(chars / 4) each
 *   error         { status, message, type?, code?, param?, retryAfter? } → that status with the real body:
 *                 OpenAI {error:{message,type,param,code}}, Anthropic {type:'error',error:{type,message}},
 *                 Ollama {error}
 *   streamError   { message, type?, afterFrames? (default 1) }: in-stream error (OpenAI `data: {error}`,
 *                 Anthropic `event: error`, Ollama `{"error"}` line) then the response ends
 *   firstByteDelayMs  wait before sending anything;  chunkDelayMs  wait between stream frames
 *   dropAfterFrames   destroy the socket after N stream frames (JSON: after half the body)
 *   hang          never answer
 *   custom        (req, res) => void: write the response yourself
 *
 * Streams: OpenAI SSE chunks (role chunk, content pieces, tool_call deltas with arguments in two parts,
 * finish chunk, usage chunk when stream_options.include_usage, `data: [DONE]`); Anthropic events
 * (message_start, ping, content_block_start/delta/stop incl. input_json_delta, message_delta, message_stop);
 * Ollama NDJSON (content pieces, a tool_calls line, a final line with done_reason and eval counts).
 *
 * CLI: `node --import tsx test/fakes/serve.ts --port 0 [--kind openai|anthropic|ollama]` prints the base
 * URL as its first stdout line and exits on SIGTERM/SIGINT or when its stdin (a pipe) closes.
 */
export { startFakeOpenAI, openaiWire } from './openai';
export { startFakeAnthropic, anthropicWire } from './anthropic';
export { startFakeOllama, ollamaWire } from './ollama';
export { splitPieces, startFakeServer } from './server';
export type {
  FakeBehaviour,
  FakeError,
  FakeHook,
  FakeKind,
  FakeOptions,
  FakeOutcome,
  FakeRequest,
  FakeToolCall,
  FakeUpstream,
} from './server';

import { startFakeAnthropic } from './anthropic';
import { startFakeOllama } from './ollama';
import { startFakeOpenAI } from './openai';
import type { FakeKind, FakeOptions, FakeUpstream } from './server';

/** Starts a fake of the given kind. */
export function startFake(kind: FakeKind, opts: FakeOptions = {}): Promise<FakeUpstream> {
  return kind === 'anthropic'
    ? startFakeAnthropic(opts)
    : kind === 'ollama'
      ? startFakeOllama(opts)
      : startFakeOpenAI(opts);
}
