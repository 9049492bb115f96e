// OpenAI chat request → Ollama /api/chat request. Pure.
import type { ChatCompletionRequest, ChatMessage } from '../../../shared/openai';

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: { function: { name: string; arguments: unknown } }[];
  tool_name?: string;
}

export interface OllamaRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: unknown[];
  format?: 'json' | Record<string, unknown>;
  options?: { temperature?: number; top_p?: number; num_predict?: number; stop?: string[]; seed?: number };
}

const DATA_URL = /^data:[^;,]+;base64,(.*)$/s;

function parseArguments(args: string): unknown {
  if (!args) return {};
  try {
    return JSON.parse(args);
  } catch {
    return { _raw: args };
  }
}

function splitContent(content: ChatMessage['content']): { text: string; images: string[] } {
  if (content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (part.type === 'text') texts.push(part.text);
    else if (part.type === 'image_url') {
      // Ollama takes raw base64 only; remote image URLs would need a download, which the daemon does not do.
      const m = DATA_URL.exec(part.image_url.url);
      if (m) images.push(m[1]!);
    }
  }
  return { text: texts.join('\n'), images };
}

export function translateMessages(messages: readonly ChatMessage[]): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((m): OllamaMessage => {
    const { text, images } = splitContent(m.content);
    const role = m.role === 'developer' ? 'system' : m.role;
    const out: OllamaMessage = { role, content: text };
    if (images.length) out.images = images;
    if (m.role === 'assistant' && m.tool_calls?.length) {
      out.tool_calls = m.tool_calls.map((c) => {
        toolNames.set(c.id, c.function.name);
        return { function: { name: c.function.name, arguments: parseArguments(c.function.arguments) } };
      });
    }
    if (m.role === 'tool') {
      // Ollama matches results to calls by tool name (it has no call ids).
      const name = (m.tool_call_id && toolNames.get(m.tool_call_id)) || m.name;
      if (name) out.tool_name = name;
    }
    return out;
  });
}

function translateFormat(format: unknown): OllamaRequest['format'] {
  if (!format || typeof format !== 'object') return undefined;
  const f = format as { type?: string; json_schema?: { schema?: Record<string, unknown> } };
  if (f.type === 'json_object') return 'json';
  if (f.type === 'json_schema' && f.json_schema?.schema) return f.json_schema.schema;
  return undefined;
}

export function buildOllamaRequest(request: ChatCompletionRequest, stream: boolean): OllamaRequest {
  const body: OllamaRequest = { model: request.model, messages: translateMessages(request.messages), stream };
  if (request.tools?.length) body.tools = request.tools;
  const format = translateFormat(request.response_format);
  if (format) body.format = format;
  const options: NonNullable<OllamaRequest['options']> = {};
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.top_p !== undefined) options.top_p = request.top_p;
  const maxTokens = request.max_tokens ?? request.max_completion_tokens;
  if (maxTokens !== undefined) options.num_predict = maxTokens;
  if (request.stop !== undefined) options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (Object.keys(options).length) body.options = options;
  return body;
}
