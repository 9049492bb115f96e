// 0.3.0 passed any LiteLLM provider name through (azure, bedrock, vertex_ai, cohere…). Those that
// speak OpenAI's API at a known endpoint become OpenAI-compatible upstreams (legacy-030.ts); the
// rest cannot be called here. One such model used to refuse the whole file (and the message listed
// only four providers although groq etc. were accepted), so the daemon did not start at all. Now the
// model is left out of the pool with a warning naming it and saying how to keep it, and the others
// serve. Leaving a model out shifts the indices after it; `renumber` maps messages back to the file's.
import { PROVIDER_KINDS } from '../../shared/config';
import { LITELLM_HOSTED } from './litellm-providers';

type Mapping = Record<string, unknown>;
const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CallablePool {
  value: unknown;
  /** models[i] of `value` was models[fileIndex[i]] of the file. Identity when nothing was left out. */
  fileIndex: number[];
  /** Each model left out: its name and the reason, for messages that name it. */
  leftOut: { name: string; provider: string }[];
}

/** Accepted `provider` values, for messages: the kinds here, then LiteLLM's OpenAI-compatible names. */
export function acceptedProvidersText(): string {
  return (
    `${PROVIDER_KINDS.map((k) => JSON.stringify(k)).join(', ')}, or a LiteLLM provider that speaks OpenAI's API ` +
    `(${Object.keys(LITELLM_HOSTED).join(', ')}, hosted_vllm, lm_studio, openai_like, custom_openai, ollama_chat)`
  );
}

/**
 * `value` without the models whose `provider` is a name (after 0.3.0's translation) no adapter here
 * calls; one warning per model left out. Non-string providers stay for the schema to report.
 */
export function leaveOutUncallableModels(value: unknown, warnings: string[]): CallablePool {
  const models = isMapping(value) ? value['models'] : undefined;
  if (!Array.isArray(models)) return { value, fileIndex: [], leftOut: [] };
  const kept: unknown[] = [];
  const fileIndex: number[] = [];
  const leftOut: CallablePool['leftOut'] = [];
  models.forEach((m, i) => {
    const provider = isMapping(m) ? m['provider'] : undefined;
    if (typeof provider === 'string' && !(PROVIDER_KINDS as readonly string[]).includes(provider)) {
      const name = isMapping(m) && typeof m['name'] === 'string' ? m['name'] : '';
      leftOut.push({ name, provider });
      warnings.push(
        `models[${i}]${name ? ` "${name}"` : ''}: left out of the pool: provider "${provider}" cannot be called here ` +
          `(accepted: ${acceptedProvidersText()}). To keep it, give its OpenAI-compatible endpoint: ` +
          `provider: openai, api_base: <its /v1 URL>, api_key: <its key>`,
      );
      return;
    }
    kept.push(m);
    fileIndex.push(i);
  });
  if (leftOut.length === 0) return { value, fileIndex, leftOut };
  return { value: { ...(value as Mapping), models: kept }, fileIndex, leftOut };
}

/** "models[2].x" in a message about the kept pool → the file's index of that model. */
export function renumber(message: string, fileIndex: readonly number[]): string {
  return message.replace(/\bmodels\[(\d+)\]/g, (whole, i: string) => {
    const original = fileIndex[Number(i)];
    return original === undefined ? whole : `models[${original}]`;
  });
}
