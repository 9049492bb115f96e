// `n > 1` (several choices for one prompt) for every provider: Anthropic and Ollama have no `n`, and
// one code path is simpler than two, so the daemon makes n calls. The first goes through the routed
// order (fallbacks included) and fixes the model; the other n − 1 go to that model in parallel, so
// every choice comes from the same model. Usage is the sum over the calls (each is billed). The
// request schema (shared/openai.ts) bounds n at 16.
import type { ModelConfig } from '../../shared/config';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Usage } from '../../shared/openai';
import { isUsage, normaliseUsage } from './usage';

type Call = (
  order: readonly string[],
  request: ChatCompletionRequest,
) => Promise<{ completion: ChatCompletion; config: ModelConfig }>;

export async function completeChoices(
  order: readonly string[],
  request: ChatCompletionRequest,
  call: Call,
): Promise<{ completion: ChatCompletion; config: ModelConfig }> {
  const n = request.n ?? 1;
  if (n <= 1) return call(order, request);
  const single: ChatCompletionRequest = { ...request, n: 1 };
  const first = await call(order, single);
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => call([first.config.name], single)));
  const all = [first, ...rest].map((r) => r.completion);
  const choices = all.map((c, i) => {
    const choice = c.choices[0];
    if (!choice) throw new Error(`${first.config.name} answered choice ${i} without a choice`);
    return { ...choice, index: i };
  });
  const completion: ChatCompletion = { ...first.completion, choices };
  const usages = all.map((c) => c.usage);
  if (usages.every(isUsage)) completion.usage = sumUsage(usages.map((u) => normaliseUsage(u)));
  else delete completion.usage;
  return { completion, config: first.config };
}

function sumUsage(usages: readonly Usage[]): Usage {
  const total: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  for (const u of usages) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
  }
  return total;
}

/**
 * A finished multi-choice completion as the chunks of a stream: each choice's text under its index,
 * then its finish reason (the n answers are complete before the first chunk is sent).
 */
export function* choicesAsChunks(completion: ChatCompletion, includeUsage: boolean): Generator<ChatCompletionChunk> {
  const { id, created, model } = completion;
  const base = { id, object: 'chat.completion.chunk' as const, created, model };
  for (const [i, choice] of completion.choices.entries()) {
    const delta: ChatCompletionChunk['choices'][number]['delta'] = {
      role: 'assistant',
      content: choice.message.content ?? '',
    };
    if (choice.message.tool_calls?.length)
      delta.tool_calls = choice.message.tool_calls.map((t, index) => ({ index, ...t }));
    const first: ChatCompletionChunk = { ...base, choices: [{ index: choice.index, delta, finish_reason: null }] };
    if (i === 0 && completion.routing_decision) first.routing_decision = completion.routing_decision;
    yield first;
    yield { ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason }] };
  }
  if (includeUsage && completion.usage) yield { ...base, choices: [], usage: completion.usage };
}

/** A sync generator as the AsyncIterable a ChatStream carries. */
export function toAsync<T>(items: Iterable<T>): AsyncIterable<T> {
  const iterator = items[Symbol.iterator]();
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(iterator.next()) }) };
}
