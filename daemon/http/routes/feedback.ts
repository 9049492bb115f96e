// The feedback loop's endpoints (issue 3): ratings, seed/bulk training rows, retrain, stats, rankings.
import type { FastifyPluginCallback } from 'fastify';
import { Type } from 'typebox';
import type { RateParams } from '../../../shared/api';
import { FugusashiError } from '../../../shared/errors';
import type { Services } from '../../services/types';
import { feedbackStats030, rankings030, rateResult030, retrainResult030, trainingResult030 } from './compat030';

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

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * A rating sent as text (a form, text/plain, or no content type): JSON when it looks like JSON,
 * else form fields (`request_id=…&rating=5`). Browsers send these types cross-site without a CORS
 * preflight; the door's cross-site guard (http/app.ts, crossSiteRefusal) refuses those first.
 */
function looseRateBody(text: string): RateParams {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as RateParams;
    } catch (err) {
      throw new FugusashiError('InvalidRequest', `Body is not valid JSON: ${(err as Error).message}`, 'request_id');
    }
  }
  const fields = Object.fromEntries(new URLSearchParams(trimmed));
  const body: Record<string, unknown> = { ...fields };
  if (fields['rating'] !== undefined) body['rating'] = Number(fields['rating']);
  return body as unknown as RateParams;
}

function parseJsonArray(text: string): unknown[] | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** text/csv → csv; the JSON-lines types and text/plain → jsonl. */
function textFormat(contentType: string | undefined): 'csv' | 'jsonl' {
  return contentType?.toLowerCase().startsWith('text/csv') ? 'csv' : 'jsonl';
}

export const feedbackRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  // Fugusashi 0.3.0's documented `curl -d '{"request_id":…,"rating":5}'` has no JSON content type:
  // curl sends it as a form. Scoped to this plugin: these routes read such bodies as text, and
  // /v1/feedback/rate turns them into its JSON body (looseRateBody) before validation.
  app.addContentTypeParser(FORM_TYPE, { parseAs: 'string' }, (_req, body, next) => next(null, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, next) => next(null, body));
  app.post<{ Body: RateParams }>(
    '/v1/feedback/rate',
    {
      schema: { body: RateBody },
      preValidation: (request, _reply, next) => {
        if (typeof request.body === 'string') request.body = looseRateBody(request.body);
        next();
      },
    },
    (request, reply) => reply.send(rateResult030(services.feedback.rate(request.body))),
  );

  // JSON: `[{prompt, model, score}]` or `{rows: [...]}`: rows a tool sends (0.3.0's "seed"), each
  // stored every time unless it carries an id; a JSONL or CSV body (by its Content-Type) is a file,
  // whose rows the same file sent again does not store twice.
  // Bulk imports are bigger than chat requests: this route alone accepts up to 64 MiB.
  app.post<{ Body: unknown }>('/v1/routing/training', { bodyLimit: TRAINING_BODY_LIMIT }, (request, reply) => {
    const body = request.body;
    // A JSON array sent as a form or without a type (curl -d without -H): the JSON it is.
    if (typeof body === 'string' && body.trimStart().startsWith('[')) {
      const rows = parseJsonArray(body);
      if (rows) return reply.send(trainingResult030(services.feedback.addTraining(rows)));
    }
    if (typeof body === 'string')
      return reply.send(
        trainingResult030(services.feedback.importTraining(body, textFormat(request.headers['content-type']))),
      );
    if (Array.isArray(body)) return reply.send(trainingResult030(services.feedback.addTraining(body)));
    if (body && typeof body === 'object' && Array.isArray((body as { rows?: unknown }).rows)) {
      return reply.send(trainingResult030(services.feedback.addTraining((body as { rows: unknown[] }).rows)));
    }
    throw new FugusashiError(
      'InvalidRequest',
      'Expected an array of {prompt, model, score} rows (or {rows: [...]})',
      'rows',
    );
  });

  app.post('/v1/feedback/retrain', (_request, reply) =>
    reply.send(retrainResult030(services.feedback.retrain(), services.feedback.stats().outcomes)),
  );
  app.get('/v1/feedback/stats', (_request, reply) =>
    reply.send(feedbackStats030(services.feedback.stats(), services.feedback.rankings(), services.stats())),
  );
  app.get('/v1/feedback/rankings', (_request, reply) =>
    reply.send(rankings030(services.feedback.rankings(), services.stats())),
  );
  done();
};
