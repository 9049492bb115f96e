// gateway (issue 12): the cascade's cheap checks on an answer (pure): truncation, refusal, JSON
// validity for response_format, and tool calls against the request's tool schemas. A failed check
// makes the cascade escalate to the next model up; the judge model's verdict is the services' part.
import type { ChatCompletionRequest, ToolCall } from '../../shared/openai';

export interface AnswerToCheck {
  content: string | null;
  tool_calls?: readonly ToolCall[] | undefined;
  finish_reason: string | null;
}

export interface CheckResult {
  check: 'truncation' | 'refusal' | 'format' | 'tool_schema' | 'empty' | 'judge';
  passed: boolean;
  detail: string;
}

export type CheapCheck = 'truncation' | 'refusal' | 'format';

const REFUSAL =
  /^\s*(?:i['’]m sorry,? but|i am sorry,? but|sorry,? (?:but )?i can(?:no|['’])t|i can(?:no|['’])t (?:help|assist|comply|provide|do that)|i(?: am|['’]m) (?:unable|not able) to|as an ai(?: language model)?,? i (?:can(?:no|['’])t|am unable|don['’]t))/i;

/** Every cheap check that applies to this request; the first failure is reason enough to escalate. */
export function cheapChecks(
  request: ChatCompletionRequest,
  answer: AnswerToCheck,
  enabled: readonly CheapCheck[],
): CheckResult[] {
  const out: CheckResult[] = [];
  const text = answer.content ?? '';
  const calls = answer.tool_calls ?? [];
  if (!text.trim() && calls.length === 0) out.push({ check: 'empty', passed: false, detail: 'the answer is empty' });
  if (enabled.includes('truncation'))
    out.push(
      answer.finish_reason === 'length'
        ? { check: 'truncation', passed: false, detail: 'cut off at the token limit (finish_reason "length")' }
        : { check: 'truncation', passed: true, detail: 'complete' },
    );
  if (enabled.includes('refusal') && text) {
    const refused = REFUSAL.test(text);
    out.push({
      check: 'refusal',
      passed: !refused,
      detail: refused ? `refused: "${text.slice(0, 60)}"` : 'no refusal',
    });
  }
  if (enabled.includes('format')) {
    const format = formatCheck(request, text, calls.length > 0);
    if (format) out.push(format);
    if (calls.length > 0) out.push(toolCheck(request, calls));
  }
  return out;
}

function formatCheck(request: ChatCompletionRequest, text: string, hasCalls: boolean): CheckResult | null {
  const rf = request.response_format as
    { type?: string; json_schema?: { schema?: { required?: unknown } } } | undefined;
  if (!rf || (rf.type !== 'json_object' && rf.type !== 'json_schema') || hasCalls) return null;
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch {
    return { check: 'format', passed: false, detail: 'response_format asks for JSON; the answer does not parse' };
  }
  if (typeof value !== 'object' || value === null)
    return { check: 'format', passed: false, detail: 'response_format asks for a JSON object' };
  const required = rf.json_schema?.schema?.required;
  if (Array.isArray(required)) {
    const missing = required.filter((k) => typeof k === 'string' && !(k in value));
    if (missing.length) return { check: 'format', passed: false, detail: `JSON lacks required ${missing.join(', ')}` };
  }
  return { check: 'format', passed: true, detail: 'valid JSON' };
}

function toolCheck(request: ChatCompletionRequest, calls: readonly ToolCall[]): CheckResult {
  for (const call of calls) {
    const tool = request.tools?.find((t) => t.function.name === call.function.name);
    if (!tool) return { check: 'tool_schema', passed: false, detail: `called unknown tool "${call.function.name}"` };
    let args: unknown;
    try {
      args = JSON.parse(call.function.arguments || '{}');
    } catch {
      return { check: 'tool_schema', passed: false, detail: `${call.function.name}: arguments are not JSON` };
    }
    const required = (tool.function.parameters as { required?: unknown } | undefined)?.required;
    if (Array.isArray(required) && (typeof args !== 'object' || args === null))
      return { check: 'tool_schema', passed: false, detail: `${call.function.name}: arguments are not an object` };
    const missing = Array.isArray(required)
      ? required.filter((k) => typeof k === 'string' && !(k in (args as object)))
      : [];
    if (missing.length)
      return { check: 'tool_schema', passed: false, detail: `${call.function.name}: missing ${missing.join(', ')}` };
  }
  return { check: 'tool_schema', passed: true, detail: 'tool calls match their schemas' };
}

function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n```\s*$/.exec(text);
  return m ? m[1]! : text;
}
