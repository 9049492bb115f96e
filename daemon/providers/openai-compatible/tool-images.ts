// OpenAI's chat API takes images only in user messages: a `tool` message holding an image part is a
// 400 ("Image URLs are only allowed for messages with role 'user'"). Clients do send them: Claude
// Code's Read tool returns a screenshot as an image block inside its tool_result, which the Messages
// door carries over as a tool message, and a Responses function_call_output may hold input_image.
// So, for OpenAI-compatible upstreams only, each tool message keeps its text and its images move to
// one user message right after the run of tool messages (tool results must directly follow the
// assistant's tool calls; a user turn after them is allowed).
import type { ChatMessage, ContentPart } from '../../../shared/openai';

const hasImage = (m: ChatMessage): boolean =>
  m.role === 'tool' && Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url');

/** `messages` itself when no tool message holds an image (the common case costs one scan). */
export function moveToolImagesToUserTurn(messages: ChatMessage[]): ChatMessage[] {
  if (!messages.some(hasImage)) return messages;
  const out: ChatMessage[] = [];
  let images: ContentPart[] = [];
  messages.forEach((m, i) => {
    if (hasImage(m)) {
      const parts = m.content as ContentPart[];
      const text = parts.filter((p) => p.type !== 'image_url');
      images.push(...parts.filter((p) => p.type === 'image_url'));
      out.push({
        ...m,
        content: text.length > 0 ? text : 'The tool returned an image; it follows in the next message.',
      });
    } else out.push(m);
    if (images.length > 0 && messages[i + 1]?.role !== 'tool') {
      out.push({
        role: 'user',
        content: [{ type: 'text', text: 'Image(s) returned by the tool call(s) above:' }, ...images],
      });
      images = [];
    }
  });
  return out;
}
