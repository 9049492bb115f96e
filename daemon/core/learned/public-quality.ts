// Public quality figures for placing a pool model the prior's data never saw. The scale is the
// Chatbot Arena (LMSYS / LMArena) Elo as published at the date given; the scale drifts a little
// between snapshots (GPT-4-Turbo read 1210 in Nov 2023 and 1251 in Sep 2024), so a figure is
// a coarse placement, and `quality:` in config.yaml overrides it. Read through openlm.ai's mirror of the
// LMSYS leaderboard ("Attribution LMSYS", dated pages) and, for 2023 models, a copy of the
// Nov 2023 LMSYS table (aigender.net, 2023-12-05).
export interface PublicQuality {
  /** Arena Elo at `date`. */
  value: number;
  source: string;
  date: string;
}

const ARENA_2023 = 'Chatbot Arena Elo (LMSYS table of Nov 2023, copy at aigender.net)';
const ARENA = 'Chatbot Arena Elo (LMSYS, openlm.ai/chatbot-arena)';

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
};

/**
 * The figure for a pool model: exact canonical name first, then the longest table name the model
 * id starts with ("gpt-4o-mini-2024-07-18" → gpt-4o-mini, "claude-3-5-sonnet-20241022" →
 * claude-3-5-sonnet).
 */
export function publicQualityOf(canonical: string): (PublicQuality & { name: string }) | undefined {
  const exact = PUBLIC_QUALITY[canonical];
  if (exact) return { ...exact, name: canonical };
  let best: string | undefined;
  for (const name of Object.keys(PUBLIC_QUALITY)) {
    if (canonical.startsWith(`${name}-`) && (!best || name.length > best.length)) best = name;
  }
  return best ? { ...PUBLIC_QUALITY[best]!, name: best } : undefined;
}
