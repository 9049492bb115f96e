// An OpenAI upstream refusing as structured outputs do: `content: null`, the text in `message.refusal`
// (streamed: `delta.refusal` pieces). Used as a fake's `custom` behaviour: fake.set({ custom: refuse }).
import type http from 'node:http';
import type { FakeRequest } from './server';

export const REFUSAL = "I'm sorry, I can't help with that.";

export function refuse(req: FakeRequest, res: http.ServerResponse): void {
  if (!req.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const message = { role: 'assistant', content: null, refusal: REFUSAL };
    const usage = { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 };
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: req.model, choices: [{ index: 0, message, finish_reason: 'stop' }], usage })); // prettier-ignore
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`; // prettier-ignore
  res.end(
    chunk({ role: 'assistant', content: null, refusal: '' }) +
      chunk({ refusal: "I'm sorry, " }) +
      chunk({ refusal: "I can't help with that." }) +
      chunk({}, 'stop') +
      'data: [DONE]\n\n',
  );
}
