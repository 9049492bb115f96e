// Server-Sent Events helpers shared by the chat stream and the live-events feed.
import type { ServerResponse } from 'node:http';

/** Header values must be ASCII: escape everything else the way JSON does, so JSON.parse reads it back. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

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
