// Named Server-Sent Events (`event: <type>` + `data: <json>`), the framing the Anthropic Messages and
// OpenAI Responses streams use (the chat-completions stream sends bare `data:` lines, see sse.ts).
import type { ServerResponse } from 'node:http';
import { corkForTick } from './sse';

/**
 * True when these events carry part of the answer: a text, tool-argument or refusal delta
 * (Anthropic's `content_block_delta`, the Responses API's `response.*.delta`).
 */
export function eventsCarryAnswer(events: readonly { type: string }[]): boolean {
  return events.some((e) => e.type.endsWith('delta'));
}

/** Frames every event of one upstream chunk into a single write; resolves on back-pressure relief. */
export function writeNamedEvents(res: ServerResponse, events: readonly { type: string }[]): Promise<void> | void {
  if (events.length === 0) return;
  let frame = '';
  for (const e of events) frame += `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
  corkForTick(res);
  if (res.write(frame)) return;
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
