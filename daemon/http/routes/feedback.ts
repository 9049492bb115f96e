// The feedback loop's endpoints (issue 3): ratings, seed/bulk training rows, retrain, stats, rankings.
import type { FastifyPluginCallback } from 'fastify';
import { Type } from 'typebox';
import type { RateParams } from '../../../shared/api';
import { FugusashiError } from '../../../shared/errors';
import type { Services } from '../../services/types';

const RateBody = Type.Object(
  {
    request_id: Type.String({ minLength: 1 }),
    rating: Type.Optional(Type.Number({ minimum: 1, maximum: 5 })),
    thumbs: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down')])),
    comment: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const TRAINING_BODY_LIMIT = 64 * 1024 * 1024;

/** text/csv → csv; the JSON-lines types and text/plain → jsonl. */
function textFormat(contentType: string | undefined): 'csv' | 'jsonl' {
  return contentType?.toLowerCase().startsWith('text/csv') ? 'csv' : 'jsonl';
}

export const feedbackRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  app.post<{ Body: RateParams }>('/v1/feedback/rate', { schema: { body: RateBody } }, (request, reply) =>
    reply.send(services.feedback.rate(request.body)),
  );

  // JSON: `[{prompt, model, score}]` or `{rows: [...]}`; a JSONL or CSV body by its Content-Type.
  // Bulk imports are bigger than chat requests: this route alone accepts up to 64 MiB.
  app.post<{ Body: unknown }>('/v1/routing/training', { bodyLimit: TRAINING_BODY_LIMIT }, (request, reply) => {
    const body = request.body;
    if (typeof body === 'string')
      return reply.send(services.feedback.importTraining(body, textFormat(request.headers['content-type'])));
    if (Array.isArray(body)) return reply.send(services.feedback.addTraining(body));
    if (body && typeof body === 'object' && Array.isArray((body as { rows?: unknown }).rows)) {
      return reply.send(services.feedback.addTraining((body as { rows: unknown[] }).rows));
    }
    throw new FugusashiError(
      'InvalidRequest',
      'Expected an array of {prompt, model, score} rows (or {rows: [...]})',
      'rows',
    );
  });

  app.post('/v1/feedback/retrain', (_request, reply) => reply.send(services.feedback.retrain()));
  app.get('/v1/feedback/stats', (_request, reply) => reply.send(services.feedback.stats()));
  app.get('/v1/feedback/rankings', (_request, reply) =>
    reply.send({ object: 'list', data: services.feedback.rankings() }),
  );
  done();
};
