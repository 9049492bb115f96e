// A fake-upstream hook that plays a model using one tool, for client round-trip tests: asked with tools
// and no tool result yet, it calls `get_weather({city: "Paris"})`; once the conversation ends with the
// tool's result it answers `The weather tool said: <result>`. Works for OpenAI and Anthropic bodies.
//
//   d.fakes['model-b'].hook = weatherToolHook;
import type { FakeBehaviour, FakeRequest } from './server';

export const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
} as const;

export const WEATHER_ARGS = { city: 'Paris' };
export const WEATHER_RESULT = 'sunny, 21 °C';
export const FINAL_ANSWER = `The weather tool said: ${WEATHER_RESULT}`;

/** The text of the tool result that ends the conversation (OpenAI `tool` message or Anthropic tool_result). */
export function trailingToolResult(body: any): string | undefined {
  const last = Array.isArray(body?.messages) ? body.messages[body.messages.length - 1] : undefined;
  if (last?.role === 'tool') return typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
  if (last?.role === 'user' && Array.isArray(last.content)) {
    const result = last.content.find((b: any) => b?.type === 'tool_result');
    if (result) return typeof result.content === 'string' ? result.content : JSON.stringify(result.content);
  }
  return undefined;
}

export function weatherToolHook(req: FakeRequest): FakeBehaviour | undefined {
  const hasTools = Array.isArray(req.body?.tools) && req.body.tools.length > 0;
  const result = trailingToolResult(req.body);
  if (result !== undefined) return { text: `The weather tool said: ${result}` };
  if (hasTools) return { toolCalls: [{ name: WEATHER_TOOL.name, arguments: WEATHER_ARGS }] };
  return undefined;
}
