// How long an upstream may take to send its first byte. Streamed answers of models that answer as
// they go start within seconds, so a short wait (routing.first_byte_timeout_ms, 60 s) finds a hung
// upstream quickly and falls through to the next model. Two kinds of answer legitimately start much
// later, and the short wait failed them with a 502 (and counted the failure toward the model's
// cooldown): a non-streamed answer, whose first byte is the whole answer (a long answer, a slow
// local model), and a model that reasons before it writes (OpenAI's o-series and gpt-5, DeepSeek
// R1, a request asking for a reasoning effort), whose first content can be minutes away. Those get the
// answer's wait, 600 s by default: LiteLLM's and the OpenAI SDK's own request timeout.
import type { ModelConfig } from '../../shared/config';
import { isOpenAIReasoningModel } from '../providers/openai-compatible';

/** Other model ids (after any "vendor/" prefix) that reason before their first content token. */
const ALSO_REASONS_FIRST = /^(deepseek-r1|deepseek-reasoner|qwq)/;

export interface FirstByteWaits {
  /** routing.first_byte_timeout_ms (default 60 s). */
  firstByteTimeoutMs: number;
  /** The wait for answers that start late (default 600 s; first_byte_timeout_ms when the config sets it). */
  answerTimeoutMs: number;
}

export function firstByteWaitMs(
  waits: FirstByteWaits,
  config: Pick<ModelConfig, 'model'>,
  request: object,
  streamed: boolean,
): number {
  if (!streamed || reasonsFirst(config.model, request))
    return Math.max(waits.answerTimeoutMs, waits.firstByteTimeoutMs);
  return waits.firstByteTimeoutMs;
}

function reasonsFirst(model: string, request: object): boolean {
  // A reasoning effort asked for (the Responses door forwards reasoning.effort as this) says so too.
  // (Anthropic's extended thinking streams its thinking: its first byte comes early.)
  const effort = (request as { reasoning_effort?: unknown }).reasoning_effort;
  if (effort !== undefined && effort !== 'none') return true;
  const id = model.toLowerCase().replace(/^.*\//, '');
  return isOpenAIReasoningModel(id) || ALSO_REASONS_FIRST.test(id);
}
