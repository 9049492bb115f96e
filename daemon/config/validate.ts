// config.yaml text → a checked FugusashiConfig: YAML parse, `${VAR}` interpolation, the schema
// (shared/config.ts) and the checks a schema cannot express (unique names, references between
// fields, URLs). Every problem is collected into one ConfigError.
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { parseDocument } from 'yaml';
import { CAPABILITIES, FugusashiConfigSchema, type FugusashiConfig, type ModelFileConfig } from '../../shared/config';
import { interpolateEnv } from './env';
import { ConfigError } from './errors';
import { translateLegacy030Config } from './legacy-030';
import { LITELLM_HOSTED } from './litellm-providers';
import { acceptedProvidersText, leaveOutUncallableModels, renumber } from './unsupported-providers';

export interface ParsedConfig {
  config: FugusashiConfig;
  warnings: string[];
  /** Unset `${VAR}`s and the fields that referenced them (resolve.ts marks those models unavailable). */
  missing: { path: string; name: string }[];
}

export function parseConfigText(text: string, env: Record<string, string | undefined>, source: string): ParsedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? `line ${at.line}, column ${at.col}` : 'YAML';
        return `${where}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined)
    throw new ConfigError(source, ['(root): the file is empty; it needs at least `models:`']);
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(source, ['(root): must be a mapping (key: value)']);
  const { value: interpolated, warnings, missing } = interpolateEnv(raw, env);
  const current = translateLegacy030Config(interpolated, warnings);
  const pool = leaveOutUncallableModels(current, warnings);
  if (pool.leftOut.length === 0) return { config: validateConfig(current, source, warnings), warnings, missing };
  // Messages about the kept pool name the file's indices; `missing` follows the kept pool's.
  const later: string[] = [];
  let config: FugusashiConfig;
  try {
    config = validateConfig(pool.value, source, later);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      source,
      error.problems.map((p) => {
        const named = pool.leftOut.find((m) => m.name && p.includes(`"${m.name}" is not the name of a model`));
        const why = named ? ` ("${named.name}" was left out: provider "${named.provider}" cannot be called here)` : '';
        return renumber(p, pool.fileIndex) + why;
      }),
    );
  }
  warnings.push(...later.map((w) => renumber(w, pool.fileIndex)));
  const keptIndex = new Map(pool.fileIndex.map((fileIndex, i) => [fileIndex, i]));
  const keptMissing = missing.flatMap((m) => {
    const at = /^models\[(\d+)\]/.exec(m.path);
    if (!at) return [m];
    const i = keptIndex.get(Number(at[1]));
    return i === undefined ? [] : [{ ...m, path: m.path.replace(at[0], `models[${i}]`) }];
  });
  return { config, warnings, missing: keptMissing };
}

/** Schema + semantic checks; throws ConfigError listing every problem, pushes soft issues to `warnings`. */
export function validateConfig(value: unknown, source: string, warnings: string[] = []): FugusashiConfig {
  // Conversion would wrap a scalar into a one-item list (`models: gpt-4o-mini` → "models[0]: must be
  // object"), which names a list the user never wrote: say what `models` has to be instead.
  const models = (value as Record<string, unknown> | null)?.['models'];
  if (models !== undefined && models !== null && typeof models !== 'object')
    throw new ConfigError(source, [
      `models: must be a list of models, each with name, provider and model (got ${JSON.stringify(models)})`,
    ]);
  // Lenient on scalars: `port: "6060"` or `${PORT}` (always a string after interpolation) become numbers.
  const converted = Value.Convert(FugusashiConfigSchema, structuredClone(value));
  const problems = schemaProblems(converted);
  if (problems.length > 0) throw new ConfigError(source, problems);
  const config = converted as FugusashiConfig;
  problems.push(...semanticProblems(config, warnings));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function schemaProblems(value: unknown): string[] {
  // TypeBox buffers 8 errors by default (a DoS guard for request bodies); a config file is the
  // user's own and every problem should be listed, so raise the cap for this call only.
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: 200 });
  let errors: SchemaError[];
  try {
    errors = [...Value.Errors(FugusashiConfigSchema, value)];
  } finally {
    Settings.Set({ maxErrors: previous });
  }
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const allowedByPath = new Map<string, unknown[]>();
  for (const e of errors) {
    if (e.keyword === 'const' && anyOfPaths.has(e.instancePath)) {
      const list = allowedByPath.get(e.instancePath) ?? [];
      list.push(e.params['allowedValue']);
      allowedByPath.set(e.instancePath, list);
    }
  }
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  for (const e of errors) {
    const path = fieldPath(e.instancePath);
    switch (e.keyword) {
      case 'required':
        for (const name of (e.params['requiredProperties'] as string[] | undefined) ?? [])
          add(`${join(path, name)}: is required`);
        break;
      case 'additionalProperties':
        for (const name of (e.params['additionalProperties'] as string[] | undefined) ?? [])
          add(`${join(path, name)}: unknown field`);
        break;
      case 'boolean': // additionalProperties: false, reported per field; the case above names it
        add(`${path}: unknown field`);
        break;
      case 'enum':
        if (/^models\[\d+\]\.provider$/.test(path)) add(`${path}: must be ${acceptedProvidersText()}`);
        else add(`${path}: must be one of ${quoteList(e.params['allowedValues'] as unknown[])}`);
        break;
      case 'const':
        if (!anyOfPaths.has(e.instancePath)) add(`${path}: ${e.message}`);
        break;
      case 'anyOf': {
        const allowed = allowedByPath.get(e.instancePath);
        add(allowed?.length ? `${path}: must be one of ${quoteList(allowed)}` : `${path}: has the wrong type`);
        break;
      }
      default:
        add(`${path || '(root)'}: ${e.message}`);
    }
  }
  return out;
}

function semanticProblems(config: FugusashiConfig, warnings: string[]): string[] {
  const problems: string[] = [];
  const firstIndex = new Map<string, number>();
  config.models.forEach((m, i) => {
    const at = `models[${i}]`;
    const seen = firstIndex.get(m.name);
    if (seen !== undefined) problems.push(`${at}.name: duplicate model name "${m.name}" (also models[${seen}])`);
    else firstIndex.set(m.name, i);
    // Requests naming "auto" or "auto:…" are routing modes (services/routing.ts isAutoModel): a pool
    // model of that name routes by auto but a request for it by name gets "Unknown routing mode".
    if (m.name === 'auto' || m.name.startsWith('auto:'))
      warnings.push(
        `${at}.name: "${m.name}" cannot be requested by name: "auto" and names starting with "auto:" are routing ` +
          'modes (a request for it is routed, or refused as an unknown mode). Rename the model',
      );
    if (m.api_base !== undefined) {
      const urlProblem = checkHttpUrl(m.api_base);
      if (urlProblem) problems.push(`${at}.api_base: ${urlProblem}`);
      else warnings.push(...apiBaseWarnings(m, at));
    }
    m.capabilities.forEach((c, j) => {
      if (!(CAPABILITIES as readonly string[]).includes(c))
        warnings.push(`${at}.capabilities[${j}]: unknown capability "${c}" (known: ${CAPABILITIES.join(', ')})`);
    });
  });
  const names = config.models.map((m) => m.name);
  const known = names.length ? names.join(', ') : 'no models are configured';
  if (config.default_model !== undefined && !firstIndex.has(config.default_model))
    problems.push(`default_model: "${config.default_model}" is not the name of a model in models (${known})`);
  for (const key of ['planner', 'synthesizer'] as const) {
    const name = config.orchestrator?.[key];
    if (name !== undefined && !firstIndex.has(name))
      problems.push(`orchestrator.${key}: "${name}" is not the name of a model in models (${known})`);
  }
  const strategies = config.routing?.strategies ?? [];
  strategies.forEach((s, i) => {
    if (strategies.indexOf(s) !== i)
      warnings.push(`routing.strategies[${i}]: "${s}" is listed twice; only the first counts`);
  });
  return problems;
}

function checkHttpUrl(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a URL such as "http://localhost:11434" or "https://api.openai.com/v1", got "${value}"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http(s) URL, got "${value}"`;
  return null;
}

const KNOWN_BASES = new Set(Object.values(LITELLM_HOSTED).map((p) => p.apiBase));

/** The adapters append their own paths, so a base in another provider's convention is a likely mistake. */
function apiBaseWarnings(m: ModelFileConfig, at: string): string[] {
  // A hosted provider's known base (the one a LiteLLM provider name was given, legacy-030.ts) is right
  // as it is, /v1 or not (Gemini's ends in /openai, Perplexity's is the host).
  if (KNOWN_BASES.has(m.api_base!.replace(/\/+$/, ''))) return [];
  const path = new URL(m.api_base!).pathname.replace(/\/+$/, '');
  if (m.provider === 'openai' && !path.endsWith('/v1'))
    return [`${at}.api_base: OpenAI-compatible bases usually end in /v1 (the adapter appends /chat/completions)`];
  if ((m.provider === 'anthropic' || m.provider === 'ollama') && path.endsWith('/v1'))
    return [
      `${at}.api_base: ${m.provider} bases are the host (e.g. "${m.provider === 'ollama' ? 'http://localhost:11434' : 'https://api.anthropic.com'}"), without /v1`,
    ];
  return [];
}

/** "/models/1/cost_per_input_token" → "models[1].cost_per_input_token" */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}
