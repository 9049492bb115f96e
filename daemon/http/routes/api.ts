// Read endpoints and dry-run routing: thin translations onto the services.
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { decisionsQuery, type RouteParams } from '../../../shared/api';
import { FugusashiError } from '../../../shared/errors';
import { RouteRequestSchema, type ModelListEntry } from '../../../shared/openai';
import type { Services } from '../../services/types';
import { toHttpError } from '../errors';
import { anthropicModelPage, toAnthropicModel, wantsAnthropicShape } from '../translate/anthropic-models';
import { anthropicError } from '../translate/messages';
import { decisionRow030, trace030, usageStats030 } from './compat030';

/** Query numbers arrive as strings; reject garbage instead of silently using NaN. */
function optionalNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new FugusashiError('InvalidRequest', `'${name}' must be a number`, name);
  return n;
}

/** Sends `answer()`, or its error in the Anthropic API's shape (the app's handler answers OpenAI's). */
function sendAnthropic(reply: FastifyReply, answer: () => unknown): FastifyReply {
  try {
    return reply.send(answer());
  } catch (err) {
    const http = toHttpError(err);
    return reply.code(http.status).send(anthropicError(http));
  }
}

// Handlers are synchronous (the services answer from memory) except dry-run routing.
export const apiRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  app.get('/health', (_request, reply) => reply.send(services.health()));

  // The same pool in OpenAI's shape or, for the Anthropic SDKs, in Anthropic's, errors included
  // (see anthropic-models); a wildcard for one model, as pool names may hold "/".
  const modelById = (id: string): ModelListEntry => {
    const model = services.models().find((m) => m.id === id);
    if (!model) throw new FugusashiError('ModelNotFound', `The model '${id}' does not exist`, 'model');
    return model;
  };
  app.get<{ Querystring: Record<string, unknown> }>('/v1/models', (request, reply) => {
    if (!wantsAnthropicShape(request.headers)) return reply.send({ object: 'list', data: services.models() });
    return sendAnthropic(reply, () => anthropicModelPage(services.models(), request.query));
  });
  app.get<{ Params: { '*': string } }>('/v1/models/*', (request, reply) => {
    const id = request.params['*'];
    if (!wantsAnthropicShape(request.headers)) return reply.send(modelById(id));
    return sendAnthropic(reply, () => toAnthropicModel(modelById(id)));
  });

  app.post<{ Body: RouteParams }>('/v1/routing/route', { schema: { body: RouteRequestSchema } }, async (request) =>
    services.route(request.body),
  );

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/routing/decisions', (request, reply) => {
    const limit = Math.min(Math.max(optionalNumber(request.query['limit'], 'limit') ?? 50, 1), 1000);
    const before = optionalNumber(request.query['before'], 'before');
    const beforeId: unknown = request.query['before_id'];
    // A repeated parameter arrives as an array: the cursor is one request id.
    if (beforeId !== undefined && typeof beforeId !== 'string')
      throw new FugusashiError('InvalidRequest', "'before_id' must be one request id", 'before_id');
    return reply.send({
      object: 'list',
      data: services.decisions(decisionsQuery(limit, before, beforeId)).map(decisionRow030),
    });
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/stats', (request, reply) =>
    reply.send(
      usageStats030(services.stats(optionalNumber(request.query['since'], 'since')), services.decisions({ limit: 50 })),
    ),
  );

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/usage', (request, reply) => {
    const bucket = optionalNumber(request.query['bucket_ms'], 'bucket_ms') ?? 3_600_000;
    const since = optionalNumber(request.query['since'], 'since');
    return reply.send({
      object: 'list',
      bucket_ms: bucket,
      data: services.usageOverTime(Math.max(bucket, 1000), since),
    });
  });

  // What `fugusashi export` writes: one outcome per line (used by the CLI while a daemon runs).
  app.get('/v1/outcomes/export', (_request, reply) => {
    const lines: string[] = [];
    services.exportOutcomes((line) => lines.push(line.endsWith('\n') ? line : `${line}\n`));
    return reply.type('application/x-ndjson; charset=utf-8').send(lines.join(''));
  });

  app.get<{ Params: { id: string } }>('/v1/trace/:id', (request, reply) =>
    reply.send(trace030(services.trace(request.params.id))),
  );
  done();
};
