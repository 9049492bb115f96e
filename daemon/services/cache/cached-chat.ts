// gateway (issue 12): the response cache in front of the chat pipeline, as a ChatService wrapper
// (the pipeline itself is untouched). A hit answers without routing or an upstream call, as JSON
// or as SSE, marked in routing_decision (strategy "cache", entry, age, similarity), recorded like
// any request (cost 0) and counted in /v1/stats as money and time saved. A miss runs the pipeline
// and stores its answer. Per request: Cache-Control: no-cache (do not read) / no-store (neither
// read nor write), or the body extension "cache": false | "no-cache" | "no-store" | "force"
// ("force": cache even with temperature > 0).
import { currentUser } from '../../team/request-context';
import { randomUUID } from 'node:crypto';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  RoutingDecision,
  ToolCall,
  Usage,
} from '../../../shared/openai';
import { routingInput } from '../../core/features';
import { keepRecord } from '../chat';
import { RequestOutcome } from '../outcome';
import type { ServiceConfig, ServiceDeps } from '../deps';
import type { RunContext } from '../ports';
import { ORCHESTRATE_MODEL, type Routed } from '../routing';
import { laterDecision, type ChatService, type ChatStream, type LiveEvents } from '../types';
import { estimateUsage, isUsage, newRequestId, usageCost } from '../usage';
import { modelFingerprint, requestKey, routingFingerprint } from './key';
import type { CachedAnswer, CacheEntry } from './port';
import type { CacheSettings, ResponseCache } from './response-cache';
import type { SemanticIndex } from './semantic';

interface Policy {
  key: string;
  routing: string;
  read: boolean;
  write: boolean;
  semantic: boolean;
}

export interface CacheDeps {
  deps: ServiceDeps;
  settings: () => CacheSettings;
  events: LiveEvents;
  semantic?: SemanticIndex | undefined;
}

export class CachedChat implements ChatService {
  constructor(
    private readonly inner: ChatService,
    private readonly cache: ResponseCache,
    private readonly c: CacheDeps,
  ) {}

  // Not async: with the cache off (the default) the pipeline's own promise is the answer's, without
  // a wrapping one whose settling costs the answer extra turns of the microtask queue.
  complete(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatCompletion> {
    if (!this.enabled()) return this.inner.complete(withoutExtension(request), ctx);
    return this.completeCached(request, ctx);
  }

  private async completeCached(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatCompletion> {
    const started = performance.now();
    const clean = withoutExtension(request);
    const config = this.c.deps.config();
    const policy = this.policy(request, clean, ctx, config);
    if (!policy) return await this.inner.complete(clean, ctx);
    if (policy.read) {
      const found = await this.lookup(clean, policy, config);
      if (found) {
        const completion = this.completionFrom(found.entry, found.similarity, started);
        this.record(completion.id, clean, ctx, completion.routing_decision!, found.entry, started);
        return completion;
      }
    }
    const answer = await this.inner.complete(clean, ctx);
    // An answer with extended thinking is not kept: its signed thinking blocks are what the client
    // sends back on its next tool turn, and an entry holds the answer's text and tool calls only.
    if (policy.write && !answer.choices[0]?.message.thinking_blocks?.length) {
      const choice = answer.choices[0];
      const stored: CachedAnswer = {
        content: choice?.message.content ?? null,
        finish_reason: choice?.finish_reason ?? 'stop',
      };
      if (choice?.message.tool_calls?.length) stored.tool_calls = choice.message.tool_calls;
      await this.remember(policy, clean, answer.model, stored, answer.usage ?? null, performance.now() - started);
    }
    return answer;
  }

  stream(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatStream> {
    if (!this.enabled()) return this.inner.stream(withoutExtension(request), ctx);
    return this.streamCached(request, ctx);
  }

  private async streamCached(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatStream> {
    const started = performance.now();
    const clean = withoutExtension(request);
    const config = this.c.deps.config();
    const policy = this.policy(request, clean, ctx, config);
    if (!policy) return await this.inner.stream(clean, ctx);
    if (policy.read) {
      const found = await this.lookup(clean, policy, config);
      if (found) {
        const completion = this.completionFrom(found.entry, found.similarity, started);
        const decision = completion.routing_decision!;
        return {
          id: completion.id,
          decision,
          answeredBy: found.entry.model,
          chunks: this.replay(completion, clean, ctx, found.entry, started),
        };
      }
    }
    const opened = await this.inner.stream(clean, ctx);
    if (!policy.write) return opened;
    return { ...opened, chunks: this.tee(opened, policy, clean, started) };
  }

  /** The cache is on (cache.exact or cache.semantic in the config). */
  private enabled(): boolean {
    const settings = this.c.settings();
    return settings.exact || settings.semantic;
  }

  /** Whether and how this request uses the cache; null = not at all. */
  private policy(
    raw: ChatCompletionRequest,
    clean: ChatCompletionRequest,
    ctx: RunContext,
    config: ServiceConfig,
  ): Policy | null {
    const settings = this.c.settings();
    if (!settings.exact && !settings.semantic) return null;
    if (clean.model === ORCHESTRATE_MODEL || (clean.n ?? 1) > 1) return null;
    const ext = (raw as { cache?: unknown }).cache;
    const header = (ctx.cacheControl ?? '').toLowerCase();
    let read = true;
    let write = true;
    if (ext === false || ext === 'no-store' || header.includes('no-store')) read = write = false;
    if (ext === 'no-cache' || header.includes('no-cache')) read = false;
    if (!read && !write) return null;
    if ((clean.temperature ?? 0) > 0 && !settings.anyTemperature && ext !== 'force') return null;
    const fingerprint = clean.model.startsWith('auto')
      ? routingFingerprint(config)
      : forcedFingerprint(clean.model, config);
    if (fingerprint === null) return null; // unknown model: let the pipeline answer 404
    // Team mode: each user's answers are cached for that user alone (both keys include `routing`),
    // or one user's cached answer, their data in it, would be handed to another who sends a like
    // prompt. Without an API key (single-user mode, server.token) the keys are as they always were.
    const user = currentUser();
    const routing = user === null ? fingerprint : `${fingerprint}:user:${user}`;
    // Semantic matching never applies to tool use (a near-miss there is a wrong action, not a wrong word).
    const semantic = settings.semantic && !clean.tools?.length && !!this.c.semantic;
    return { key: requestKey(clean, routing), routing, read, write, semantic };
  }

  private async lookup(
    request: ChatCompletionRequest,
    policy: Policy,
    config: ServiceConfig,
  ): Promise<{ entry: CacheEntry; similarity: number } | null> {
    const settings = this.c.settings();
    if (settings.exact) {
      const entry = this.cache.get(policy.key, config);
      if (entry) {
        this.cache.hit(entry, false);
        return { entry, similarity: 1 };
      }
    }
    if (policy.semantic && this.c.semantic) {
      const found = await this.c.semantic.find(request, policy.routing, settings.semanticThreshold, (e) =>
        this.cache.isLive(e, config),
      );
      if (found) {
        this.cache.hit(found.entry, true);
        return found;
      }
    }
    return null;
  }

  private async remember(
    policy: Policy,
    request: ChatCompletionRequest,
    answeredBy: string,
    answer: CachedAnswer,
    usage: Usage | null,
    latencyMs: number,
  ): Promise<void> {
    const config = this.c.deps.config();
    const model = config.pool.find((m) => m.name === answeredBy);
    if (!model) return;
    const settings = this.c.settings();
    const finalUsage = usage && isUsage(usage) ? usage : estimateUsage(request.messages, answer.content ?? '');
    const now = (this.c.deps.now ?? Date.now)();
    const entry: CacheEntry = {
      id: `cache-${randomUUID().replace(/-/g, '').slice(0, 16)}`,
      key: policy.key,
      created_at: now,
      expires_at: now + settings.ttlS * 1000,
      model: answeredBy,
      model_fp: modelFingerprint(model),
      answer,
      usage: finalUsage,
      cost_usd: usageCost(model, finalUsage),
      latency_ms: Math.round(latencyMs * 100) / 100,
    };
    try {
      if (policy.semantic && this.c.semantic) {
        const semantic = await this.c.semantic.describe(request, policy.routing);
        if (semantic) entry.semantic = semantic;
      }
      this.cache.put(entry, settings);
    } catch (err) {
      // The cache is an optimisation: a failure to store never fails the answer already given.
      this.c.deps.log?.(
        `response cache: could not store an entry: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private completionFrom(entry: CacheEntry, similarity: number, started: number): ChatCompletion {
    const ageS = Math.round(((this.c.deps.now ?? Date.now)() - entry.created_at) / 100) / 10;
    const semantic = similarity < 1;
    const decision: RoutingDecision = {
      model: entry.model,
      confidence: 1,
      strategy: 'cache',
      latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
      explanation: semantic
        ? `Semantic cache hit (similarity ${similarity.toFixed(3)}): the answer ${entry.model} gave ${ageS} s ago to a near-identical request.`
        : `Exact cache hit: the answer ${entry.model} gave ${ageS} s ago to the same request.`,
      alternatives: [],
      estimated_cost: 0,
      cache: {
        kind: semantic ? 'semantic' : 'exact',
        entry_id: entry.id,
        age_s: ageS,
        similarity: Math.round(similarity * 10000) / 10000,
        saved_usd: entry.cost_usd,
        saved_ms: entry.latency_ms,
      },
    };
    const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: entry.answer.content };
    if (entry.answer.tool_calls) message.tool_calls = entry.answer.tool_calls;
    return {
      id: newRequestId(),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: entry.model,
      choices: [{ index: 0, message, finish_reason: entry.answer.finish_reason }],
      usage: entry.usage,
      routing_decision: decision,
    };
  }

  /** A hit as SSE chunks: the whole text in one delta (it is all here already), then finish and usage. */
  // eslint-disable-next-line @typescript-eslint/require-await -- async only to be the stream's AsyncIterable
  private async *replay(
    completion: ChatCompletion,
    request: ChatCompletionRequest,
    ctx: RunContext,
    entry: CacheEntry,
    started: number,
  ): AsyncGenerator<ChatCompletionChunk> {
    const base = {
      id: completion.id,
      object: 'chat.completion.chunk' as const,
      created: completion.created,
      model: entry.model,
    };
    const delta: ChatCompletionChunk['choices'][number]['delta'] = {
      role: 'assistant',
      content: entry.answer.content ?? '',
    };
    if (entry.answer.tool_calls)
      delta.tool_calls = entry.answer.tool_calls.map((t: ToolCall, index) => ({
        index,
        id: t.id,
        type: 'function',
        function: t.function,
      }));
    yield {
      ...base,
      choices: [{ index: 0, delta, finish_reason: null }],
      routing_decision: completion.routing_decision!,
    };
    yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: entry.answer.finish_reason }] };
    if (request.stream_options?.include_usage) yield { ...base, choices: [], usage: entry.usage };
    this.record(completion.id, request, ctx, completion.routing_decision!, entry, started);
  }

  /** Passes a live stream through, collecting the answer; stores it once the stream completed. */
  private async *tee(
    opened: ChatStream,
    policy: Policy,
    request: ChatCompletionRequest,
    started: number,
  ): AsyncGenerator<ChatCompletionChunk> {
    let content = '';
    let finish: CachedAnswer['finish_reason'] = null;
    let usage: Usage | null = null;
    const calls: { id?: string; name: string; arguments: string }[] = [];
    let thought = false;
    // The model that wrote the answer: a later decision names another one (an escalated team its
    // budget stopped, the routed model answering), and that model's answer is cached as the
    // same answer given whole would be.
    let answeredBy = opened.answeredBy;
    for await (const chunk of opened.chunks) {
      if (laterDecision(opened, chunk)) answeredBy = chunk.model;
      const choice = chunk.choices[0];
      if (choice) {
        if (choice.delta.content) content += choice.delta.content;
        if (choice.delta.thinking_blocks?.length) thought = true;
        for (const t of choice.delta.tool_calls ?? []) {
          const call = (calls[t.index] ??= { name: '', arguments: '' });
          if (t.id) call.id = t.id;
          if (t.function?.name) call.name += t.function.name;
          if (t.function?.arguments) call.arguments += t.function.arguments;
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      if (chunk.usage && isUsage(chunk.usage)) usage = chunk.usage;
      yield chunk;
    }
    if (thought) return; // not kept, as in complete()
    const answer: CachedAnswer = {
      content: calls.length && !content ? null : content,
      finish_reason: finish ?? 'stop',
    };
    if (calls.length)
      answer.tool_calls = calls.map((c, i) => ({
        id: c.id ?? `call_${i}`,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      }));
    await this.remember(policy, request, answeredBy, answer, usage, performance.now() - started);
  }

  /**
   * The hit as the request's one record (services/outcome.ts; cost 0), so it shows in decisions,
   * traces and stats like any answer.
   */
  private record(
    id: string,
    request: ChatCompletionRequest,
    ctx: RunContext,
    decision: RoutingDecision,
    entry: CacheEntry,
    started: number,
  ): void {
    const input = routingInput(request, { costWeight: 0, explore: false, random: Math.random });
    const routed: Routed = { plan: { decision, order: [] }, input, forced: false };
    const outcome = new RequestOutcome(
      (record) => keepRecord(this.c.deps, this.c.events, record),
      id,
      request,
      ctx,
      routed,
      started,
    );
    outcome.answered({
      config: null,
      answeredBy: entry.model,
      text: entry.answer.content,
      usage: null,
      cost: 0,
      params: { cache_entry: entry.id },
    });
  }
}

function forcedFingerprint(name: string, config: ServiceConfig): string | null {
  const model = config.pool.find((m) => m.name === name);
  return model ? `model:${modelFingerprint(model)}` : null;
}

/** The request without the cache extension (never sent upstream, never part of the key). */
function withoutExtension(request: ChatCompletionRequest): ChatCompletionRequest {
  if (!('cache' in request)) return request;
  const copy = { ...request } as ChatCompletionRequest & { cache?: unknown };
  delete copy.cache;
  return copy;
}
