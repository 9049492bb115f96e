// VS Code's own language models (vscode.lm, e.g. a Copilot plan's) as pool members of provider
// `vscode-lm`: this window tells the daemon which models it offers, and runs them when the daemon
// asks (fugusashi/vscodeLmChat), streaming text and tool calls back as fugusashi/vscodeLmChunk.
// The daemon's request is OpenAI-shaped: its tools, tool_choice, tool calls and tool results become
// vscode.lm's tools, tool mode and tool parts here, and the model's tool-call parts go back as
// OpenAI tool calls (the daemon hands them to whichever door the request came in by).
import * as vscode from 'vscode';
import type { ChatMessage, Tool, ToolCall } from '../shared/openai';
import {
  VscodeLmChatRequest,
  VscodeLmChunkNotification,
  VscodeLmModelsNotification,
  type VscodeLmModelInfo,
} from '../shared/protocol';
import type { Ctx } from './ctx';
import { LM_VENDOR } from './ids';
import { isToolCallPart, toolCall } from './lm/messages';
import { parseToolInput } from './lm/toolCalls';
import type { DaemonRpc } from './rpc';

/** Our own provider's models are never offered back to the daemon (that would loop). */
export function poolableModels(models: readonly vscode.LanguageModelChat[]): VscodeLmModelInfo[] {
  return models
    .filter((m) => m.vendor !== LM_VENDOR)
    .map((m) => ({ id: m.id, vendor: m.vendor, family: m.family, name: m.name, maxInputTokens: m.maxInputTokens }));
}

function contentText(content: ChatMessage['content']): string {
  return typeof content === 'string' ? content : (content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/**
 * LanguageModelDataPart (VS Code ≥ 1.105; this package builds against the 1.104 API, so it is looked
 * up at run time): how an image reaches a VS Code language model.
 */
interface DataPartApi {
  image(data: Uint8Array, mimeType: string): unknown;
}
function dataPartApi(): DataPartApi | undefined {
  const api = (vscode as unknown as { LanguageModelDataPart?: Partial<DataPartApi> }).LanguageModelDataPart;
  return typeof api?.image === 'function' ? (api as DataPartApi) : undefined;
}

/**
 * A `data:image/…;base64,…` URL → its bytes and mime type (undefined for any other URL). Parameters
 * before `;base64` (`;name=shot.png`, `;charset=…`) are allowed, as RFC 2397 allows them.
 */
export function decodeDataUrl(url: string): { mimeType: string; data: Uint8Array } | undefined {
  const m = /^data:(image\/[\w.+-]+)(?:;[^;,]*)*?;base64,(.*)$/is.exec(url);
  if (!m?.[1] || m[2] === undefined) return undefined;
  return { mimeType: m[1].toLowerCase(), data: new Uint8Array(Buffer.from(m[2], 'base64')) };
}

/**
 * How an image that cannot be sent as bytes is named in the text: a web URL as itself; a data URL
 * this bridge cannot decode (not base64, such as `data:image/svg+xml,<svg…>`, or not an image type)
 * by its type alone, since its payload as text would fill the model's window with base64.
 */
function imageNote(url: string): string {
  if (!/^data:/i.test(url)) return `[image: ${url}]`;
  const type = /^data:([^;,]*)/i.exec(url)?.[1] || 'unknown type';
  return `[an image (${type}) left out: its data URL could not be decoded]`;
}

/**
 * A user turn's parts in order: text as text parts, images as LanguageModelDataParts. An image this
 * VS Code cannot pass on (no data parts, or a web URL: a VS Code model is sent bytes, not links) is
 * named in the text, so the model and the answer do not silently ignore it.
 */
function userParts(content: ChatMessage['content'], prefix: string): LmPart[] {
  if (typeof content === 'string' || !content) return [new vscode.LanguageModelTextPart(prefix + (content ?? ''))];
  const DataPart = dataPartApi();
  const parts: LmPart[] = [];
  let text = prefix;
  const flush = () => {
    if (text) parts.push(new vscode.LanguageModelTextPart(text));
    text = '';
  };
  for (const p of content) {
    if (p.type === 'text') {
      text += p.text;
      continue;
    }
    const image = decodeDataUrl(p.image_url.url);
    if (image && DataPart) {
      flush();
      parts.push(DataPart.image(image.data, image.mimeType) as LmPart);
    } else {
      text += image
        ? `[an image (${image.mimeType}) left out: this VS Code cannot send images to its language models]`
        : imageNote(p.image_url.url);
    }
  }
  flush();
  return parts.length > 0 ? parts : [new vscode.LanguageModelTextPart('')];
}

/** A call's arguments as the object LanguageModelToolCallPart takes. */
function callInput(call: ToolCall): object {
  try {
    return parseToolInput(call.function.name, call.function.arguments);
  } catch {
    // A call in the history whose arguments were not JSON: the turn is kept, with no arguments.
    return {};
  }
}

type LmPart = vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart | vscode.LanguageModelToolResultPart;

/**
 * OpenAI messages → vscode.lm messages: an assistant's `tool_calls` become LanguageModelToolCallParts
 * in its turn, and the `role: 'tool'` results after it one user turn of LanguageModelToolResultParts,
 * as vscode.lm wants them. vscode.lm has no system role: system/developer text goes in as a user turn.
 * A user's images (`image_url` data URLs) become LanguageModelDataParts (userParts).
 */
export function toLmMessages(messages: readonly ChatMessage[]): vscode.LanguageModelChatMessage[] {
  const turns: { role: 'user' | 'assistant' | 'tool'; parts: LmPart[] }[] = [];
  for (const m of messages) {
    const text = contentText(m.content);
    if (m.role === 'assistant') {
      const parts: LmPart[] = text ? [new vscode.LanguageModelTextPart(text)] : [];
      for (const call of m.tool_calls ?? [])
        parts.push(new vscode.LanguageModelToolCallPart(call.id, call.function.name, callInput(call)));
      turns.push({ role: 'assistant', parts });
    } else if (m.role === 'tool') {
      const result = new vscode.LanguageModelToolResultPart(m.tool_call_id ?? '', [
        new vscode.LanguageModelTextPart(text),
      ]);
      const last = turns.at(-1);
      if (last?.role === 'tool') last.parts.push(result);
      else turns.push({ role: 'tool', parts: [result] });
    } else {
      turns.push({ role: 'user', parts: userParts(m.content, m.role === 'user' ? '' : `[${m.role}] `) });
    }
  }
  return turns.map((t) =>
    t.role === 'assistant'
      ? vscode.LanguageModelChatMessage.Assistant(
          t.parts.length > 0
            ? (t.parts as (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[])
            : [new vscode.LanguageModelTextPart('')],
        )
      : vscode.LanguageModelChatMessage.User(
          t.parts as (vscode.LanguageModelTextPart | vscode.LanguageModelToolResultPart)[],
        ),
  );
}

/**
 * The request's tools and OpenAI tool_choice → sendRequest options: "none" sends no tools,
 * "required" is toolMode Required, one named function is that tool alone with Required (vscode.lm
 * cannot force a tool by name), anything else Auto. `max_tokens` is the model option VS Code's
 * models (and our own provider, see lm/messages.ts modelOptionsRequest) read for the length.
 */
export function lmRequestOptions(params: {
  tools?: readonly Tool[];
  toolChoice?: unknown;
  maxTokens?: number;
}): vscode.LanguageModelChatRequestOptions {
  const options: vscode.LanguageModelChatRequestOptions = {
    justification: 'Fugusashi routes this request to this model (provider vscode-lm in your pool).',
  };
  if (params.maxTokens !== undefined) options.modelOptions = { max_tokens: params.maxTokens };
  const choice = params.toolChoice;
  if (!params.tools?.length || choice === 'none') return options;
  const forced =
    typeof choice === 'object' && choice !== null
      ? (choice as { function?: { name?: unknown } }).function?.name
      : undefined;
  const named = params.tools.filter((t) => t.function.name === forced);
  // A forced name that is not among the tools: all of them, still Required (never an empty list).
  const tools = named.length > 0 ? named : params.tools;
  options.tools = tools.map((t) => ({
    name: t.function.name,
    description: t.function.description ?? '',
    inputSchema: t.function.parameters ?? { type: 'object', properties: {} },
  }));
  options.toolMode =
    choice === 'required' || typeof forced === 'string'
      ? vscode.LanguageModelChatToolMode.Required
      : vscode.LanguageModelChatToolMode.Auto;
  return options;
}

/**
 * The text of a response part: LanguageModelTextPart only (as `response.text` reads it), so that
 * other parts with a `value`, e.g. a model's thinking, never end up in the answer.
 */
function partText(part: unknown): string {
  return part instanceof vscode.LanguageModelTextPart ? part.value : '';
}

export function registerVscodeLmBridge(ctx: Ctx): vscode.Disposable {
  const announce = async (rpc: DaemonRpc) => {
    try {
      const models = poolableModels(await vscode.lm.selectChatModels());
      await rpc.sendNotification(VscodeLmModelsNotification, { models });
    } catch (err) {
      ctx.output.warn(`vscode-lm: could not list models (${err instanceof Error ? err.message : String(err)})`);
    }
  };
  ctx.onClient((rpc) => [
    rpc.onRequest(VscodeLmChatRequest, async (params, token) => {
      const [model] = await vscode.lm.selectChatModels({ id: params.modelId });
      if (!model || model.vendor === LM_VENDOR)
        throw new Error(`VS Code language model ${params.modelId} is not available in this window`);
      const cts = new vscode.CancellationTokenSource();
      const cancel = token.onCancellationRequested(() => cts.cancel());
      try {
        const response = await model.sendRequest(toLmMessages(params.messages), lmRequestOptions(params), cts.token);
        let text = '';
        const toolCalls: ToolCall[] = [];
        // The daemon gone mid-answer makes the sends fail: stop the model (it would go on spending
        // the user's quota for nobody) and keep the failure from being an unhandled rejection.
        let daemonGone = false;
        const send = (chunk: { text: string; toolCalls?: ToolCall[] }) =>
          rpc.sendNotification(VscodeLmChunkNotification, { streamId: params.streamId, ...chunk }).catch(() => {
            daemonGone = true;
            cts.cancel();
          });
        for await (const part of response.stream) {
          if (daemonGone) break;
          if (isToolCallPart(part)) {
            const call = toolCall(part);
            toolCalls.push(call);
            void send({ text: '', toolCalls: [call] });
            continue;
          }
          const piece = partText(part);
          if (!piece) continue;
          text += piece;
          void send({ text: piece });
        }
        return toolCalls.length > 0 ? { text, toolCalls } : { text };
      } finally {
        cancel.dispose();
        cts.dispose();
      }
    }),
  ]);
  return vscode.Disposable.from(
    ctx.onDidConnect((rpc) => void announce(rpc)),
    vscode.lm.onDidChangeChatModels(() => {
      void ctx.rpc(5000).then(announce, () => undefined);
    }),
  );
}
