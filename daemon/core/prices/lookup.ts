// Finds a pool model's price: its config fields first, then the bundled table by its upstream id
// (or its pool name; never for Ollama, which runs the model itself), else free when it runs
// locally, else unknown (priced 0 and flagged).
import type { ModelConfig, ModelFileConfig, PriceSource as PriceOrigin } from '../../../shared/config';
import { isLocalModel } from '../candidates';
import { PRICE_TABLE, TABLE_DATE, type PriceEntry } from './table';

export { TABLE_DATE };

const PER_MILLION = 1e6;

let index: Map<string, PriceEntry> | null = null;

function tableIndex(): Map<string, PriceEntry> {
  if (index) return index;
  index = new Map();
  for (const entry of PRICE_TABLE) for (const id of entry.ids) index.set(normaliseModelId(id), entry);
  return index;
}

/**
 * "openai/GPT-4o-2024-08-06" → "gpt-4o"; "claude-sonnet-4-5-20250929" → "claude-sonnet-4-5";
 * "models/gemini-2.5-flash" → "gemini-2.5-flash"; "claude-sonnet-4.5" → "claude-sonnet-4-5".
 * Hosts prefix ids with a vendor and pin snapshots with a date; the price is the family's.
 */
export function normaliseModelId(id: string): string {
  let s = id.trim().toLowerCase();
  const slash = s.lastIndexOf('/');
  if (slash >= 0) s = s.slice(slash + 1);
  s = s.replace(/@.*$/, ''); // Vertex-style "model@20250929"
  s = s.replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, '');
  s = s.replace(/-latest$/, '');
  if (s.startsWith('claude-')) s = s.replace(/(\d)\.(\d)/g, '$1-$2');
  return s;
}

export function findPrice(modelId: string): PriceEntry | undefined {
  const table = tableIndex();
  const key = normaliseModelId(modelId);
  return table.get(key) ?? table.get(`${key}-latest`);
}

/**
 * The model with its prices filled in. Config fields win field by field; a model with neither
 * config prices nor a table entry is priced 0 and marked 'unknown' (or 'local' when it runs here).
 */
export function withPrice(model: ModelFileConfig | ModelConfig): ModelConfig {
  // Already priced (a discovered model, priced where it was found): its price_source stays, or a
  // second pass would call its prices "config" with no config file anywhere.
  if ('price_source' in model && model.price_source) return model;
  return withCacheWritePrices(withBasePrice(model));
}

function withBasePrice(model: ModelFileConfig): ModelConfig {
  const hasIn = model.cost_per_input_token !== undefined;
  const hasOut = model.cost_per_output_token !== undefined;
  if (hasIn && hasOut) {
    return {
      ...model,
      cost_per_input_token: model.cost_per_input_token!,
      cost_per_output_token: model.cost_per_output_token!,
      price_source: 'config',
    };
  }
  // Ollama runs the model on your own machine (or server) even when it shares a hosted model's
  // name (`mistral-small`, `codestral`, `deepseek-v3`): the table's API prices are not its cost.
  const entry = model.provider === 'ollama' ? undefined : (findPrice(model.model) ?? findPrice(model.name));
  if (entry) {
    const priced: ModelConfig = {
      ...model,
      cost_per_input_token: model.cost_per_input_token ?? entry.input / PER_MILLION,
      cost_per_output_token: model.cost_per_output_token ?? entry.output / PER_MILLION,
      price_source: hasIn || hasOut ? 'config+table' : 'table',
      price_ref: { ...entry.source, table_date: TABLE_DATE },
    };
    if (model.cost_per_cached_input_token === undefined && entry.cached_input !== undefined)
      priced.cost_per_cached_input_token = entry.cached_input / PER_MILLION;
    return priced;
  }
  const local = isLocalModel({ ...model, cost_per_input_token: 0, cost_per_output_token: 0 });
  return {
    ...model,
    cost_per_input_token: model.cost_per_input_token ?? 0,
    cost_per_output_token: model.cost_per_output_token ?? 0,
    price_source: local ? 'local' : 'unknown',
  };
}

// Anthropic bills a prompt-cache write at 1.25× the model's input price with the default 5-minute
// lifetime and 2× with the 1-hour one (docs.anthropic.com/en/docs/build-with-claude/prompt-caching,
// "Pricing"; checked on TABLE_DATE). OpenAI-compatible providers and Ollama charge no write surcharge.
const ANTHROPIC_CACHE_WRITE = 1.25;
const ANTHROPIC_CACHE_WRITE_1H = 2;

/** Fills an Anthropic model's cache-write prices from its input price when config.yaml sets none. */
function withCacheWritePrices(model: ModelConfig): ModelConfig {
  if (model.provider !== 'anthropic') return model;
  const priced = { ...model };
  priced.cost_per_cache_write_token ??= model.cost_per_input_token * ANTHROPIC_CACHE_WRITE;
  priced.cost_per_cache_write_1h_token ??= model.cost_per_input_token * ANTHROPIC_CACHE_WRITE_1H;
  return priced;
}

/** The warning logged at start (and shown in /v1/models) for a paid model without a price. */
export function unknownPriceWarning(model: ModelConfig): string | null {
  if (model.price_source !== 'unknown') return null;
  return (
    `model "${model.name}" (upstream "${model.model}") has no cost_per_input_token/cost_per_output_token ` +
    `and is not in the bundled price table (${TABLE_DATE}): its cost counts as 0 until you set them`
  );
}

export type { PriceOrigin };
