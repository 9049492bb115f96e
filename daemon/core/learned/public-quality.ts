// Public quality figures for placing a pool model the prior's data never saw. The scale is the
// Chatbot Arena (LMSYS / LMArena) Elo as published at the date given; the scale drifts between
// snapshots (GPT-4-Turbo read 1210 in Nov 2023 and 1251 in Sep 2024; the board stood ~14 points
// higher in July 2025 than in February, and higher still since), so a figure is a coarse placement,
// and `quality:` in config.yaml overrides it (on this table's scale: set it against a model listed
// here rather than copying today's published score). Read through openlm.ai's mirror of the LMSYS
// leaderboard ("Attribution LMSYS", dated pages) and, for 2023 models, a copy of the Nov 2023 LMSYS
// table (aigender.net, 2023-12-05). Figures from a later snapshot are linked to this table's scale
// (Feb 2025): shifted by the median change of the models both snapshots list, and the source says
// so (July and August 2025).
import { PRICE_TABLE } from '../prices/table';

export interface PublicQuality {
  /** Arena Elo at `date`. */
  value: number;
  source: string;
  date: string;
}

const ARENA_2023 = 'Chatbot Arena Elo (LMSYS table of Nov 2023, copy at aigender.net)';
const ARENA = 'Chatbot Arena Elo (LMSYS, openlm.ai/chatbot-arena)';
/**
 * The 2025-07-01 snapshot, 14 points above this table's scale: DeepSeek-R1 +13, Gemini-2.0-Pro-Exp
 * +17, Gemini-2.0-Flash-Thinking +13 against 2025-02-21, o1-2024-12-17 +15 (2025-06-24 page).
 * (The 2025-05-05 snapshot agrees with 2025-02-21 within 7 points on the six models both list,
 * median −2.5, so its figures are taken as published.)
 */
const JULY_2025_SHIFT = 14;
function july2025(published: number): PublicQuality {
  return linked(published, JULY_2025_SHIFT, ARENA, '2025-07-01');
}

/**
 * LMArena's text leaderboard of 2025-08-21 (its top seven, as quoted by a secondary page), 34 points
 * above this table's scale: the median shift of the four models it shares with the table, o3 +34,
 * chatgpt-4o-latest +34, GPT-4.5-Preview +41, Gemini-2.5-Pro −2. The shifts disagree by up to 43
 * points, so these two figures are rougher than the rest; still far closer than a price guess.
 */
const AUGUST_2025_SHIFT = 34;
const LMARENA_AUGUST_2025 = 'LMArena text leaderboard (as quoted by staituned.com)';
function august2025(published: number): PublicQuality {
  return linked(published, AUGUST_2025_SHIFT, LMARENA_AUGUST_2025, '2025-08-21');
}

function linked(published: number, shift: number, source: string, date: string): PublicQuality {
  return {
    value: published - shift,
    source: `${source}, published ${published}, −${shift} to this table's scale`,
    date,
  };
}

/** Canonical model name (prior.ts canonicalModelName) → quality figure. */
export const PUBLIC_QUALITY: Record<string, PublicQuality> = {
  // Models of the training data (fit the map from this scale to the prior's abilities).
  'gpt-4-1106-preview': { value: 1251, source: ARENA, date: '2024-09-05' },
  'mixtral-8x7b-instruct-v0.1': {
    value: 1114,
    source: 'Chatbot Arena Elo (EQ-Bench judgemark table, early 2024)',
    date: '2024-03',
  },
  'claude-v1': { value: 1151, source: ARENA, date: '2024-05-01' },
  'claude-v2': { value: 1125, source: ARENA_2023, date: '2023-11' },
  'claude-instant-v1': { value: 1106, source: ARENA_2023, date: '2023-11' },
  'gpt-3.5-turbo-1106': { value: 1103, source: ARENA_2023, date: '2023-11' },
  'llama-2-70b-chat': { value: 1065, source: ARENA_2023, date: '2023-11' },
  'wizardlm-13b-v1.2': { value: 1047, source: ARENA_2023, date: '2023-11' },
  'code-llama-instruct-34b-chat': { value: 1022, source: ARENA_2023, date: '2023-11' },
  'mistral-7b-chat': { value: 1008, source: ARENA_2023, date: '2023-11' },
  'yi-34b-chat': { value: 1100, source: 'Chatbot Arena Elo (EQ-Bench judgemark table, early 2024)', date: '2024-03' },
  'llama-3.1-8b-instruct': { value: 1175, source: ARENA, date: '2024-11-13' },
  // Current models a pool is likely to hold.
  'gpt-4o': { value: 1316, source: ARENA, date: '2024-09-05' },
  'gpt-4o-mini': { value: 1273, source: ARENA, date: '2025-02-21' },
  'gpt-4-turbo': { value: 1256, source: ARENA, date: '2024-11-13' },
  'claude-3-5-sonnet': { value: 1283, source: ARENA, date: '2025-02-21' },
  'claude-3-opus': { value: 1248, source: ARENA, date: '2024-09-05' },
  'claude-3-sonnet': { value: 1199, source: ARENA, date: '2024-05-20' },
  'claude-3-haiku': { value: 1181, source: ARENA, date: '2024-05-20' },
  'llama-3.1-70b-instruct': { value: 1249, source: ARENA, date: '2024-09-05' },
  'llama-3.1-405b-instruct': { value: 1267, source: ARENA, date: '2024-11-13' },
  'llama-3.3-70b-instruct': { value: 1256, source: ARENA, date: '2025-02-21' },
  'llama-3-70b-instruct': { value: 1207, source: ARENA, date: '2024-07-22' },
  'llama-3-8b-instruct': { value: 1154, source: ARENA, date: '2024-05-20' },
  'gemma-2-27b-it': { value: 1218, source: ARENA, date: '2024-09-05' },
  'qwen2.5-72b-instruct': { value: 1257, source: ARENA, date: '2025-02-21' },
  'deepseek-v3': { value: 1318, source: ARENA, date: '2025-02-21' },
  'deepseek-r1': { value: 1362, source: ARENA, date: '2025-02-21' },
  o1: { value: 1352, source: ARENA, date: '2025-02-21' },
  'o3-mini': { value: 1306, source: ARENA, date: '2025-02-21' },
  'o1-mini': { value: 1304, source: ARENA, date: '2025-02-21' },
  'gemini-2.0-flash': { value: 1358, source: ARENA, date: '2025-02-21' },
  'gemini-1.5-pro': { value: 1302, source: ARENA, date: '2025-02-21' },
  'gemini-1.5-flash': { value: 1271, source: ARENA, date: '2025-02-21' },
  'mistral-large': { value: 1251, source: ARENA, date: '2024-09-05' },
  // 2025 models (the 2025-05-05 snapshot as published; 2025-07-01 linked, see july2025).
  'gpt-4.1': { value: 1367, source: ARENA, date: '2025-05-05' },
  'gpt-4.1-mini': { value: 1323, source: ARENA, date: '2025-05-05' },
  'gpt-4.5-preview': { value: 1398, source: ARENA, date: '2025-05-05' },
  'chatgpt-4o-latest': { value: 1408, source: ARENA, date: '2025-05-05' },
  o3: { value: 1411, source: ARENA, date: '2025-05-05' },
  'o4-mini': { value: 1352, source: ARENA, date: '2025-05-05' },
  'grok-3': { value: 1402, source: ARENA, date: '2025-05-05' },
  'deepseek-v3-0324': { value: 1372, source: ARENA, date: '2025-05-05' },
  'qwen3-235b-a22b': { value: 1342, source: ARENA, date: '2025-05-05' },
  'gemma-3-27b-it': { value: 1341, source: ARENA, date: '2025-05-05' },
  'gemini-2.5-pro': july2025(1473),
  'gemini-2.5-flash': july2025(1418),
  'deepseek-r1-0528': july2025(1424),
  'claude-opus-4': july2025(1372),
  'mistral-medium-3': july2025(1369),
  // Mid-2025 flagships (2025-08-21, linked, see august2025): GPT-5 as "gpt-5-high", the API's
  // top reasoning effort; Claude Opus 4.1 without extended thinking, as the API answers by default.
  'gpt-5': august2025(1455),
  'claude-opus-4-1': august2025(1439),
};

/**
 * Another model, not a build of this one: a smaller sibling ("gpt-4.1-nano" is not gpt-4.1, nor
 * "gemini-2.5-flash-lite" gemini-2.5-flash), a bigger or differently tuned one ("o3-pro",
 * "gpt-5-chat-latest", "gpt-5-codex", "gemini-2.0-flash-thinking-exp"), one for another medium
 * ("gpt-4o-audio-preview", "gpt-4o-mini-tts"), a minor version ("claude-opus-4-5" is Opus 4.5,
 * while "-0", "-001" and "-20250514" are builds of Opus 4), or a distilled model
 * ("deepseek-r1-distill-…", "deepseek-r1-0528-qwen3-8b": a parameter count names the small model).
 */
const ANOTHER_MODEL =
  /^(mini|nano|lite|small|micro|tiny|pro|chat|codex|thinking|audio|realtime|search|tts|transcribe|image)\b|^[1-9](?!\d)|\bdistill|\b\d+(\.\d+)?b\b/;

/**
 * Vendor ids that are aliases, not builds: each is read as the model it names. DeepSeek's API ids
 * (also OpenRouter's "deepseek/deepseek-chat") move to each new version; they are read as the newest
 * version this table lists, which the placement names ("as deepseek-v3-0324"): a later version behind
 * the alias likely rates higher, still far closer than the price guess ($0.4 → ~1275), and `quality:`
 * overrides it. "mistral-large-latest"
 * moved from Large 2 (the table's "mistral-large") to Large 3, which the table does not list.
 */
const ALIASES: Record<string, string> = {
  'deepseek-chat': 'deepseek-v3-0324',
  'deepseek-reasoner': 'deepseek-r1-0528',
  'mistral-large-latest': 'mistral-large-3',
};

/**
 * Hosts' spellings of listed models, rewritten to the table's: Hugging Face's "Meta-Llama-3.1-8B-
 * Instruct" (and Together's "…-Instruct-Turbo"), Ollama-style "llama3.1:8b" (served through an
 * OpenAI-compatible port: LM Studio, vLLM, Ollama's /v1), Groq's "llama-3.3-70b-versatile" and
 * "llama-3.1-8b-instant", OpenRouter's "deepseek-chat-v3-0324". A bare size ("llama-3.1-8b") is the
 * instruction-tuned build, as Ollama's and Groq's are.
 */
function tableSpelling(canonical: string): string {
  let n = ALIASES[canonical] ?? canonical;
  n = n.replace(/^meta-llama-/, 'llama-').replace(/^llama(\d)/, 'llama-$1');
  n = n.replace(/^deepseek-chat-(v\d)/, 'deepseek-$1');
  if (n.startsWith('llama-'))
    n = n.replace(/-(versatile|instant)$/, '-instruct').replace(/^(llama-[\d.]+-\d+b)$/, '$1-instruct');
  return n;
}

/**
 * The figure for a pool model: exact canonical name first, then the longest table name the model
 * id starts with ("gpt-4o-mini-2024-07-18" → gpt-4o-mini, "claude-3-5-sonnet-20241022" →
 * claude-3-5-sonnet), unless the rest names another model (ANOTHER_MODEL). Aliases and hosts'
 * spellings are read as the table's names first (tableSpelling).
 */
export function publicQualityOf(id: string): (PublicQuality & { name: string }) | undefined {
  const canonical = tableSpelling(id);
  const exact = PUBLIC_QUALITY[canonical];
  if (exact) return { ...exact, name: canonical };
  let best: string | undefined;
  for (const name of Object.keys(PUBLIC_QUALITY)) {
    if (!canonical.startsWith(`${name}-`) || ANOTHER_MODEL.test(canonical.slice(name.length + 1))) continue;
    if (!best || name.length > best.length) best = name;
  }
  return best ? { ...PUBLIC_QUALITY[best]!, name: best } : undefined;
}

/**
 * A quality figure guessed from a price: the line intercept + slope · log10(USD per 1M output
 * tokens) through today's models, less `spread`.
 */
export interface PriceGuess {
  intercept: number;
  slope: number;
  /**
   * The residual standard deviation of the fit. A guess sits this far below the line: a model
   * known only by its price should rarely outrank the listed models of its price on the strength
   * of a line that explains little (the fitted models sit −63 to +76 off it; a guess at their own
   * price would still pass the two furthest below, claude-opus-4 at −63 and gpt-4o-mini at −58).
   */
  spread: number;
  /** The models it was fitted on (listed in both the price table and this one). */
  models: readonly string[];
}

/** Figures older than this sit on lower scales, and those models' prices have been cut since. */
const PRICE_GUESS_SINCE = '2025';

/**
 * The last resort for a pool model with no figure: least squares of the figure on log10(price) over
 * the current models both bundled tables list (their figures dated 2025 or later), so it follows
 * those tables when they are updated. Price says little about quality (a 2024 flagship cost more
 * than a better 2025 model), so this only puts an unknown model a spread below where today's models
 * of its price sit; the explanation calls it a guess.
 */
export function fitPriceGuess(
  quality: Record<string, PublicQuality> = PUBLIC_QUALITY,
  prices: readonly { ids: readonly string[]; output: number }[] = PRICE_TABLE,
): PriceGuess | null {
  const points: { name: string; x: number; y: number }[] = [];
  for (const [name, q] of Object.entries(quality)) {
    if (q.date < PRICE_GUESS_SINCE) continue;
    const price = prices.find((p) => p.ids.includes(name));
    if (price && price.output > 0) points.push({ name, x: Math.log10(price.output), y: q.value });
  }
  if (points.length < 3) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const squares = points.reduce((a, p) => a + (p.y - intercept - slope * p.x) ** 2, 0);
  const spread = Math.sqrt(squares / (points.length - 2));
  return { intercept, slope, spread, models: points.map((p) => p.name) };
}

export const PRICE_GUESS = fitPriceGuess();

/** The figure guessed for a model that costs `usdPerMillionOutput` (see PriceGuess). */
export function guessFromPrice(guess: PriceGuess, usdPerMillionOutput: number): { line: number; figure: number } {
  const line = guess.intercept + guess.slope * Math.log10(usdPerMillionOutput);
  return { line, figure: line - guess.spread };
}
