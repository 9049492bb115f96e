// An `openai` pool model without api_base is called at OPENAI_BASE_URL (OpenAI's own SDKs read it) or
// OPENAI_API_BASE (LiteLLM, so Fugusashi 0.3.0, read it too) when one is set, as those clients do:
// before, the variable was ignored and such a model was called at api.openai.com whatever it said,
// with the user's key. Runs after env-keys.ts, so the model's key is OPENAI_API_KEY as with LiteLLM.
import type { FugusashiConfig } from '../../shared/config';

/** In LiteLLM's order of preference. */
export const OPENAI_BASE_VARIABLES = ['OPENAI_BASE_URL', 'OPENAI_API_BASE'] as const;

/** The base the environment names, or why it cannot be used. */
export function openAiBaseFromEnvironment(
  env: Record<string, string | undefined>,
): { variable: string; base: string } | { variable: string; problem: string } | undefined {
  const variable = OPENAI_BASE_VARIABLES.find((v) => env[v]?.trim());
  if (!variable) return undefined;
  const base = env[variable]!.trim();
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return { variable, problem: `${variable} is not a URL ("${base}")` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { variable, problem: `${variable} is not an http(s) URL ("${base}")` };
  return { variable, base };
}

/** `config` with api_base from the environment on `openai` models that have none; one line per use in `notes`. */
export function basesFromEnvironment(
  config: FugusashiConfig,
  env: Record<string, string | undefined>,
  notes: string[],
): FugusashiConfig {
  const needing = config.models.filter((m) => m.provider === 'openai' && !m.api_base);
  if (needing.length === 0) return config;
  const found = openAiBaseFromEnvironment(env);
  if (!found) return config;
  if ('problem' in found) {
    notes.push(`warning: ${found.problem}: ignored, ${needing.map((m) => m.name).join(', ')} use api.openai.com`);
    return config;
  }
  notes.push(
    `${needing.map((m) => m.name).join(', ')}: no api_base in the config, using ${found.variable} (${found.base})`,
  );
  return {
    ...config,
    models: config.models.map((m) => (m.provider === 'openai' && !m.api_base ? { ...m, api_base: found.base } : m)),
  };
}
