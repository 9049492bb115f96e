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
    cost_per_input_token: Type.Number({ minimum: 0 }),
    cost_per_output_token: Type.Number({ minimum: 0 }),
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
export type ModelConfig = Static<typeof ModelConfigSchema>;

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

export const FugusashiConfigSchema = Type.Object(
  {
    default_model: Type.Optional(Type.String()),
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
  retrainEvery: 200,
  bodyLimitBytes: 4 * 1024 * 1024,
  idleShutdownSeconds: 0,
} as const;
