// VS Code's own language models (vscode.lm, e.g. a Copilot plan's) as pool members of provider
// `vscode-lm`: this window tells the daemon which models it offers, and runs them when the daemon
// asks (fugusashi/vscodeLmChat), streaming text back as fugusashi/vscodeLmChunk.
import * as vscode from 'vscode';
import type { ChatMessage } from '../shared/openai';
import {
  VscodeLmChatRequest,
  VscodeLmChunkNotification,
  VscodeLmModelsNotification,
  type VscodeLmModelInfo,
} from '../shared/protocol';
import type { Ctx } from './ctx';
import { LM_VENDOR } from './ids';
import type { DaemonRpc } from './rpc';

/** Our own provider's models are never offered back to the daemon (that would loop). */
export function poolableModels(models: readonly vscode.LanguageModelChat[]): VscodeLmModelInfo[] {
  return models
    .filter((m) => m.vendor !== LM_VENDOR)
    .map((m) => ({ id: m.id, vendor: m.vendor, family: m.family, name: m.name, maxInputTokens: m.maxInputTokens }));
}

function toLmMessages(messages: readonly ChatMessage[]): vscode.LanguageModelChatMessage[] {
  return messages.map((m) => {
    const text =
      typeof m.content === 'string'
        ? m.content
        : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
    // vscode.lm has no system role: system/developer text goes in as a user turn.
    return m.role === 'assistant'
      ? vscode.LanguageModelChatMessage.Assistant(text)
      : vscode.LanguageModelChatMessage.User(m.role === 'user' ? text : `[${m.role}] ${text}`);
  });
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
        const response = await model.sendRequest(
          toLmMessages(params.messages),
          { justification: 'Fugusashi routes this request to this model (provider vscode-lm in your pool).' },
          cts.token,
        );
        let text = '';
        // The daemon gone mid-answer makes the sends fail: stop the model (it would go on spending
        // the user's quota for nobody) and keep the failure from being an unhandled rejection.
        let daemonGone = false;
        for await (const piece of response.text) {
          if (daemonGone) break;
          text += piece;
          rpc.sendNotification(VscodeLmChunkNotification, { streamId: params.streamId, text: piece }).catch(() => {
            daemonGone = true;
            cts.cancel();
          });
        }
        return { text };
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
