// A pool model of OpenAI's or Anthropic's own API without `api_key` takes the key from the usual
// environment variable, as Fugusashi 0.3.0 (through LiteLLM) did: its documented config.yaml lists
// gpt-4o-mini with no key at all. Before, such a model was called without a key and every request
// failed with the upstream's 401. Only the official hosts get the variable (a gateway at another
// api_base must not receive an OpenAI key); when the variable is unset the model is marked unavailable
// by the same path as an unset `${VAR}`, so `auto` leaves it out and /v1/models says why. An
// OpenAI-compatible model at a hosted provider's endpoint (Groq, OpenRouter, Mistral…: the LiteLLM
// providers of litellm-providers.ts) takes the variable LiteLLM read for that provider.
import type { FugusashiConfig } from '../../shared/config';
import { hostedVariablesFor } from './litellm-providers';

const OFFICIAL: Record<string, { variable: string; host: string }> = {
  openai: { variable: 'OPENAI_API_KEY', host: 'api.openai.com' },
  anthropic: { variable: 'ANTHROPIC_API_KEY', host: 'api.anthropic.com' },
};

function hostOf(apiBase: string | undefined): string | undefined {
  if (apiBase === undefined || apiBase === '') return undefined;
  try {
    return new URL(apiBase).hostname;
  } catch {
    return '';
  }
}

/**
 * The variables a model's key comes from: the official API's, or (an OpenAI-compatible model at a
 * hosted provider's endpoint: Groq, OpenRouter, Mistral…) the ones LiteLLM read for that provider.
 */
function keyVariables(provider: string, apiBase: string | undefined): readonly string[] | undefined {
  const official = OFFICIAL[provider];
  if (!official) return undefined;
  const host = hostOf(apiBase);
  if (host === undefined || host === official.host) return [official.variable];
  return provider === 'openai' && host ? hostedVariablesFor(host) : undefined;
}

/**
 * `config` with keys filled from `env` for official-API models that have none; `missing` gets the
 * unset variables (as `${VAR}` interpolation reports them) and `notes` one line per key taken.
 */
export function keysFromEnvironment(
  config: FugusashiConfig,
  env: Record<string, string | undefined>,
  missing: { path: string; name: string }[],
  notes: string[],
): FugusashiConfig {
  let changed = false;
  const models = config.models.map((m, i) => {
    if (m.api_key !== undefined && m.api_key !== '') return m;
    const variables = keyVariables(m.provider, m.api_base);
    if (!variables) return m;
    const path = `models[${i}].api_key`;
    // An unset `${VAR}` in api_key is already reported under its own name.
    if (missing.some((x) => x.path === path)) return m;
    const variable = variables.find((v) => env[v]);
    const key = variable ? env[variable] : undefined;
    if (!variable || !key) {
      missing.push({ path, name: variables[0]! });
      return m;
    }
    changed = true;
    notes.push(`${m.name}: no api_key in the config, using ${variable} from the environment`);
    return { ...m, api_key: key };
  });
  return changed ? { ...config, models } : config;
}
