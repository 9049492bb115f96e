// What the two doors (HTTP and JSON-RPC) call. Every feature lives behind this one object, so the
// doors stay thin translations of wire formats and nothing is implemented twice.
import type {
  DaemonHealth,
  DecisionRow,
  DecisionsQuery,
  FeedbackStats,
  LiveEvent,
  ModelRanking,
  RateParams,
  RateResult,
  RouteParams,
  Trace,
  UsageBucket,
  UsageStats,
} from '../../shared/api';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ModelListEntry,
  RoutingDecision,
} from '../../shared/openai';
import type { RunContext } from './ports';

/** A streamed answer whose first upstream chunk has already arrived (so fallback is settled). */
export interface ChatStream {
  id: string;
  decision: RoutingDecision;
  /** The pool model that is answering (differs from decision.model after a fallback). */
  answeredBy: string;
  /**
   * `decision` as ASCII-only JSON (shared/ascii-json.ts) for the doors' routing header, when it was
   * made while the upstream was working on the answer (so not on the way to the first byte).
   */
  decisionJson?: string;
  /**
   * OpenAI chunks with the daemon's id; the first carries routing_decision (this `decision`). Ends
   * after usage. A later chunk carries a routing_decision other than `decision` when the decision
   * changed after the stream started (an escalated team its budget stopped, now answered by the
   * routed model; the team's final decision; a record not kept); that chunk's `model` is the model
   * answering from then on. A door that named the decision and model at the start names the last
   * such decision at the end (`laterDecision`).
   */
  chunks: AsyncIterable<ChatCompletionChunk>;
}

/** The routing decision a chunk carries when it differs from the one the stream started with. */
export function laterDecision(
  stream: Pick<ChatStream, 'decision'>,
  chunk: ChatCompletionChunk,
): RoutingDecision | null {
  const decision = chunk.routing_decision;
  return decision && decision !== stream.decision ? decision : null;
}

export interface ChatService {
  complete(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatCompletion>;
  stream(request: ChatCompletionRequest, ctx: RunContext): Promise<ChatStream>;
}

/** What an import stored: the CLI, the HTTP answer and the JSON-RPC answer all report it. */
import type { UnmatchedModel } from './unmatched-models';

export interface TrainingResult {
  /**
   * Rows the store did not hold, stored now (and learned from). In team mode counted when the check
   * found them new, without waiting for their write: the same file imported through two replicas at
   * the same instant may be counted by both, while the database and the learners hold it once.
   */
  added: number;
  /**
   * Rows whose import key (import-keys.ts) the store already held, from an earlier import or earlier
   * in this one: left out, not counted twice. Rows without one (JSON rows with no id) are never this.
   */
  already_imported: number;
  /**
   * Rows accepted while the team database could not say which it already holds (PostgreSQL down or
   * slow): kept in the daemon's spool and stored when the database takes them, except those it
   * already holds, and learned then. Not in `added`, which counts rows the store was found not to hold.
   * Absent when 0.
   */
  queued?: number;
  /** Records of a 0.3.0 outcomes.jsonl with nothing to learn (unrated or failed). */
  skipped?: number;
  /**
   * The rows' model names that no pool model has (routing reads outcomes by pool name), with their
   * row counts and the pool name probably meant. Absent when every row names a pool model.
   */
  unmatched_models?: UnmatchedModel[];
  /** Says the same in a sentence (the CLI prints it). Absent when every row names a pool model. */
  warning?: string;
}

export interface FeedbackService {
  rate(params: RateParams): RateResult;
  /** Training rows sent as JSON: stored each time unless they carry an id (TrainingResult.already_imported). */
  addTraining(rows: unknown): TrainingResult;
  /** A whole file, JSON lines or CSV with a header row (prompt, model, score[, weight]): imported again, it adds nothing twice. */
  importTraining(text: string, format: 'jsonl' | 'csv'): TrainingResult;
  retrain(): { started: boolean };
  /** Outcomes the learner took from the store (team mode): they count toward retrain_every too. */
  countLearnedFromStore(outcomes: number): void;
  stats(): FeedbackStats;
  rankings(): ModelRanking[];
}

export interface LiveEvents {
  emit(event: LiveEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  readonly listeners: number;
}

export interface Services {
  chat: ChatService;
  /** Dry-run routing: the decision without calling a model. */
  route(params: RouteParams): Promise<RoutingDecision>;
  models(): ModelListEntry[];
  feedback: FeedbackService;
  stats(since?: number): UsageStats;
  usageOverTime(bucketMs: number, since?: number): UsageBucket[];
  decisions(query: DecisionsQuery): DecisionRow[];
  /** Throws FugusashiError('NotFound'). */
  trace(requestId: string): Trace;
  health(): DaemonHealth;
  /** Outcomes (training rows incl. ratings) as JSON lines through `write`; returns the count. */
  exportOutcomes(write: (line: string) => void): number;
  events: LiveEvents;
}
