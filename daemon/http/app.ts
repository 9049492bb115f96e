// The HTTP door: an OpenAI-compatible API plus Fugusashi's own endpoints, as a fastify app that
// never listens by itself (tests use `inject` or listen on port 0; main.ts listens on the real port).
// Plugins in fastify's documented order: content parsers and hooks, then routes.
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { DEFAULTS } from '../../shared/config';
import { FugusashiError } from '../../shared/errors';
import type { Services } from '../services/types';
import { errorBody, toHttpError } from './errors';
import { crossSiteRefusal, hostCheck, tokenMatches, type GuardSettings } from './guard';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../shared/json-depth';
import { apiRoutes } from './routes/api';
import { chatRoutes } from './routes/chat';
import { eventRoutes } from './routes/events';
import { feedbackRoutes } from './routes/feedback';
import { messagesRoutes } from './routes/messages';
import { completionsRoutes } from './routes/completions';
import { responsesRoutes } from './routes/responses';

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
  /** A request (headers and body) must arrive within this; a body that never finishes is dropped. */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** How often node:http checks those timeouts (its default is 30 s; tests use less). */
  timeoutCheckIntervalMs?: number;
}

/** Bounds on receiving a request (not on answering it: long streams are unaffected). */
const REQUEST_TIMEOUT_MS = 120_000;
const HEADERS_TIMEOUT_MS = 30_000;
/**
 * A body over the limit is read and thrown away up to this much (and this long), so the client,
 * still uploading, gets to read the 413 instead of a connection reset.
 */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const DISCARD_LIMIT_MS = 15_000;

/** Body types accepted as raw text (bulk training import). */
const TEXT_TYPES = ['text/csv', 'text/plain', 'application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'];

export function buildApp(services: Services, settings: HttpSettings): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: settings.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
    // Receiving a request is bounded; answering it is not (streams can be long). Keep-alive clients
    // (the openai SDK) reuse sockets.
    requestTimeout: settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(
        settings.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
        settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      ),
      ...(settings.timeoutCheckIntervalMs ? { connectionsCheckingInterval: settings.timeoutCheckIntervalMs } : {}),
    },
    keepAliveTimeout: 65_000,
    // On close, idle keep-alive sockets go at once; requests in flight may finish (main.ts bounds the wait).
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // fastify's own JSON parser (prototype-poisoning checks included), after a nesting-depth check.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // An empty body with a JSON type (curl -X POST -H 'Content-Type: application/json' URL) is no
    // body: 0.3.0 took it on endpoints that need none (POST /v1/feedback/retrain); an endpoint that
    // needs one says what is missing, as for a request sent without a Content-Type.
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonTooDeep(text)) {
      done(
        new FugusashiError('InvalidRequest', `JSON body nested deeper than ${MAX_JSON_DEPTH} levels`, null),
        undefined,
      );
      return;
    }
    void parseJson(request, text, done);
  });

  // A callback hook, not an async one: it runs on every request, and an async hook costs a promise
  // and a tick each time. A refused request gets its answer here and the chain stops (no done()).
  const hostAllowed = hostCheck();
  app.addHook('onRequest', (request, reply, done) => {
    settings.onActivity?.();
    const guard = settings.guard();
    if (!hostAllowed(request.headers.host, guard.allowedHosts)) {
      const e = errorBody(
        'Forbidden',
        `Host '${request.headers.host ?? ''}' is not allowed (DNS-rebinding protection). Add it to server.allowed_hosts.`,
      );
      void reply.code(e.status).send(e.body);
      return;
    }
    const crossSite = crossSiteRefusal(request.method, request.headers, guard.allowedHosts);
    if (crossSite) {
      const e = errorBody(
        'CrossSite',
        `Refused ${crossSite}: state-changing endpoints only take requests from the dashboard's own origin, ` +
          'from clients that send no Origin (curl, SDKs), or from hosts in server.allowed_hosts.',
      );
      void reply.code(e.status).send(e.body);
      return;
    }
    if (guard.token && !settings.credentialAccepted?.(request)) {
      const query = request.query as Record<string, string | undefined> | undefined;
      // Anthropic clients send the key as x-api-key (ANTHROPIC_API_KEY); accept it like the bearer.
      const apiKey = request.headers['x-api-key'];
      const authorization =
        request.headers.authorization ?? (typeof apiKey === 'string' ? `Bearer ${apiKey}` : undefined);
      if (!tokenMatches(guard.token, authorization, query?.['token'])) {
        const e = errorBody('Unauthorized', 'Missing or wrong bearer token (Authorization: Bearer <server.token>).');
        void reply.code(e.status).send(e.body);
        return;
      }
    }
    done();
  });

  app.setErrorHandler(async (err, request, reply) => {
    const mapped = toHttpError(err);
    if (mapped.status >= 500 && mapped.body.error.code === 'internal_error') settings.logError?.(err);
    if (mapped.status === 413 && !request.raw.complete) {
      // Answering while the client still uploads makes it see a reset, not the 413: read the rest first.
      const drained = await discardBody(request.raw, DISCARD_LIMIT_BYTES, DISCARD_LIMIT_MS);
      if (!drained) reply.header('connection', 'close');
    }
    if (mapped.headers) reply.headers(mapped.headers);
    return reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const e = errorBody('NotFound', `No route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(e.status).send(e.body);
  });

  app.register(chatRoutes, { services });
  app.register(responsesRoutes, { services });
  app.register(messagesRoutes, { services });
  app.register(completionsRoutes, { services });
  app.register(apiRoutes, { services });
  app.register(feedbackRoutes, { services });
  app.register(eventRoutes, { services });
  for (const plugin of settings.plugins ?? []) app.register(plugin);
  return app;
}

/** Reads and drops the rest of a request body; true when it ended within the bounds. */
function discardBody(req: IncomingMessage, maxBytes: number, maxMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ended: boolean): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > maxBytes) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onClose = (): void => finish(req.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
    req.resume();
  });
}
