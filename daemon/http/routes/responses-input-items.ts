// GET /v1/responses/{id}/input_items (OpenAI's `client.responses.inputItems.list(id)`): the input items
// a stored response was created from, as OpenAI lists them: each with an id, messages with typed
// content parts, in OpenAI's cursor-page list (`order`, `limit`, `after`).
import { randomBytes } from 'node:crypto';
import { FugusashiError } from '../../../shared/errors';
import type { ResponsesRequest } from '../../../shared/responses';

export type InputItem = Record<string, unknown> & { id: string; type: string };

/** Prefix of a generated item id, as OpenAI names them (`msg_…`, `fc_…`, `fco_…`). */
function idPrefix(type: string): string {
  if (type === 'message') return 'msg';
  if (type === 'function_call') return 'fc';
  if (type === 'function_call_output') return 'fco';
  return 'item';
}

function newId(type: string): string {
  return `${idPrefix(type)}_${randomBytes(12).toString('hex')}`;
}

/** `content: "text"` → one typed part (input_text; output_text for the assistant's own words). */
function contentParts(role: unknown, content: unknown): unknown {
  if (typeof content !== 'string') return content;
  return [
    role === 'assistant'
      ? { type: 'output_text', text: content, annotations: [] }
      : { type: 'input_text', text: content },
  ];
}

/** The request's `input` as OpenAI stores it: a string is one user message; every item gets an id. */
export function inputItemsOf(input: ResponsesRequest['input']): InputItem[] {
  const items: Record<string, unknown>[] =
    typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input;
  return items.map((item) => {
    const type = typeof item['type'] === 'string' ? item['type'] : 'message';
    const normalized: Record<string, unknown> = { ...item, type };
    if (type === 'message') {
      normalized['content'] = contentParts(item['role'], item['content']);
      normalized['status'] ??= 'completed';
    }
    const id = typeof item['id'] === 'string' && item['id'] !== '' ? item['id'] : newId(type);
    return { ...normalized, id, type };
  });
}

export interface InputItemsQuery {
  order?: string;
  limit?: string;
  after?: string;
}

/** One page of OpenAI's list: `order` desc (newest first) by default, `limit` 1–100 (20), `after` an item id. */
export function inputItemsPage(
  items: readonly InputItem[],
  query: InputItemsQuery,
): { object: 'list'; data: InputItem[]; first_id: string | null; last_id: string | null; has_more: boolean } {
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    throw new FugusashiError('InvalidRequest', `'order' must be 'asc' or 'desc', not '${order}'.`, 'order');
  }
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new FugusashiError('InvalidRequest', "'limit' must be an integer from 1 to 100.", 'limit');
  }
  const ordered = order === 'asc' ? [...items] : [...items].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after);
    if (at < 0) throw new FugusashiError('InvalidRequest', `No input item '${query.after}' in this response.`, 'after');
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}
