// Service-level ports used across daemon folders (the orchestrator runs sub-tasks through the
// Gateway without going through the HTTP or RPC doors).
import type { AttemptRecord, RequestSource } from '../../shared/api';
import type { Capability, ModelConfig } from '../../shared/config';
import type { ChatCompletion, ChatCompletionRequest } from '../../shared/openai';
import type { RoutePlan } from '../core/ports';
import type { CancelSignal } from '../providers/types';

export interface RunContext {
  signal: CancelSignal;
  source: RequestSource;
  /**
   * Who asked, as far as the door can tell (an opaque id, kept in memory only): the hashed API key
   * and `user` of an HTTP request, the VS Code window of an RPC one. Implicit signals read a repeat
   * as a user's reaction only from the same client (services/implicit.ts).
   */
  client?: string | undefined;
  /** gateway (issue 12): the request's Cache-Control header (no-cache / no-store), when a door has one. */
  cacheControl?: string | undefined;
}

/** What a caller needs to route and run one model call with fallback, without the HTTP/RPC doors. */
export interface Gateway {
  /** Dry-run routing. `capability` adds a soft wish (e.g. a sub-task's kind). */
  route(request: ChatCompletionRequest, hint?: { capability?: Capability }): Promise<RoutePlan>;
  /** Calls `order` in turn until one succeeds; does not record a request. */
  run(
    order: readonly string[],
    request: ChatCompletionRequest,
    signal: CancelSignal,
  ): Promise<{ completion: ChatCompletion; answered_by: string; attempts: AttemptRecord[]; cost_usd: number }>;
  pool(): readonly ModelConfig[];
}
