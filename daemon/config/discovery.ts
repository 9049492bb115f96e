// Without a config file the daemon builds a pool from what this machine offers: the models of an
// Ollama server on localhost, and OpenAI / Anthropic when their key variables are set. It reports
// what it found (and did not) in plain sentences, because this is what a first-time user sees.
import type { Capability, ModelConfig, ModelFileConfig } from '../../shared/config';
import { withPrice } from '../core/prices/lookup';
import { openAiBaseFromEnvironment } from './env-base';

export const DEFAULT_OLLAMA_BASE = 'http://127.0.0.1:11434';
/**
 * Ollama on localhost answers in a few ms, and with no Ollama the connection is refused at once, so
 * this bounds only a server that accepts and stalls. Not less: on a busy machine the probe's first
 * fetch (undici loads on first use) and the answer took over 300 ms, and a running Ollama was
 * missed (`fugusashi models` listed none of its models with 2 cores fully loaded).
 */
const PROBE_TIMEOUT_MS = 2_000;

export interface DiscoveryOptions {
  env: Record<string, string | undefined>;
  /** Default: $OLLAMA_HOST, else http://127.0.0.1:11434. */
  ollamaBase?: string | undefined;
  /** The config file a daemon on discovered models watches for (<data dir>/config.yaml), named in the log. */
  configFile?: string;
  timeoutMs?: number;
}

export interface Discovered {
  models: ModelConfig[];
  /** The first local model, else the cheapest cloud one; undefined with an empty pool. */
  defaultModel: string | undefined;
  log: string[];
}

// No prices here: a discovered model is priced like a configured one without prices, from the
// bundled dated price table (core/prices), and an Ollama model is "local". So `fugusashi models`
// and /v1/models say where the price comes from ("table (date)"), not "config" without a file.
const OPENAI_MODELS: ModelFileConfig[] = [
  {
    name: 'gpt-4o-mini',
    provider: 'openai',
    model: 'gpt-4o-mini',
    api_base: 'https://api.openai.com/v1',
    capabilities: ['chat', 'code', 'reasoning', 'tools', 'vision'],
    context_window: 128_000,
    max_output_tokens: 16_384,
    supports_tools: true,
    supports_vision: true,
    description: 'OpenAI GPT-4o mini (discovered: OPENAI_API_KEY is set)',
  },
  {
    name: 'gpt-4o',
    provider: 'openai',
    model: 'gpt-4o',
    api_base: 'https://api.openai.com/v1',
    capabilities: ['chat', 'code', 'reasoning', 'math', 'tools', 'vision', 'writing'],
    context_window: 128_000,
    max_output_tokens: 16_384,
    supports_tools: true,
    supports_vision: true,
    description: 'OpenAI GPT-4o (discovered: OPENAI_API_KEY is set)',
  },
];

const ANTHROPIC_MODELS: ModelFileConfig[] = [
  {
    name: 'claude-haiku',
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    api_base: 'https://api.anthropic.com',
    capabilities: ['chat', 'code', 'reasoning', 'tools', 'vision', 'long_context'],
    context_window: 200_000,
    max_output_tokens: 8_192,
    supports_tools: true,
    supports_vision: true,
    description: 'Claude Haiku 4.5 (discovered: ANTHROPIC_API_KEY is set)',
  },
  {
    name: 'claude-sonnet',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    api_base: 'https://api.anthropic.com',
    capabilities: ['chat', 'code', 'reasoning', 'math', 'tools', 'vision', 'writing', 'long_context'],
    context_window: 200_000,
    max_output_tokens: 8_192,
    supports_tools: true,
    supports_vision: true,
    description: 'Claude Sonnet 4.5 (discovered: ANTHROPIC_API_KEY is set)',
  },
];

export async function discoverModels(options: DiscoveryOptions): Promise<Discovered> {
  const log: string[] = [];
  const models: ModelFileConfig[] = [];
  const base = normaliseOllamaBase(options.ollamaBase ?? options.env['OLLAMA_HOST'] ?? DEFAULT_OLLAMA_BASE);
  const ollama = await discoverOllama(base, options.timeoutMs ?? PROBE_TIMEOUT_MS);
  log.push(...ollama.log);
  models.push(...ollama.models);

  const openaiKey = options.env['OPENAI_API_KEY'];
  if (openaiKey) {
    // At OPENAI_BASE_URL / OPENAI_API_BASE when set, as OpenAI's SDKs and LiteLLM call (env-base.ts).
    const fromEnv = openAiBaseFromEnvironment(options.env);
    const apiBase = fromEnv && 'base' in fromEnv ? fromEnv.base : undefined;
    models.push(...OPENAI_MODELS.map((m) => ({ ...m, api_key: openaiKey, ...(apiBase ? { api_base: apiBase } : {}) })));
    log.push(
      `OPENAI_API_KEY is set: added ${OPENAI_MODELS.map((m) => m.name).join(', ')}` +
        (apiBase ? ` at ${fromEnv!.variable} (${apiBase}).` : '.'),
    );
    if (fromEnv && 'problem' in fromEnv) log.push(`warning: ${fromEnv.problem}: ignored, using api.openai.com.`);
  } else log.push('OPENAI_API_KEY is not set: no OpenAI models.');
  const anthropicKey = options.env['ANTHROPIC_API_KEY'];
  if (anthropicKey) {
    models.push(...ANTHROPIC_MODELS.map((m) => ({ ...m, api_key: anthropicKey })));
    log.push(`ANTHROPIC_API_KEY is set: added ${ANTHROPIC_MODELS.map((m) => m.name).join(', ')}.`);
  } else log.push('ANTHROPIC_API_KEY is not set: no Anthropic models.');

  // Two sources could produce the same name (an Ollama tag called "gpt-4o"); keep the first.
  const unique = models.filter((m, i) => models.findIndex((o) => o.name === m.name) === i).map(withPrice);
  const local = unique.find((m) => m.provider === 'ollama');
  const cheapest = [...unique].sort((a, b) => a.cost_per_output_token - b.cost_per_output_token)[0];
  const defaultModel = (local ?? cheapest)?.name;
  if (unique.length === 0) {
    log.push(
      'No models found. The daemon still serves the API, but chat requests get 503 until you add a model: ' +
        `write ${options.configFile ?? '~/.fugusashi/config.yaml'} (see config.yaml in the package; read as soon as it ` +
        'is written), or start Ollama and `ollama pull llama3.2:1b` or set OPENAI_API_KEY / ANTHROPIC_API_KEY and restart.',
    );
  } else log.push(`Pool: ${unique.map((m) => m.name).join(', ')}; default ${defaultModel}.`);
  return { models: unique, defaultModel, log };
}

/** OLLAMA_HOST may be "0.0.0.0:11434", "localhost" or a full URL; like Ollama's own client, the port
 * defaults to 11434 only when no scheme is given. */
export function normaliseOllamaBase(value: string): string {
  const v = value.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v);
  let url: URL;
  try {
    url = new URL(hasScheme ? v : `http://${v}`);
  } catch {
    return DEFAULT_OLLAMA_BASE;
  }
  if (!hasScheme && !url.port) url.port = '11434';
  // 0.0.0.0 is a listen address; clients reach it on loopback.
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

interface OllamaTag {
  name?: string;
  model?: string;
  details?: { parameter_size?: string; family?: string };
}

interface OllamaShow {
  capabilities?: string[];
  model_info?: Record<string, unknown>;
}

async function discoverOllama(base: string, timeoutMs: number): Promise<{ models: ModelFileConfig[]; log: string[] }> {
  let tags: OllamaTag[];
  try {
    const res = await fetch(`${base}/api/tags`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { models: [], log: [`No Ollama at ${base} (GET /api/tags answered ${res.status}).`] };
    const body = (await res.json()) as { models?: OllamaTag[] };
    tags = Array.isArray(body.models) ? body.models : [];
  } catch (error) {
    return { models: [], log: [`No Ollama at ${base} (${describeFetchError(error)}).`] };
  }
  if (tags.length === 0) {
    return {
      models: [],
      log: [`Ollama is running at ${base} but has no models; \`ollama pull llama3.2:1b\` adds one.`],
    };
  }
  const shows = await Promise.all(tags.map((t) => showModel(base, t.model ?? t.name ?? '', timeoutMs)));
  const models: ModelFileConfig[] = [];
  const skipped: string[] = [];
  tags.forEach((tag, i) => {
    const id = tag.model ?? tag.name;
    if (!id) return;
    const m = ollamaModelConfig(id, base, tag, shows[i]);
    if (m) models.push(m);
    else skipped.push(id);
  });
  const log = [
    `Found Ollama at ${base} with ${models.length} chat model(s): ` +
      models.map((m) => `${m.name} [${m.capabilities.join(', ')}]`).join(', ') +
      '.',
  ];
  if (skipped.length) log.push(`Skipped Ollama embedding-only models: ${skipped.join(', ')}.`);
  return { models, log };
}

/** Newer Ollama versions report capabilities ("tools", "vision", "thinking") in /api/show. */
async function showModel(base: string, id: string, timeoutMs: number): Promise<OllamaShow | undefined> {
  try {
    const res = await fetch(`${base}/api/show`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: id, name: id }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return undefined;
    return (await res.json()) as OllamaShow;
  } catch {
    return undefined;
  }
}

const EMBEDDING_NAME = /embed|minilm|(^|[-/])bge-|(^|[-/])e5-|paraphrase-multilingual/i;
const CODE_NAME = /coder|code|starcoder|codestral|devstral|sqlcoder/i;
const MATH_NAME = /math|deepscaler/i;
const REASONING_NAME = /(^|[-_.:/])r1([-_.:]|$)|qwq|reason|think|magistral|qwen3|gpt-oss|cogito|phi4/i;
const VISION_NAME = /llava|vision|moondream|minicpm-v|qwen2\.5vl|qwen2-vl|-vl\b|gemma3(?!:(1b|270m))|llama4/i;
const TOOLS_NAME =
  /llama3\.[123]|llama4|qwen2\.5|qwen3|mistral|mixtral|command-r|firefunction|hermes3|granite3|smollm2|nemotron|gpt-oss|devstral/i;

/** A pool entry for one installed Ollama model; undefined for embedding-only models. */
export function ollamaModelConfig(
  id: string,
  base: string,
  tag: OllamaTag = {},
  show?: OllamaShow,
): ModelFileConfig | undefined {
  const reported = show?.capabilities;
  if (reported ? !reported.includes('completion') : EMBEDDING_NAME.test(id)) return undefined;
  const caps = new Set<Capability>(['chat']);
  if (CODE_NAME.test(id)) caps.add('code');
  if (MATH_NAME.test(id)) caps.add('math');
  if (REASONING_NAME.test(id) || reported?.includes('thinking')) caps.add('reasoning');
  const tools = reported ? reported.includes('tools') : TOOLS_NAME.test(id);
  const vision = reported ? reported.includes('vision') : VISION_NAME.test(id);
  if (tools) caps.add('tools');
  if (vision) caps.add('vision');
  const contextLength = show?.model_info
    ? Object.entries(show.model_info).find(([k, v]) => k.endsWith('.context_length') && typeof v === 'number')?.[1]
    : undefined;
  const size = tag.details?.parameter_size;
  const config: ModelFileConfig = {
    name: id.replace(/:latest$/, ''),
    provider: 'ollama',
    model: id,
    api_base: base,
    capabilities: [...caps],
    supports_tools: tools,
    supports_vision: vision,
    description: `Ollama ${id}${size ? ` (${size})` : ''}, local and free (discovered; capabilities ${reported ? 'reported by Ollama' : 'guessed from the name'})`,
  };
  if (typeof contextLength === 'number' && contextLength > 0) config.context_window = Math.floor(contextLength);
  return config;
}

function describeFetchError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer within the probe timeout';
  if (e.cause?.code === 'ECONNREFUSED') return 'connection refused';
  return e.cause?.code ?? e.message ?? String(error);
}
