// Server-Sent Events helpers shared by the chat stream and the live-events feed.
import type { ServerResponse } from 'node:http';

/** Header values must be ASCII: escape everything else the way JSON does, so JSON.parse reads it back. */
export function asciiJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Most decisions are plain ASCII already: skip the replace pass then (this runs on every request).
  if (!NON_ASCII.test(json)) return json;
  return json.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** Writes one `data:` event; resolves when the socket accepted it (back-pressure). */
export function writeEvent(res: ServerResponse, data: string): Promise<void> | void {
  if (res.write(`data: ${data}\n\n`)) return;
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
