// Small helpers shared by the fault tests: chat requests over real HTTP, reading an SSE answer.
import type { ChatCompletion, RoutingDecision } from '../../../shared/openai';

export interface ChatReply {
  status: number;
  headers: Headers;
  /** Parsed JSON (non-streaming) or the SSE events' JSON objects (streaming). */
  body: any;
  text: string;
}

export async function chat(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<ChatReply> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
  const text = await res.text();
  let parsed: unknown;
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    parsed = text
      .split('\n\n')
      .map((e) => e.replace(/^data: /, '').trim())
      .filter((e) => e && e !== '[DONE]')
      .map((e) => JSON.parse(e) as unknown);
  } else {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The text of a streamed answer, and whether an in-band error came instead of an answer. */
export function streamed(events: any[]): { text: string; error: string | null; model: string | null } {
  let text = '';
  let error: string | null = null;
  let model: string | null = null;
  for (const e of events) {
    if (e.error) error = e.error.message;
    if (e.model) model = e.model;
    text += e.choices?.[0]?.delta?.content ?? '';
  }
  return { text, error, model };
}

export type { ChatCompletion, RoutingDecision };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
