// GET /v1/models and /v1/models/{id} in the Anthropic API's shape. One path serves both SDKs: the
// Anthropic SDKs (and Claude Code) send `anthropic-version` on every request, the OpenAI ones never do.
import type { AnthropicModelInfo, AnthropicModelPage } from '../../../shared/anthropic-messages';
import { FugusashiError } from '../../../shared/errors';
import type { ModelListEntry } from '../../../shared/openai';

export function wantsAnthropicShape(headers: Record<string, unknown>): boolean {
  return headers['anthropic-version'] !== undefined;
}

export function toAnthropicModel(entry: ModelListEntry): AnthropicModelInfo {
  return {
    type: 'model',
    id: entry.id,
    display_name: entry.id,
    created_at: new Date(entry.created * 1000).toISOString(),
  };
}

/** Anthropic's pagination: `limit` (1–1000, default 20), then `after_id` or `before_id` as cursors. */
export function anthropicModelPage(
  entries: readonly ModelListEntry[],
  query: Record<string, unknown>,
): AnthropicModelPage {
  const limitText = query['limit'];
  const limit = limitText === undefined || limitText === '' ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new FugusashiError('InvalidRequest', 'limit: must be an integer from 1 to 1000', 'limit');
  }
  const ids = entries.map((e) => e.id);
  const cursor = (name: 'after_id' | 'before_id'): number | undefined => {
    const id = query[name];
    if (id === undefined) return undefined;
    if (typeof id !== 'string') throw new FugusashiError('InvalidRequest', `${name}: must be one model id`, name);
    const at = ids.indexOf(id);
    if (at < 0) throw new FugusashiError('InvalidRequest', `${name}: no model with id ${id}`, name);
    return at;
  };
  const after = cursor('after_id');
  const before = cursor('before_id');
  let start = after === undefined ? 0 : after + 1;
  let end = before === undefined ? entries.length : before;
  // before_id pages backwards: the `limit` models just before the cursor.
  if (before !== undefined && after === undefined) start = Math.max(0, end - limit);
  else end = Math.min(end, start + limit);
  const data = entries.slice(start, Math.max(start, end)).map(toAnthropicModel);
  const hasMore = before !== undefined && after === undefined ? start > 0 : end < (before ?? entries.length);
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
