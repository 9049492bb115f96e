// The RPC door checks its params as the HTTP door does: a chat request (and a dry-run route) with
// the very schema the HTTP door hands fastify (shared/openai.ts), compiled once, the first error
// worded the way the HTTP door words it ("Invalid request: 'messages[0].role' …"); numbers and
// cursors as the HTTP door checks its query strings. Params are input from another process: a
// wrong shape is the client's error (InvalidRequest naming the parameter), never an internal one.
import { Compile } from 'typebox/compile';
import type { RouteParams } from '../../shared/api';
import { FugusashiError } from '../../shared/errors';
import { ChatCompletionRequestSchema, RouteRequestSchema, type ChatCompletionRequest } from '../../shared/openai';
import { defaultModelToAuto } from '../services/default-model';

const chatRequest = Compile(ChatCompletionRequestSchema);
const routeRequest = Compile(RouteRequestSchema);

export function checkChatRequest(value: unknown): ChatCompletionRequest {
  defaultModelToAuto(value);
  if (chatRequest.Check(value)) return value;
  throw schemaError(chatRequest.Errors(value)[0], 'request');
}

export function checkRouteParams(value: unknown): RouteParams {
  if (routeRequest.Check(value)) return value;
  throw schemaError(routeRequest.Errors(value)[0], 'messages');
}

/** A number param, or undefined when absent (null counts as absent, as JSON clients send it). */
export function optionalNumberParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new FugusashiError('InvalidRequest', `Invalid request: '${name}' must be a number`, name);
}

export function optionalStringParam(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw new FugusashiError('InvalidRequest', `Invalid request: '${name}' must be a string`, name);
}

/** The params of a method that takes an object (they may be left out only where the method says so). */
export function paramsObject<T extends object>(value: unknown): T {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as T;
  throw new FugusashiError('InvalidRequest', "Invalid request: 'params' must be an object", 'params');
}

interface SchemaError {
  instancePath?: string;
  message?: string;
  params?: object;
}

function schemaError(first: SchemaError | undefined, whole: string): FugusashiError {
  const missing: unknown =
    first?.params && 'requiredProperties' in first.params ? first.params.requiredProperties : undefined;
  // null when the value itself is not an object: then `whole` names what a caller must send.
  const param = paramName(first?.instancePath ?? '', Array.isArray(missing) ? (missing as unknown[])[0] : undefined);
  return new FugusashiError(
    'InvalidRequest',
    `Invalid request: '${param ?? whole}' ${first?.message ?? 'is invalid'}`,
    param ?? whole,
  );
}

function paramName(instancePath: string, missing: unknown): string | null {
  const parts = instancePath.split('/').filter(Boolean);
  if (typeof missing === 'string') parts.push(missing);
  if (parts.length === 0) return null;
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}
