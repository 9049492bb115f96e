// Team mode on the HTTP door: API keys (every request carries a live key or the server token once a
// key exists), per-key rate limits and budgets (OpenAI-style 429 with Retry-After), per-key usage
// in /v1/stats and GET /v1/team/usage, the store's state in /health, and Prometheus /metrics.
// A user's key sees its user's data only (the store and the doors filter by currentViewer); what
// concerns everyone (the whole export, a refit, every key's usage) needs an admin key or the token.
// main.ts calls registerTeam right after buildApp, so these hooks run for every route.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pg from 'pg';
import type { LiveEvent } from '../../shared/api';
import type { Store } from '../core/ports';
import type { TelemetryConfig } from '../../shared/config';
import { createMetrics, type DaemonMetrics } from '../metrics';
import { createTracing, type Tracing } from '../metrics/tracing';
import { PostgresStore } from '../store/postgres';
import { KEYS_CHANNEL, KeyCache, type ApiKey } from './keys';
import { KeyLimiter, windowStart, type LimitRefusal, type Reservation } from './limits';
import { currentKeyContext, runWithKey } from './request-context';
import { storeState } from './store';
import { FugusashiError } from '../../shared/errors';

export interface TeamDeps {
  store: Store;
  /** The team database (store.url / FUGUSASHI_DATABASE_URL); undefined in single-user mode. */
  url: string | undefined;
  host: string;
  token: () => string | undefined;
  subscribe: (listener: (event: LiveEvent) => void) => () => void;
  log: (line: string) => void;
  /** OpenTelemetry export (off unless telemetry.otlp_endpoint is set). */
  telemetry?: TelemetryConfig | undefined;
}

export interface TeamHttp {
  metrics: DaemonMetrics;
  tracing: Tracing | undefined;
  /** For the built-in token check: a live API key is as good as the token. */
  accepts(request: FastifyRequest): boolean;
  /** True once a key exists in the team database: every request needs a key (or the token). */
  keysRequired(): boolean;
  close(): Promise<void>;
}

const MODEL_CALLS = new Set([
  'POST /v1/chat/completions',
  'POST /v1/completions',
  'POST /v1/responses',
  'POST /v1/messages',
]);
/** Routes that act on every user's data: an admin key or server.token only. */
const ADMIN_ONLY = new Set(['GET /v1/outcomes/export', 'POST /v1/feedback/retrain']);

/**
 * The route the router matched, as "METHOD /pattern" (HEAD as the GET it answers for). Never the raw
 * URL: the router decodes percent-escapes, so "/v1/outcomes/%65xport" reached the export while a
 * check of the raw path saw another route (a user's key exported everyone's prompts, and a model
 * call so spelled skipped the key's limits).
 */
function routeOf(request: FastifyRequest): string {
  return `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url ?? ''}`;
}
const KEY_REFRESH_MS = 1000;

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The secret a client sent: `Authorization: Bearer`, Anthropic's `x-api-key`, or `?token=` (browser pages). */
function secretOf(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization && authorization.slice(0, 7).toLowerCase() === 'bearer ') return authorization.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const query = request.query as Record<string, string | undefined> | undefined;
  return query?.['token'];
}

function refuse(reply: FastifyReply, status: number, type: string, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { message, type, param: null, code } });
}

export async function registerTeam(app: FastifyInstance, deps: TeamDeps): Promise<TeamHttp> {
  const metrics = createMetrics();
  const tracing = createTracing(deps.telemetry);
  if (tracing) deps.log(`telemetry: OTLP/HTTP traces to ${deps.telemetry?.otlp_endpoint ?? ''}`);
  const unsubscribe = deps.subscribe((event) => {
    metrics.event(event);
    tracing?.event(event);
  });
  const pool = deps.url
    ? new pg.Pool({ connectionString: deps.url, max: 2, connectionTimeoutMillis: 2000 })
    : undefined;
  pool?.on('error', () => undefined);
  const keys = pool ? new KeyCache(pool) : undefined;
  const store = deps.store instanceof PostgresStore ? deps.store : undefined;
  // Recorded spend counts on this replica until the store has written its request row.
  const limiter = pool ? new KeyLimiter(pool, () => store?.storedThrough() ?? Infinity) : undefined;
  let listener: pg.Client | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  if (pool && keys && limiter) {
    await keys.refresh();
    limiter.start();
    refreshTimer = setInterval(() => void keys.refresh().catch(() => undefined), KEY_REFRESH_MS);
    refreshTimer.unref();
    // A key created or revoked with the CLI applies at once, not only at the next refresh.
    listener = new pg.Client({ connectionString: deps.url });
    listener.on('error', () => undefined);
    listener.on('notification', () => void keys.refresh().catch(() => undefined));
    await listener.connect().then(
      () => listener?.query(`LISTEN ${KEYS_CHANNEL}`),
      () => undefined,
    );
    if (store) {
      // What an earlier run spooled (the database was down) counts here until it is stored.
      for (const spooled of store.spooledRequests()) limiter.recorded(spooled.apiKeyId, spooled);
      store.onRequestSaved((record, keyId, seq) => {
        if (!keyId) return;
        const recorded = {
          seq,
          createdAt: record.created_at,
          tokens: record.usage?.total_tokens ?? 0,
          cost: record.cost_usd,
        };
        // Called inside the request's context: a reserved request settles its reservation instead.
        const reservation = currentKeyContext()?.reservation as Reservation | undefined;
        if (reservation) limiter.settle(reservation, recorded);
        else limiter.recorded(keyId, recorded);
      });
    }
  }
  if (!isLoopbackHost(deps.host) && !deps.token() && !keys?.active) {
    await pool?.end().catch(() => undefined);
    await listener?.end().catch(() => undefined);
    limiter?.stop();
    unsubscribe();
    throw new Error(
      `refusing to listen on ${deps.host} (not a loopback address) without access control: set server.token, ` +
        'or create API keys with `fugusashi keys create` (team mode)',
    );
  }

  // The key's in-flight count (and its reservation, if any) is given back when the response closes.
  // 'close' follows 'finish', and it also comes when the client goes away mid-answer (a cancelled
  // stream), which fastify's onResponse never hears of: counting there leaked one in-flight request
  // per cancelled answer, and each inflated the key's expected spend until the daemon restarted.
  const holdUntilClosed = (reply: FastifyReply, key: ApiKey, reservation?: Reservation): void => {
    const giveBack = (): void => {
      limiter?.finished(key.id);
      if (reservation) limiter?.release(reservation); // no-op once the record settled it
    };
    // A reservation can come back from the database after the client has gone: its close is past.
    if (reply.raw.closed) giveBack();
    else reply.raw.once('close', giveBack);
  };

  /** The key each request came with (none: server.token, or no keys yet). */
  const keyOf = new WeakMap<FastifyRequest, ApiKey>();
  /** Whose data the request may see: its key's user, or null (everyone's) for an admin key or the token. */
  const viewerOf = (request: FastifyRequest): string | null => {
    const key = keyOf.get(request);
    return key && !key.admin ? key.name : null;
  };

  // Only a daemon with a team database checks keys: in single-user mode every request would pay for
  // a hook that has nothing to do (the metrics' latency is fastify's own elapsedTime).
  if (keys) {
    app.addHook('onRequest', (request, reply, done) => {
      if (!keys.active || request.routeOptions.url === '/health') return done();
      const secret = secretOf(request);
      const token = deps.token();
      if (token && secret === token) return done();
      const key = secret ? keys.lookup(secret) : undefined;
      if (!key) {
        void refuse(
          reply,
          401,
          'authentication_error',
          'invalid_api_key',
          'Missing, wrong or revoked API key (Authorization: Bearer <key from `fugusashi keys create`>).',
        );
        return;
      }
      keyOf.set(request, key);
      const route = routeOf(request);
      if (!key.admin && ADMIN_ONLY.has(route)) {
        void refuse(
          reply,
          403,
          'permission_error',
          'admin_required',
          'This concerns every user of the team: it needs an admin key (`fugusashi keys create --name NAME --admin`) or server.token.',
        );
        return;
      }
      const refuseWith = (refusal: LimitRefusal): void => {
        void refuse(
          reply.header('retry-after', String(refusal.retryAfterSeconds)),
          429,
          refusal.code === 'insufficient_quota' ? 'insufficient_quota' : 'requests',
          refusal.code,
          refusal.message,
        );
      };
      if (MODEL_CALLS.has(route) && limiter) {
        const verdict = limiter.admit(key);
        if (verdict instanceof Promise) {
          // Near a budget: the request's cost is reserved in the database first.
          verdict.then(
            (result) => {
              if ('code' in result) return refuseWith(result);
              holdUntilClosed(reply, key, result);
              runWithKey(key, done, result);
            },
            (err: unknown) => done(err as Error),
          );
          return;
        }
        if (verdict) return refuseWith(verdict);
        holdUntilClosed(reply, key);
      }
      // The rest of this request (and the store's record of it) knows its key.
      runWithKey(key, done);
    });
  }

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    // elapsedTime: from the request's arrival at its route to the response's end (ms).
    metrics.http(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  /**
   * Today's and this month's usage of each key; `user`: only that user's keys (a user's key sees its
   * own row, an admin key or the token every key's). PostgreSQL down: StoreUnavailable (503), as the
   * store's own reads answer, not a pg error the door reports as 500 internal_error.
   */
  const perKey = async (user: string | null): Promise<unknown[]> => {
    if (!pool || !keys) return [];
    const now = Date.now();
    const { rows } = await pool
      .query<{
        key_id: string;
        window_kind: string;
        requests: string;
        tokens: string;
        cost_usd: number;
      }>(
        `SELECT key_id, window_kind, requests, tokens, cost_usd FROM key_usage
       WHERE (window_kind = 'day' AND window_start = $1) OR (window_kind = 'month' AND window_start = $2)`,
        [windowStart('day', now), windowStart('month', now)],
      )
      .catch((err: unknown) => {
        throw new FugusashiError(
          'StoreUnavailable',
          `The team database is unavailable (${err instanceof Error ? err.message : String(err)}); requests are still answered and recorded locally until it is back.`,
        );
      });
    const shown = user === null ? keys.keys() : keys.keys().filter((key) => key.name === user);
    return shown.map((key) => {
      const usage = (kind: string) => {
        const row = rows.find((r) => r.key_id === key.id && r.window_kind === kind);
        return { requests: Number(row?.requests ?? 0), tokens: Number(row?.tokens ?? 0), cost_usd: row?.cost_usd ?? 0 };
      };
      return { ...key, today: usage('day'), this_month: usage('month'), in_flight: limiter?.inFlight(key.id) ?? 0 };
    });
  };

  // Per-key usage next to the per-model stats, and the store's state in /health.
  const decorate = async (request: FastifyRequest, payload: string): Promise<string> => {
    const path = request.routeOptions.url;
    if (path === '/health') {
      const body = JSON.parse(payload) as Record<string, unknown>;
      const state = storeState(deps.store);
      // Next to the write health the service reports (writable, error, lost_writes), never instead of it.
      body.store = { ...(body.store as Record<string, unknown> | undefined), ...state };
      if (!state.up && body.status === 'ok') body.status = 'degraded';
      return JSON.stringify(body);
    }
    if (path === '/v1/stats' && keys?.active) {
      const body = JSON.parse(payload) as Record<string, unknown>;
      body.per_key = await perKey(viewerOf(request)).catch(() => []);
      return JSON.stringify(body);
    }
    return payload;
  };
  // A callback hook: an async one costs every answer (chat included) a promise and a tick.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (request.method !== 'GET' || typeof payload !== 'string') return done(null, payload);
    decorate(request, payload).then(
      (decorated) => done(null, decorated),
      (err: unknown) => done(err as Error),
    );
  });

  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  app.get('/v1/team/usage', async (request) => ({ object: 'list', data: await perKey(viewerOf(request)) }));

  return {
    metrics,
    accepts: (request) => {
      const secret = keys?.active ? secretOf(request) : undefined;
      return secret !== undefined && keys?.lookup(secret) !== undefined;
    },
    keysRequired: () => keys?.active ?? false,
    tracing,
    close: async () => {
      unsubscribe();
      await tracing?.close().catch(() => undefined);
      limiter?.stop();
      await limiter?.sync().catch(() => undefined);
      if (refreshTimer) clearInterval(refreshTimer);
      await listener?.end().catch(() => undefined);
      await pool?.end().catch(() => undefined);
    },
  };
}
