// The `@fugusashi` chat participant: routes each request with the conversation, streams the answer
// under a one-line "model · confidence · reason" header, offers follow-ups, and turns chat's own
// thumbs up/down into ratings. Slash commands: /model <name> [question], /why, /stats.
import * as vscode from 'vscode';
import type { ChatMessage } from '../../shared/openai';
import { DecisionsRequest, ModelsRequest, RateRequest, StatsRequest, TraceRequest } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { AUTO_MODEL_ID, LM_VENDOR, PARTICIPANT_ID } from '../ids';
import { routedChat } from '../routedChat';
import type { DaemonRpc } from '../rpc';
import { resolveAttachments, withoutRepeats } from './attachments';
import { attachmentBudgetChars, contextTokensFor, promptWithReferences, type AttachmentsResult } from './references';
import { historyReferences, lastAnswer, parseModelCommand, toMessages, type AnswerMetadata } from './history';
import { decisionHeader, statsMarkdown, whyMarkdown } from './render';

export function registerChatParticipant(ctx: Ctx): vscode.Disposable {
  const participant = vscode.chat.createChatParticipant(PARTICIPANT_ID, (request, context, stream, token) =>
    handle(ctx, request, context, stream, token),
  );
  participant.iconPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'docs', 'icon.png');
  participant.followupProvider = { provideFollowups: (result) => followups(result) };
  const feedback = participant.onDidReceiveFeedback(async (f) => {
    const meta = f.result.metadata as Partial<AnswerMetadata> | undefined;
    if (!meta?.requestId) return;
    const thumbs = f.kind === vscode.ChatResultFeedbackKind.Helpful ? 'up' : 'down';
    try {
      const rpc = await ctx.rpc();
      await rpc.sendRequest(RateRequest, { request_id: meta.requestId, thumbs });
      ctx.output.info(`chat feedback: ${thumbs} for ${meta.requestId}`);
    } catch (err) {
      // Chat shows the thumb as given either way: say that the router did not learn from it.
      const message = `rating not stored: ${err instanceof Error ? err.message : String(err)}`;
      ctx.output.error(`chat feedback ${message}`);
      void vscode.window.showWarningMessage(`Fugusashi: ${message}`);
    }
  });
  return vscode.Disposable.from(participant, feedback);
}

async function handle(
  ctx: Ctx,
  request: vscode.ChatRequest,
  context: vscode.ChatContext,
  stream: vscode.ChatResponseStream,
  token: vscode.CancellationToken,
): Promise<vscode.ChatResult> {
  try {
    if (request.command === 'why') return await why(ctx, context, stream);
    if (request.command === 'stats') {
      stream.markdown(statsMarkdown(await (await ctx.rpc()).sendRequest(StatsRequest, undefined)));
      return {};
    }
    // The model picker's choice counts when it is one of ours (a routing mode or a pool model);
    // another vendor's model (the picker's default elsewhere) leaves the routing to Auto.
    let model = request.model?.vendor === LM_VENDOR ? request.model.id : AUTO_MODEL_ID;
    let prompt = request.prompt;
    if (request.command === 'model') {
      const parsed = parseModelCommand(request.prompt);
      if (!parsed.model) {
        stream.markdown('Usage: `/model <name> [question]`. Without a question, the last question is asked again.');
        return {};
      }
      model = parsed.model;
      // "/model name" alone re-asks the previous question: an override of the router's pick.
      prompt = parsed.question || lastAnswer(context.history, PARTICIPANT_ID)?.prompt || '';
      if (!prompt) {
        stream.markdown(`Ask a question after the model name: \`/model ${parsed.model} <question>\`.`);
        return {};
      }
    }
    // Files attached to earlier questions go along again (read as they are now): the history
    // holds only the typed prompts, and a follow-up is usually about the same files.
    const references = withoutRepeats([
      ...(request.references ?? []),
      ...historyReferences<vscode.ChatPromptReference>(context.history, PARTICIPANT_ID),
    ]);
    return await answer(ctx, model, prompt, references, context, stream, token);
  } catch (err) {
    // The user pressed Stop: VS Code marks the answer cancelled; the daemon's "cancelled" is no error.
    if (token.isCancellationRequested) return {};
    const message = err instanceof Error ? err.message : String(err);
    ctx.output.error(`chat: ${message}`);
    return { errorDetails: { message } };
  }
}

async function answer(
  ctx: Ctx,
  model: string,
  prompt: string,
  references: readonly vscode.ChatPromptReference[],
  context: vscode.ChatContext,
  stream: vscode.ChatResponseStream,
  token: vscode.CancellationToken,
): Promise<vscode.ChatResult> {
  stream.progress(model === AUTO_MODEL_ID || model.startsWith('auto:') ? 'Routing…' : `Asking ${model}…`);
  const rpc = await ctx.rpc();
  const messages = toMessages(context.history, PARTICIPANT_ID, prompt);
  const attached = references.length > 0 ? await attach(rpc, model, messages, references, stream) : undefined;
  // Hold text back until the header is out, so the model line always comes first.
  let pending = '';
  let headerShown = false;
  const result = await routedChat(
    rpc,
    ctx.chunks,
    { model, messages },
    'vscode-chat',
    {
      onDecision: (d) => {
        stream.markdown(decisionHeader(d));
        headerShown = true;
        if (pending) stream.markdown(pending);
        pending = '';
      },
      onText: (text) => (headerShown ? stream.markdown(text) : (pending += text)),
    },
    token,
  );
  if (pending) stream.markdown(pending);
  if (attached?.droppedChars)
    stream.markdown(
      `\n\n_Attachments shortened to fit the context window: ${attached.droppedChars} characters of ${attached.cut.join(', ')} left out._`,
    );
  const chosen = result.completion.model || result.decision?.model || model;
  ctx.lastAnswer = { requestId: result.requestId, model: chosen, prompt };
  ctx.status.update({ lastModel: chosen });
  const metadata: AnswerMetadata = {
    requestId: result.requestId,
    model: chosen,
    text: result.text,
    prompt,
    alternatives: (result.decision?.alternatives ?? []).map((a) => a.model).filter((m) => m !== chosen),
  };
  return { metadata };
}

/**
 * Puts the request's references into the last user message, within the context window of the
 * model it goes to (for a routing mode, the largest of the pool: the router then picks one it fits).
 */
async function attach(
  rpc: DaemonRpc,
  model: string,
  messages: ChatMessage[],
  references: readonly vscode.ChatPromptReference[],
  stream: vscode.ChatResponseStream,
): Promise<AttachmentsResult> {
  const pool = await rpc.sendRequest(ModelsRequest, undefined);
  const isAuto = model === 'auto' || model.startsWith('auto:');
  // A routing mode sends images only to a model it can call (not one whose API key is unset).
  const acceptsImages = pool.some(
    (m) => (isAuto ? !m.unavailable : m.id === model) && (m.capabilities ?? []).includes('vision'),
  );
  const { refs, images, shown } = await resolveAttachments(references, acceptsImages);
  const last = messages.at(-1);
  if (!last || typeof last.content !== 'string') throw new Error('no user message to attach the references to');
  const history = messages
    .slice(0, -1)
    .map((m) => (typeof m.content === 'string' ? m.content : ''))
    .join('\n');
  const budget = attachmentBudgetChars(contextTokensFor(model, pool), history);
  const result = promptWithReferences(last.content, refs, budget);
  last.content =
    images.length > 0
      ? [
          { type: 'text', text: result.content },
          ...images.map((url) => ({ type: 'image_url' as const, image_url: { url } })),
        ]
      : result.content;
  for (const r of shown) stream.reference(r);
  return result;
}

async function why(
  ctx: Ctx,
  context: vscode.ChatContext,
  stream: vscode.ChatResponseStream,
): Promise<vscode.ChatResult> {
  const rpc = await ctx.rpc();
  let requestId = lastAnswer(context.history, PARTICIPANT_ID)?.requestId ?? ctx.lastAnswer?.requestId;
  if (!requestId) requestId = (await rpc.sendRequest(DecisionsRequest, { limit: 1 }))[0]?.request_id;
  if (!requestId) {
    stream.markdown('No routed answer yet: ask `@fugusashi` something first.');
    return {};
  }
  stream.markdown(whyMarkdown(await rpc.sendRequest(TraceRequest, { request_id: requestId })));
  return {};
}

function followups(result: vscode.ChatResult): vscode.ChatFollowup[] {
  const meta = result.metadata as Partial<AnswerMetadata> | undefined;
  if (!meta?.requestId) return [];
  const out: vscode.ChatFollowup[] = [{ prompt: '', command: 'why', label: `Why ${meta.model}?` }];
  const alt = meta.alternatives?.[0];
  if (alt && meta.prompt) out.push({ prompt: `${alt} ${meta.prompt}`, command: 'model', label: `Ask ${alt} instead` });
  out.push({ prompt: '', command: 'stats', label: 'Usage and savings' });
  return out;
}
