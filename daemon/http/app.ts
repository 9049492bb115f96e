// The HTTP door: an OpenAI-compatible API plus Fugusashi's own endpoints, as a fastify app that
// never listens by itself (tests use `inject` or listen on port 0; main.ts listens on the real port).
// Plugins in fastify's documented order: content parsers and hooks, then routes.
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { DEFAULTS } from '../../shared/config';
import type { Services } from '../services/types';
import { errorBody, toHttpError } from './errors';
import { hostAllowed, tokenMatches, type GuardSettings } from './guard';
import { apiRoutes } from './routes/api';
import { chatRoutes } from './routes/chat';
import { eventRoutes } from './routes/events';
import { feedbackRoutes } from './routes/feedback';

export interface HttpSettings {
  /** Read on every request so a config reload takes effect at once. */
  guard: () => GuardSettings;
  bodyLimitBytes?: number;
  /** Extra plugins registered after the API routes (the dashboard). */
  plugins?: FastifyPluginAsync[];
  /** Called on every request (idle-shutdown bookkeeping). */
  onActivity?: () => void;
  /** Another credential accepted instead of the token (team mode's API keys, daemon/team). */
  credentialAccepted?: (request: FastifyRequest) => boolean;
  /** Unexpected (5xx internal) errors go here; logging is the composition root's business. */
  logError?: (err: unknown) => void;
}

/** Body types accepted as raw text (bulk training import). */
const TEXT_TYPES = ['text/csv', 'text/plain', 'application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'];

export function buildApp(services: Services, settings: HttpSettings): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: settings.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
    // Streams can be long; keep-alive clients (the openai SDK) reuse sockets.
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
    // On close, idle keep-alive sockets go at once; requests in flight may finish (main.ts bounds the wait).
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    settings.onActivity?.();
    const guard = settings.guard();
    if (!hostAllowed(request.headers.host, guard.allowedHosts)) {
      const e = errorBody(
        'Forbidden',
        `Host '${request.headers.host ?? ''}' is not allowed (DNS-rebinding protection). Add it to server.allowed_hosts.`,
      );
      return reply.code(e.status).send(e.body);
    }
    if (guard.token && !settings.credentialAccepted?.(request)) {
      const query = request.query as Record<string, string | undefined> | undefined;
      if (!tokenMatches(guard.token, request.headers.authorization, query?.['token'])) {
        const e = errorBody('Unauthorized', 'Missing or wrong bearer token (Authorization: Bearer <server.token>).');
        return reply.code(e.status).send(e.body);
      }
    }
    return undefined;
  });

  app.setErrorHandler((err, _request, reply) => {
    const mapped = toHttpError(err);
    if (mapped.status >= 500 && mapped.body.error.code === 'internal_error') settings.logError?.(err);
    return reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const e = errorBody('NotFound', `No route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(e.status).send(e.body);
  });

  app.register(chatRoutes, { services });
  app.register(apiRoutes, { services });
  app.register(feedbackRoutes, { services });
  app.register(eventRoutes, { services });
  for (const plugin of settings.plugins ?? []) app.register(plugin);
  return app;
}
