// POST /v1/messages (Anthropic Messages API) and POST /v1/messages/count_tokens: a second door onto the
// same chat service, so Claude Code and the Anthropic SDKs (ANTHROPIC_BASE_URL=http://127.0.0.1:6060)
// are routed across any pool. Errors, including the guard's 401/403, leave in Anthropic's format.
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import {
  CountTokensRequestSchema,
  MessagesRequestSchema,
  type AnthropicStreamEventOut,
  type CountTokensRequest,
  type DoorRoutingDecision,
  type MessagesRequest,
} from '../../../shared/anthropic-messages';
import type { OpenAIErrorBody, RoutingDecision } from '../../../shared/openai';
import { isAutoModel } from '../../services/routing';
import { laterDecision, type Services } from '../../services/types';
import { toHttpError } from '../errors';
import { eventsCarryAnswer, writeNamedEvents } from '../named-sse';
import { asciiJson } from '../../../shared/ascii-json';
import { FugusashiError } from '../../../shared/errors';
import { sendHeldWrites, writeSseHead } from '../sse';
import {
  anthropicError,
  anthropicStreamError,
  estimateCountTokens,
  estimateInputTokens,
  MessagesStreamTranslator,
  toAnthropicMessage,
  toChatRequest,
} from '../translate/messages';
import { httpRunContext, ROUTING_HEADER } from './chat';

/**
 * Which model to route. Claude Code sends Claude model ids (its main model, and a Haiku model for
 * background work such as titles); a pool rarely holds those names, so a `claude*` id that is not a
 * pool model is routed as `auto` (Haiku ids as `auto:cost`, matching what the client asked for: cheap
 * and fast) and the decision says so. Any other unknown name is an error, as on the OpenAI door.
 */
export function mapModel(requested: string, poolNames: () => readonly string[]): { model: string; note?: string } {
  if (isAutoModel(requested) || !/^claude/i.test(requested) || poolNames().includes(requested)) {
    return { model: requested };
  }
  const model = /haiku/i.test(requested) ? 'auto:cost' : 'auto';
  return { model, note: `"${requested}" is not a pool model, so the request was routed as "${model}".` };
}

function annotate(decision: RoutingDecision, requested: string, note: string | undefined): DoorRoutingDecision {
  if (!note) return decision;
  return { ...decision, requested_model: requested, explanation: `${note} ${decision.explanation}` };
}

function isOpenAIError(value: unknown): value is OpenAIErrorBody {
  const body = value as (OpenAIErrorBody & { type?: unknown }) | null;
  const error = body?.error;
  return body?.type !== 'error' && !!error && typeof error === 'object' && typeof error.message === 'string';
}

export const messagesRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  const poolNames = (): string[] => services.models().map((m) => m.id);

  // The app-wide guard (token, Host) and error handler answer in OpenAI's shape (and the handler logs
  // internal errors); the Anthropic SDKs read `type: 'error'` and `error.type`, so every error body
  // leaving this plugin is re-shaped on the way out.
  // Callback style: no promise per request on the hot path.
  app.addHook('preSerialization', (_request, reply, payload, next) => {
    if (reply.statusCode >= 400 && isOpenAIError(payload)) {
      next(null, anthropicError({ status: reply.statusCode, body: payload }));
    } else next(null, payload);
  });

  app.post<{ Body: MessagesRequest }>(
    '/v1/messages',
    { schema: { body: MessagesRequestSchema } },
    async (request, reply) => {
      const body = request.body;
      const { model, note } = mapModel(body.model, poolNames);
      const chatRequest = toChatRequest(body, model);
      const res = reply.raw;
      const ctx = httpRunContext(request, reply);

      if (!body.stream) {
        const completion = await services.chat.complete(chatRequest, ctx);
        const decision = completion.routing_decision && annotate(completion.routing_decision, body.model, note);
        if (decision) reply.header(ROUTING_HEADER, asciiJson(decision));
        // As Anthropic (and the stream below) do: the SDKs read it as the answer's `_request_id`.
        reply.header('request-id', completion.id);
        return toAnthropicMessage(completion, decision);
      }

      // As on the chat door: failures before the first upstream chunk are a proper error status.
      const stream = await services.chat.stream(chatRequest, ctx);
      const decision = annotate(stream.decision, body.model, note);
      reply.hijack();
      writeSseHead(res, [
        ROUTING_HEADER,
        (decision === stream.decision && stream.decisionJson) || asciiJson(decision),
        'x-fugusashi-model',
        stream.answeredBy,
        'request-id',
        stream.id,
      ]);
      const translator = new MessagesStreamTranslator(
        stream.id,
        stream.answeredBy,
        decision,
        estimateInputTokens(chatRequest.messages, chatRequest.tools),
      );
      const events: AnthropicStreamEventOut[] = [translator.start()];
      try {
        let answerStarted = false;
        for await (const chunk of stream.chunks) {
          if (res.destroyed) break;
          const later = laterDecision(stream, chunk);
          if (later) translator.decided(annotate(later, body.model, note));
          translator.push(chunk, events);
          const pending = writeNamedEvents(res, events);
          // As on the chat door: the start events and the first piece of the answer leave now, together.
          if (!answerStarted && eventsCarryAnswer(events)) {
            answerStarted = true;
            sendHeldWrites(res);
          }
          events.length = 0;
          if (pending) await pending;
        }
        translator.end(events);
        if (!res.destroyed) {
          void writeNamedEvents(res, events);
          res.end();
        }
      } catch (err) {
        // Bytes already went out: report in-band with Anthropic's `error` event.
        if (!res.destroyed) {
          const details = err instanceof FugusashiError ? err.details : undefined;
          void writeNamedEvents(res, [anthropicStreamError(toHttpError(err), details)]);
          res.end();
        }
      }
      return reply;
    },
  );

  app.post<{ Body: CountTokensRequest }>(
    '/v1/messages/count_tokens',
    { schema: { body: CountTokensRequestSchema } },
    (request, reply) => {
      // An estimate (~4 characters a token): pool models tokenise differently, none is authoritative.
      return reply.send({ input_tokens: estimateCountTokens(request.body) });
    },
  );
  // Anthropic endpoints the door does not offer (batches, …): answered here so the 404 leaves through
  // the hook above in Anthropic's shape, not as the app's not-found answer in OpenAI's.
  const notOffered = (request: FastifyRequest): never => {
    throw new FugusashiError('NotFound', `No route ${request.method} ${request.url.split('?')[0]}`);
  };
  app.all('/v1/messages/*', notOffered);
  // Every method but POST, OPTIONS and HEAD included (HEAD named, not left to fastify's GET-derived
  // route): left out, they reached the app's not-found answer, in OpenAI's shape.
  app.route({ method: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/v1/messages', handler: notOffered });
  done();
};
