// The daemon's config file (config.yaml), typed once. The schema is a value so the daemon
// validates with it and the error names the field; defaults live in DEFAULTS below.
import { Type, type Static } from 'typebox';

export const CAPABILITIES = [
  'chat',
  'code',
  'reasoning',
  'math',
  'tools',
  'vision',
  'long_context',
  'writing',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const PROVIDER_KINDS = ['openai', 'anthropic', 'ollama', 'vscode-lm'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const ModelConfigSchema = Type.Object(
  {
    /** The name users and the router refer to; unique in the pool. */
    name: Type.String({ minLength: 1 }),
    provider: Type.Enum(PROVIDER_KINDS),
    /** The upstream model id (e.g. "gpt-4o-mini", "llama3.2:1b"). */
    model: Type.String({ minLength: 1 }),
    /** OpenAI-compatible bases end in /v1; Anthropic's and Ollama's are the host. */
    api_base: Type.Optional(Type.String()),
    /** Usually "${OPENAI_API_KEY}"-style; resolved at load, never written back or logged. */
    api_key: Type.Optional(Type.String()),
    // gateway (issue 12): optional: a model named in the bundled price table needs none.
    cost_per_input_token: Type.Optional(Type.Number({ minimum: 0 })),
    cost_per_output_token: Type.Optional(Type.Number({ minimum: 0 })),
    cost_per_cached_input_token: Type.Optional(Type.Number({ minimum: 0 })),
    /** Prompt-cache writes with a 5-minute / 1-hour lifetime. Unset on an `anthropic` model: 1.25× / 2× its
     *  input price, as Anthropic bills them; on other providers: the input price (no write surcharge). */
    cost_per_cache_write_token: Type.Optional(Type.Number({ minimum: 0 })),
    cost_per_cache_write_1h_token: Type.Optional(Type.Number({ minimum: 0 })),
    capabilities: Type.Array(Type.String()),
    description: Type.Optional(Type.String()),
    context_window: Type.Optional(Type.Integer({ minimum: 1 })),
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    supports_tools: Type.Optional(Type.Boolean()),
    supports_vision: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean()),
    /**
     * Public quality figure on the Chatbot Arena Elo scale (e.g. 1280): places a model the router's
     * bundled prior has no data for. Overrides the bundled table; without either, price guesses.
     */
    quality: Type.Optional(Type.Number({ minimum: 0 })),
    /** Extra HTTP headers for OpenAI-compatible gateways (OpenRouter etc.). */
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);
/** A model as written in config.yaml (prices may be missing). */
export type ModelFileConfig = Static<typeof ModelConfigSchema>;
/** gateway (issue 12): where a resolved model's price came from. */
export type PriceSource = 'config' | 'table' | 'config+table' | 'local' | 'unknown';
/** A resolved pool model: prices always set (config, else the bundled table, else 0 and flagged). */
export type ModelConfig = ModelFileConfig & {
  cost_per_input_token: number;
  cost_per_output_token: number;
  price_source?: PriceSource;
  /** The price table row's source page, when the price came from the table. */
  price_ref?: { url: string; as_of: string; note?: string; table_date: string };
  /** Set when the config is resolved, never read from the file: why the model cannot be called
   *  (e.g. "OPENAI_API_KEY is not set (api_key: ${OPENAI_API_KEY})"). Left out of `auto` then. */
  unavailable?: string;
};

export const STRATEGY_NAMES = ['learned', 'similarity', 'cost', 'fallback'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const RoutingConfigSchema = Type.Object(
  {
    /** Priority chain: the first confident strategy decides. */
    strategies: Type.Optional(Type.Array(Type.Enum(STRATEGY_NAMES))),
    prefer_local: Type.Optional(Type.Boolean()),
    /** λ in argmax(quality − λ·cost), as quality points per US cent; 0 = quality only. */
    cost_weight: Type.Optional(Type.Number({ minimum: 0 })),
    /** Minimum confidence for a learned/similarity strategy to decide instead of passing on. */
    min_confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Share of live decisions sent to under-sampled models (0 disables). */
    exploration_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Two-model pools: route to the strong model when P(strong wins) ≥ this. */
    strong_win_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Consecutive failures that put a model in cooldown, and for how long. */
    cooldown_failures: Type.Optional(Type.Integer({ minimum: 1 })),
    cooldown_seconds: Type.Optional(Type.Number({ minimum: 0 })),
    connect_timeout_ms: Type.Optional(Type.Integer({ minimum: 1 })),
    first_byte_timeout_ms: Type.Optional(Type.Integer({ minimum: 1 })),
    /**
     * The first-byte wait of answers that start late: non-streamed ones (the first byte is the
     * whole answer) and reasoning models'. Default 600 s, or first_byte_timeout_ms when that is set.
     */
    answer_timeout_ms: Type.Optional(Type.Integer({ minimum: 1 })),
    // gateway (issue 12): the cascade strategy (model "auto:cascade", or every "auto" with strategy: cascade).
    strategy: Type.Optional(Type.Union([Type.Literal('chain'), Type.Literal('cascade')])),
    cascade: Type.Optional(
      Type.Object(
        {
          /** Models to climb, cheapest first (default: the suitable candidates by expected cost). */
          models: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          max_steps: Type.Optional(Type.Integer({ minimum: 1 })),
          /** A pool model that grades each answer (ACCEPT/REJECT) before it is accepted. */
          judge: Type.Optional(Type.String({ minLength: 1 })),
          checks: Type.Optional(
            Type.Array(Type.Union([Type.Literal('truncation'), Type.Literal('refusal'), Type.Literal('format')])),
          ),
          /** Stop escalating once this much was spent on the request (USD). */
          max_cost_usd: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    // gateway (issue 12): user strategy modules (paths relative to the config file) and their per-decision budget.
    plugins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    plugin_budget_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    feedback: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          /** Refit heavier models in the background every N new outcomes (0 = only on request). */
          retrain_every: Type.Optional(Type.Integer({ minimum: 0 })),
          implicit_signals: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    embeddings: Type.Optional(
      Type.Object(
        {
          backend: Type.Optional(Type.Union([Type.Literal('use'), Type.Literal('transformers')])),
          /** transformers.js: a model id (downloaded once into the data dir) or a local folder. */
          model: Type.Optional(Type.String()),
          /**
           * How long a decision waits for a new prompt's embedding (ms) before the learned strategy
           * decides from the prompt's words alone; unset = always wait (best routing quality).
           */
          wait_ms: Type.Optional(Type.Integer({ minimum: 0 })),
          /**
           * Read a new prompt through the fast first view (a static embedding distilled from USE)
           * instead of waiting for USE; its full embedding follows in the background. Default true.
           */
          fast_view: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RoutingConfig = Static<typeof RoutingConfigSchema>;

export const ServerConfigSchema = Type.Object(
  {
    host: Type.Optional(Type.String()),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    data_dir: Type.Optional(Type.String()),
    /** Optional bearer token required on every HTTP request. */
    token: Type.Optional(Type.String()),
    /** Extra Host header names accepted besides loopback names (DNS-rebinding protection). */
    allowed_hosts: Type.Optional(Type.Array(Type.String())),
    body_limit_bytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    /** Shut down after this many seconds with no RPC client and no HTTP request (0 = never). */
    idle_shutdown_seconds: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type ServerConfig = Static<typeof ServerConfigSchema>;

export const OrchestratorConfigSchema = Type.Object(
  {
    planner: Type.Optional(Type.String()),
    synthesizer: Type.Optional(Type.String()),
    max_subtasks: Type.Optional(Type.Integer({ minimum: 1 })),
    max_cost_usd: Type.Optional(Type.Number({ minimum: 0 })),
    max_seconds: Type.Optional(Type.Number({ minimum: 1 })),
    max_parallel: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Escalate automatically when no single model is predicted to reach this quality (off when unset). */
    auto_escalate_below: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type OrchestratorConfig = Static<typeof OrchestratorConfigSchema>;

/** Team mode: where the store lives (default: the embedded store in the data dir). */
export const StoreConfigSchema = Type.Object(
  {
    /** postgres://user:password@host:port/db — several daemons share it (team mode). */
    url: Type.Optional(Type.String()),
    /** Longest a read (stats, decisions) waits for PostgreSQL before answering 503. */
    read_timeout_ms: Type.Optional(Type.Integer({ minimum: 10 })),
  },
  { additionalProperties: false },
);
export type StoreConfig = Static<typeof StoreConfigSchema>;

/** OpenTelemetry traces (GenAI semantic conventions) over OTLP/HTTP; off unless an endpoint is set. */
export const TelemetryConfigSchema = Type.Object(
  {
    /** e.g. http://127.0.0.1:4318/v1/traces */
    otlp_endpoint: Type.Optional(Type.String()),
    service_name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type TelemetryConfig = Static<typeof TelemetryConfigSchema>;
/** gateway (issue 12): the response cache. */
export const CacheConfigSchema = Type.Object(
  {
    /** Exact cache: the same normalised request (and pool) gets the stored answer. Default false. */
    exact: Type.Optional(Type.Boolean()),
    /** Semantic cache (opt-in): a near-identical last user turn, same rest of the request. Default false. */
    semantic: Type.Optional(Type.Boolean()),
    ttl_s: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    max_entries: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Also cache requests with temperature > 0 (default false). */
    any_temperature: Type.Optional(Type.Boolean()),
    /** Cosine similarity a semantic hit needs (default 0.95). */
    semantic_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type CacheConfig = Static<typeof CacheConfigSchema>;

export const FugusashiConfigSchema = Type.Object(
  {
    store: Type.Optional(StoreConfigSchema),
    telemetry: Type.Optional(TelemetryConfigSchema),
    default_model: Type.Optional(Type.String()),
    cache: Type.Optional(CacheConfigSchema), // gateway (issue 12)
    models: Type.Array(ModelConfigSchema),
    routing: Type.Optional(RoutingConfigSchema),
    server: Type.Optional(ServerConfigSchema),
    orchestrator: Type.Optional(OrchestratorConfigSchema),
  },
  { additionalProperties: false },
);
export type FugusashiConfig = Static<typeof FugusashiConfigSchema>;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 6060,
  dataDirName: '.fugusashi',
  strategies: ['learned', 'similarity', 'cost', 'fallback'] as StrategyName[],
  costWeight: 1,
  minConfidence: 0.35,
  explorationRate: 0.05,
  strongWinThreshold: 0.5,
  cooldownFailures: 3,
  cooldownSeconds: 30,
  connectTimeoutMs: 10_000,
  firstByteTimeoutMs: 60_000,
  answerTimeoutMs: 600_000,
  retrainEvery: 200,
  // Anthropic's own request limit: Claude Code sends screenshots (up to 5 MB each) and keeps them in its history.
  bodyLimitBytes: 32 * 1024 * 1024,
  idleShutdownSeconds: 0,
} as const;
