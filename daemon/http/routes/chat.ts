// POST /v1/chat/completions: the hot path. Validation is a compiled TypeBox check; everything
// else is the chat service. A client that disconnects aborts the upstream call.
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { TSchema } from 'typebox';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  ChatCompletionRequestSchema,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
} from '../../../shared/openai';
import type { RunContext } from '../../services/ports';
import type { Services } from '../../services/types';
import { ClientDisconnect } from '../client-disconnect';
import { toHttpError } from '../errors';
import { asciiJson } from '../../../shared/ascii-json';
import { sendHeldWrites, writeEvent, writeSseHead } from '../sse';
import { defaultModelToAuto } from '../../services/default-model';

export const ROUTING_HEADER = 'x-fugusashi-routing';

/**
 * What every HTTP chat door (chat completions, Responses, Messages) hands the chat service: a signal
 * that aborts when the client goes away, and the request's Cache-Control (no-cache / no-store).
 */
export function httpRunContext(request: FastifyRequest, reply: FastifyReply): RunContext {
  return {
    signal: new ClientDisconnect(reply.raw),
    source: 'http',
    cacheControl: request.headers['cache-control'],
    client: httpClient(request),
  };
}

/**
 * Who sent an HTTP request, as far as it says: its API key (Authorization or x-api-key, which
 * clients send even when the daemon needs none) and the OpenAI `user` field. Hashed, so the id
 * holds no key material; requests that carry neither are one anonymous client.
 */
function httpClient(request: FastifyRequest): string {
  const key = request.headers.authorization ?? request.headers['x-api-key'] ?? '';
  const body = request.body as { user?: unknown } | undefined;
  const user = typeof body?.user === 'string' ? body.user : '';
  return `http:${createHash('sha256').update(String(key)).update('\u0000').update(user).digest('base64url')}`;
}

export const chatRoutes: FastifyPluginCallback<{ services: Services }> = (app, { services }, done) => {
  app.post<{ Body: ChatCompletionRequest }>(
    '/v1/chat/completions',
    {
      schema: { body: ChatCompletionRequestSchema },
      validatorCompiler: withDefaultModel,
    },
    async (request, reply) => {
      const body = request.body;
      const ctx = httpRunContext(request, reply);

      if (!body.stream) {
        const completion = await services.chat.complete(body, ctx);
        if (completion.routing_decision) reply.header(ROUTING_HEADER, asciiJson(completion.routing_decision));
        return completion;
      }

      // Errors up to the first upstream chunk (all candidates failed, unknown model…) still get a
      // proper JSON error with its status: the stream resolves only once an answer has started.
      const stream = await services.chat.stream(body, ctx);
      await sendSse(reply, stream, (chunk) => chunk, carriesAnswer);
      return reply;
    },
  );
  done();
};

/**
 * The shared schema's check, after a body without `model` got "auto" (defaultModelToAuto, as every
 * door does first). In the route's validator rather than a preValidation hook: the chat door runs it
 * on every request, and a hook costs a pass of fastify's hook runner each time.
 */
const withDefaultModel: FastifySchemaCompiler<TSchema> = (route) => {
  const check = TypeBoxValidatorCompiler(route);
  return (body) => {
    defaultModelToAuto(body);
    return check(body);
  };
};

/** What the chat service's stream() resolves to once an answer has started. */
type ChatStream = Awaited<ReturnType<Services['chat']['stream']>>;

/**
 * Takes the response over from fastify and sends the SSE status and headers of a started stream
 * (its routing decision, the model answering, the request id), as the OpenAI-style doors do.
 */
export function startStreamedAnswer(reply: FastifyReply, stream: ChatStream): ServerResponse {
  const res = reply.raw;
  reply.hijack();
  writeSseHead(res, [
    ROUTING_HEADER,
    stream.decisionJson ?? asciiJson(stream.decision),
    'x-fugusashi-model',
    stream.answeredBy,
    'x-request-id',
    stream.id,
  ]);
  return res;
}

/**
 * Sends a started chat stream as OpenAI-style SSE (the chat and legacy completions doors): the
 * routing headers, each chunk as `translate` renders it (null or undefined: nothing to send), `[DONE]`.
 * The headers, the role chunk and the first piece of the answer (`carries`) leave in one write.
 */
export async function sendSse<T>(
  reply: FastifyReply,
  stream: ChatStream,
  translate: (chunk: ChatCompletionChunk) => T | null | undefined,
  carries: (out: T) => boolean,
): Promise<void> {
  const res = startStreamedAnswer(reply, stream);
  try {
    let answerStarted = false;
    for await (const chunk of stream.chunks) {
      if (res.destroyed) break;
      const out = translate(chunk);
      if (out == null) continue;
      const pending = writeEvent(res, JSON.stringify(out));
      if (!answerStarted && carries(out)) {
        answerStarted = true;
        sendHeldWrites(res);
      }
      if (pending) await pending;
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  } catch (err) {
    // The upstream failed after bytes went out: no fallback possible, tell the client in-band.
    if (!res.destroyed) {
      res.write(`data: ${JSON.stringify(toHttpError(err).body)}\n\n`);
      res.end('data: [DONE]\n\n');
    }
  }
}

/** True when a chunk carries part of the answer (text, a tool call, a refusal, the finish). */
function carriesAnswer(chunk: ChatCompletionChunk): boolean {
  const choice = chunk.choices[0];
  if (!choice) return false;
  const delta = choice.delta as (typeof choice.delta & { refusal?: unknown }) | undefined;
  return !!(choice.finish_reason || delta?.content || delta?.tool_calls?.length || delta?.refusal);
}
