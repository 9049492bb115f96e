// POST /v1/responses (OpenAI Responses API), GET/DELETE /v1/responses/{id}: a door onto the same chat
// service for clients that speak Responses (the Vercel AI SDK's default openai provider, LangChain's
// useResponsesApi, client.responses). Errors use OpenAI's JSON, as on /v1/chat/completions.
import type { FastifyPluginCallback } from 'fastify';
import { FugusashiError } from '../../../shared/errors';
import { ResponsesRequestSchema, type ResponseStreamEvent, type ResponsesRequest } from '../../../shared/responses';
import { laterDecision, type Services } from '../../services/types';
import { toHttpError } from '../errors';
import { eventsCarryAnswer, writeNamedEvents } from '../named-sse';
import { ResponseStore } from '../responses-store';
import { asciiJson } from '../../../shared/ascii-json';
import { currentUser, currentViewer } from '../../team/request-context';
import { sendHeldWrites } from '../sse';
import { responseShell, ResponsesStreamTranslator, toChatRequest, toResponseObject } from '../translate/responses';
import { httpRunContext, ROUTING_HEADER, startStreamedAnswer } from './chat';
import { inputItemsOf, inputItemsPage, type InputItemsQuery } from './responses-input-items';

export const responsesRoutes: FastifyPluginCallback<{ services: Services; store?: ResponseStore }> = (
  app,
  { services, store = new ResponseStore() },
  done,
) => {
  // Team mode: a user's key sees and chains on its user's stored responses only (currentViewer).
  const lookup = (id: string): Record<string, unknown> | undefined => store.item(id, currentViewer());

  app.post<{ Body: ResponsesRequest }>(
    '/v1/responses',
    { schema: { body: ResponsesRequestSchema } },
    async (request, reply) => {
      const body = request.body;
      const history = body.previous_response_id ? store.history(body.previous_response_id, currentViewer()) : [];
      const { chat, turn } = toChatRequest(body, history, lookup);
      const keep = body.store !== false;
      const res = reply.raw;
      const ctx = httpRunContext(request, reply);

      if (!body.stream) {
        const completion = await services.chat.complete(chat, ctx);
        const response = toResponseObject(body, completion);
        if (keep) store.put(response, turn, inputItemsOf(body.input), currentUser());
        if (completion.routing_decision) reply.header(ROUTING_HEADER, asciiJson(completion.routing_decision));
        return response;
      }

      // Failures before the first upstream chunk still get a JSON error with its status.
      const stream = await services.chat.stream(chat, ctx);
      startStreamedAnswer(reply, stream);
      const translator = new ResponsesStreamTranslator(
        responseShell(body, stream.id, stream.answeredBy, stream.decision),
      );
      const events: ResponseStreamEvent[] = [];
      translator.start(events);
      try {
        let answerStarted = false;
        for await (const chunk of stream.chunks) {
          if (res.destroyed) break;
          const later = laterDecision(stream, chunk);
          if (later) translator.decided(chunk.model, later);
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
        if (!res.destroyed) {
          const response = translator.end(events);
          if (keep) store.put(response, turn, inputItemsOf(body.input), currentUser());
          void writeNamedEvents(res, events);
          res.end();
        }
      } catch (err) {
        if (!res.destroyed) {
          const mapped = toHttpError(err);
          translator.fail(events, mapped.status, mapped.body.error);
          void writeNamedEvents(res, events);
          res.end();
        }
      }
      return reply;
    },
  );

  app.get<{ Params: { id: string } }>('/v1/responses/:id', (request, reply) => {
    const response = store.get(request.params.id, currentViewer());
    if (!response) throw new FugusashiError('NotFound', `No stored response '${request.params.id}'.`, 'response_id');
    return reply.send(response);
  });

  app.get<{ Params: { id: string }; Querystring: InputItemsQuery }>(
    '/v1/responses/:id/input_items',
    (request, reply) => {
      const items = store.inputItems(request.params.id, currentViewer());
      if (!items) throw new FugusashiError('NotFound', `No stored response '${request.params.id}'.`, 'response_id');
      return reply.send(inputItemsPage(items, request.query));
    },
  );

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', (request, reply) => {
    if (!store.delete(request.params.id, currentViewer())) {
      throw new FugusashiError('NotFound', `No stored response '${request.params.id}'.`, 'response_id');
    }
    return reply.send({ id: request.params.id, object: 'response', deleted: true });
  });
  done();
};
