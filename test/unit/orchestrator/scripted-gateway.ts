// A Gateway whose "models" are functions written by each test: it answers route() by capability
// and run() by calling the first model in the order that does not throw, as the real gateway's
// fallback does. It is the port-level double for the orchestrator's unit tests; the integration
// tests run the orchestrator through the real daemon against loopback fake upstreams.
import type { AttemptRecord } from '../../../shared/api';
import type { Capability, ModelConfig } from '../../../shared/config';
import type { ChatCompletion, ChatCompletionRequest } from '../../../shared/openai';
import type { RoutePlan } from '../../../daemon/core/ports';
import type { Gateway } from '../../../daemon/services/ports';

export interface ScriptedCall {
  model: string;
  request: ChatCompletionRequest;
  signal: AbortSignal;
}

export type ScriptedModel = (call: ScriptedCall) => string | Promise<string>;

export function model(name: string, capabilities: string[], costPerCall = 0): ModelConfig {
  return {
    name,
    provider: 'openai',
    model: name,
    cost_per_input_token: 0,
    cost_per_output_token: costPerCall / 1000,
    capabilities,
  };
}

export class ScriptedGateway implements Gateway {
  readonly calls: ScriptedCall[] = [];
  readonly routed: { text: string; capability?: Capability }[] = [];
  active = 0;
  peakActive = 0;

  constructor(
    private readonly models: ModelConfig[],
    private readonly behaviour: Record<string, ScriptedModel>,
    /** Per capability, Tier 1's order; default: models having the capability, then the rest. */
    private readonly orders: Partial<Record<string, string[]>> = {},
  ) {}

  pool(): readonly ModelConfig[] {
    return this.models;
  }

  async route(request: ChatCompletionRequest, hint?: { capability?: Capability }): Promise<RoutePlan> {
    const text = String(request.messages[request.messages.length - 1]?.content ?? '');
    this.routed.push({ text, capability: hint?.capability });
    const cap = hint?.capability;
    const order =
      (cap && this.orders[cap]) ??
      [...this.models]
        .sort((a, b) => Number(b.capabilities.includes(cap ?? '')) - Number(a.capabilities.includes(cap ?? '')))
        .map((m) => m.name);
    return {
      order,
      decision: {
        model: order[0] ?? '',
        confidence: 0.8,
        strategy: 'cost',
        latency_ms: 0,
        explanation: `${order[0]} is the cheapest model with ${cap ?? 'chat'}`,
        alternatives: [],
        estimated_cost: 0,
      },
    };
  }

  async run(order: readonly string[], request: ChatCompletionRequest, signal: AbortSignal) {
    const attempts: AttemptRecord[] = [];
    for (const name of order) {
      const behaviour = this.behaviour[name];
      const started = Date.now();
      if (!behaviour) {
        attempts.push({
          model: name,
          started_at: started,
          first_byte_ms: null,
          duration_ms: 0,
          status: 'error',
          error: 'unknown model',
        });
        continue;
      }
      this.calls.push({ model: name, request, signal });
      this.active++;
      this.peakActive = Math.max(this.peakActive, this.active);
      try {
        if (signal.aborted) throw new Error('aborted');
        const text = await behaviour({ model: name, request, signal });
        const config = this.models.find((m) => m.name === name);
        const completion: ChatCompletion = {
          id: `up-${this.calls.length}`,
          object: 'chat.completion',
          created: 0,
          model: name,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 1000, total_tokens: 1010 },
        };
        attempts.push({
          model: name,
          started_at: started,
          first_byte_ms: 1,
          duration_ms: Date.now() - started,
          status: 'ok',
        });
        return { completion, answered_by: name, attempts, cost_usd: (config?.cost_per_output_token ?? 0) * 1000 };
      } catch (err) {
        attempts.push({
          model: name,
          started_at: started,
          first_byte_ms: null,
          duration_ms: Date.now() - started,
          status: 'error',
          error: String(err),
        });
        if (signal.aborted) throw err;
      } finally {
        this.active--;
      }
    }
    throw new Error(`all candidates failed: ${attempts.map((a) => `${a.model}: ${a.error}`).join('; ')}`);
  }
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts (like a real upstream call). */
export function slow<T>(ms: number, value: T, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

export function lastUserText(request: ChatCompletionRequest): string {
  return String(request.messages[request.messages.length - 1]?.content ?? '');
}
