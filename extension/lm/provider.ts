// Language-model provider (vendor "fugusashi"): "Fugusashi Auto" and the pool's models in VS Code's
// model picker, so any chat or extension using vscode.lm gets auto-routing through the daemon.
import * as vscode from 'vscode';
import type { ChatCompletionRequest } from '../../shared/openai';
import { ModelsRequest, StatusNotification } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { LM_VENDOR } from '../ids';
import { routedChat } from '../routedChat';
import {
  countMessageTokens,
  estimateTokens,
  messageText,
  modelOptionsRequest,
  pickerModels,
  toOpenAiMessages,
  toOpenAiTools,
  toolChoice,
  type PickerModel,
} from './messages';

export function registerLmProvider(ctx: Ctx): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const version = String((ctx.extension.extension.packageJSON as { version?: string }).version ?? '0');
  let pool: PickerModel[] = pickerModels([], version);

  const refresh = async () => {
    try {
      const models = await (await ctx.rpc()).sendRequest(ModelsRequest, undefined);
      pool = pickerModels(models, version);
      changed.fire();
    } catch (err) {
      ctx.output.warn(`lm provider: model list unavailable (${err instanceof Error ? err.message : String(err)})`);
    }
  };
  const onConnect = ctx.onDidConnect(() => void refresh());
  // The daemon pushes its status to every window when its config changes (config.yaml edited, API
  // keys arrived from SecretStorage just after connecting): the pool may have changed. The status
  // it pushes after each answer names the model (lastModel) and changes nothing here.
  const onConfigChange = ctx.listen(StatusNotification, (status) => {
    if (status.lastModel === undefined) void refresh();
  });

  const provider: vscode.LanguageModelChatProvider<PickerModel> = {
    onDidChangeLanguageModelChatInformation: changed.event,
    // Always lists "Fugusashi Auto" so the picker has it before the daemon answers.
    provideLanguageModelChatInformation: () => pool,
    async provideLanguageModelChatResponse(model, messages, options, progress, token) {
      const rpc = await ctx.rpc();
      // Tools go upstream as OpenAI function tools; the daemon then routes only to models that
      // take tools and translates for Anthropic/Ollama upstreams.
      const tools = toOpenAiTools(options.tools);
      const request: ChatCompletionRequest = {
        ...modelOptionsRequest(options.modelOptions),
        model: model.id,
        messages: toOpenAiMessages(messages),
      };
      if (tools) {
        request.tools = tools;
        request.tool_choice = toolChoice(options.toolMode, options.tools);
      }
      const result = await routedChat(
        rpc,
        ctx.chunks,
        request,
        'lm-provider',
        {
          onText: (text) => progress.report(new vscode.LanguageModelTextPart(text)),
          onToolCall: (call) =>
            progress.report(new vscode.LanguageModelToolCallPart(call.callId, call.name, call.input)),
        },
        token,
      );
      const chosen = result.completion.model || result.decision?.model || model.id;
      ctx.lastAnswer = {
        requestId: result.requestId,
        model: chosen,
        prompt: messageText(messages.at(-1)?.content ?? []),
      };
      ctx.status.update({ lastModel: chosen });
    },
    provideTokenCount(_model, text) {
      return Promise.resolve(typeof text === 'string' ? estimateTokens(text) : countMessageTokens(text.content));
    },
  };
  return vscode.Disposable.from(
    vscode.lm.registerLanguageModelChatProvider(LM_VENDOR, provider),
    changed,
    onConnect,
    onConfigChange,
  );
}
