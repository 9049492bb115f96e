// The RPC door checks a chat request with the very schema the HTTP door hands fastify
// (shared/openai.ts ChatCompletionRequestSchema), compiled once, and words the first error the
// way the HTTP door does: "Invalid request: 'messages[0].role' …".
import { Compile } from 'typebox/compile';
import { FugusashiError } from '../../shared/errors';
import { ChatCompletionRequestSchema, type ChatCompletionRequest } from '../../shared/openai';
import { defaultModelToAuto } from '../services/default-model';

const chatRequest = Compile(ChatCompletionRequestSchema);

export function checkChatRequest(value: unknown): ChatCompletionRequest {
  defaultModelToAuto(value);
  if (chatRequest.Check(value)) return value;
  const first = chatRequest.Errors(value)[0];
  const missing: unknown =
    first?.params && 'requiredProperties' in first.params ? first.params.requiredProperties : undefined;
  const param = paramName(first?.instancePath ?? '', Array.isArray(missing) ? (missing as unknown[])[0] : undefined);
  throw new FugusashiError(
    'InvalidRequest',
    `Invalid request: '${param ?? 'request'}' ${first?.message ?? 'is invalid'}`,
    param ?? 'request',
  );
}

function paramName(instancePath: string, missing: unknown): string | null {
  const parts = instancePath.split('/').filter(Boolean);
  if (typeof missing === 'string') parts.push(missing);
  if (parts.length === 0) return null;
  return parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}
