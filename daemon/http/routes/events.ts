// GET /v1/events: the live feed the dashboard listens to. Each event is `data: <LiveEvent JSON>`
// (no `event:` name, so EventSource's onmessage gets them all; switch on `type`).
import type { FastifyPluginCallback } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { LiveEvent } from '../../../shared/api';
import type { Services } from '../../services/types';
import { currentUser, currentViewer } from '../../team/request-context';
import { SSE_HEADERS } from '../sse';

/**
 * Team mode: a user's key hears of its user's requests and ratings only. The bus calls listeners
 * synchronously, in the emitting request's context, so currentUser() there is the request's user
 * (none for a request made with server.token: only admins hear of it). Other events (stats,
 * benchmarks) carry no one's prompts.
 */
function heardBy(viewer: string | null, event: LiveEvent): boolean {
  if (viewer === null) return true;
  if (event.type !== 'decision' && event.type !== 'feedback') return true;
  return currentUser() === viewer;
}

/** Comment lines keep proxies and idle timers from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export const eventRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  // Live feeds never end by themselves: end them when the server shuts down.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', (hookDone) => {
    for (const res of open) res.end();
    hookDone();
  });
  app.get('/v1/events', (request, reply) => {
    // HEAD (a liveness probe) gets the stream's headers and no never-ending body.
    if (request.method === 'HEAD') return void reply.code(200).headers(SSE_HEADERS).send();
    reply.hijack();
    const res = reply.raw;
    open.add(res);
    res.writeHead(200, SSE_HEADERS);
    res.write(': connected\n\n');
    const viewer = currentViewer();
    const unsubscribe = services.events.subscribe((event) => {
      if (!heardBy(viewer, event)) return;
      // A slow reader must not grow memory without bound: drop it instead.
      if (res.writableLength > 1_000_000) return void res.destroy();
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    res.once('close', () => {
      open.delete(res);
      clearInterval(heartbeat);
      unsubscribe();
    });
  });
  done();
};
