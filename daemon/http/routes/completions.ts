// POST /v1/completions (OpenAI's legacy completions API): a door onto the same chat service, as
// Continue's autocomplete and older OpenAI clients call it. Errors are OpenAI's, as on the chat door.
import type { FastifyPluginCallback } from 'fastify';
import type { Services } from '../../services/types';
import { asciiJson } from '../../../shared/ascii-json';
import {
  CompletionRequestSchema,
  toChatRequest,
  toTextChunk,
  toTextCompletion,
  type CompletionRequest,
} from '../translate/completions';
import { httpRunContext, ROUTING_HEADER, sendSse } from './chat';

export const completionsRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  app.post<{ Body: CompletionRequest }>(
    '/v1/completions',
    { schema: { body: CompletionRequestSchema } },
    async (request, reply) => {
      const chatRequest = toChatRequest(request.body);
      const ctx = httpRunContext(request, reply);

      if (!chatRequest.stream) {
        const completion = await services.chat.complete(chatRequest, ctx);
        if (completion.routing_decision) reply.header(ROUTING_HEADER, asciiJson(completion.routing_decision));
        return toTextCompletion(completion);
      }

      // As on the chat door: failures before the first upstream chunk are a proper error status.
      const stream = await services.chat.stream(chatRequest, ctx);
      await sendSse(reply, stream, toTextChunk, (out) => out.choices.length > 0);
      return reply;
    },
  );
  done();
};
