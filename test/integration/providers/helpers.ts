// Shared bits for the provider tests: model configs pointing at a fake, call options, and collectors.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import type { ModelConfig, ProviderKind } from '../../../shared/config';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../../shared/openai';
import { ProviderError, type ProviderCallOptions } from '../../../daemon/providers/types';

export function modelFor(provider: ProviderKind, apiBase: string, extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: `${provider}-test`,
    provider,
    model: 'up-model',
    api_base: apiBase,
    cost_per_input_token: 0,
    cost_per_output_token: 0,
    capabilities: ['chat'],
    ...extra,
  };
}

export function callOptions(overrides: Partial<ProviderCallOptions> = {}): ProviderCallOptions {
  return { signal: new AbortController().signal, connectTimeoutMs: 2_000, firstByteTimeoutMs: 5_000, ...overrides };
}

export function request(text: string, extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: 'up-model', messages: [{ role: 'user', content: text }], ...extra };
}

export async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

export function textOf(chunks: readonly ChatCompletionChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
}

/** Joins streamed tool-call deltas by index, as an OpenAI client does. */
export function toolCallsOf(
  chunks: readonly ChatCompletionChunk[],
): { id?: string; name: string; arguments: string }[] {
  const calls: { id?: string; name: string; arguments: string }[] = [];
  for (const c of chunks) {
    for (const t of c.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[t.index] ??= { name: '', arguments: '' });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.name += t.function.name;
      if (t.function?.arguments) call.arguments += t.function.arguments;
    }
  }
  return calls;
}

/** Asserts that `promise` rejects with a ProviderError matching `expected`, and returns it. */
export async function rejectsWith(
  promise: Promise<unknown>,
  expected: Partial<Pick<ProviderError, 'phase' | 'status' | 'retryable' | 'upstreamMessage'>>,
): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `expected ProviderError, got ${String(err)}`);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal((err as unknown as Record<string, unknown>)[key], value, `${key} of "${err.message}"`);
    }
    return err;
  }
  assert.fail('expected a ProviderError, but the call succeeded');
}

/** A loopback port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
