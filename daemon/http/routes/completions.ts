// POST /v1/completions (OpenAI's legacy completions API): a door onto the same chat service, as
// Continue's autocomplete and older OpenAI clients call it. Errors are OpenAI's, as on the chat door.
import type { FastifyPluginCallback } from 'fastify';
import type { Services } from '../../services/types';
import { toHttpError } from '../errors';
import { asciiJson, sendHeldWrites, SSE_HEADERS, writeEvent } from '../sse';
import {
  CompletionRequestSchema,
  toChatRequest,
  toTextChunk,
  toTextCompletion,
  type CompletionRequest,
} from '../translate/completions';
import { httpRunContext, ROUTING_HEADER } from './chat';

export const completionsRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  app.post<{ Body: CompletionRequest }>(
    '/v1/completions',
    { schema: { body: CompletionRequestSchema } },
    async (request, reply) => {
      const chatRequest = toChatRequest(request.body);
      const res = reply.raw;
      const ctx = httpRunContext(request, reply);

      if (!chatRequest.stream) {
        const completion = await services.chat.complete(chatRequest, ctx);
        if (completion.routing_decision) reply.header(ROUTING_HEADER, asciiJson(completion.routing_decision));
        return toTextCompletion(completion);
      }

      // As on the chat door: failures before the first upstream chunk are a proper error status.
      const stream = await services.chat.stream(chatRequest, ctx);
      reply.hijack();
      res.writeHead(200, {
        ...SSE_HEADERS,
        [ROUTING_HEADER]: asciiJson(stream.decision),
        'x-fugusashi-model': stream.answeredBy,
        'x-request-id': stream.id,
      });
      try {
        let answerStarted = false;
        for await (const chunk of stream.chunks) {
          if (res.destroyed) break;
          const out = toTextChunk(chunk);
          if (!out) continue;
          const pending = writeEvent(res, JSON.stringify(out));
          if (!answerStarted && out.choices.length > 0) {
            answerStarted = true;
            sendHeldWrites(res);
          }
          if (pending) await pending;
        }
        if (!res.destroyed) res.end('data: [DONE]\n\n');
      } catch (err) {
        // Bytes already went out: no fallback possible, tell the client in-band.
        if (!res.destroyed) {
          res.write(`data: ${JSON.stringify(toHttpError(err).body)}\n\n`);
          res.end('data: [DONE]\n\n');
        }
      }
      return reply;
    },
  );
  done();
};
