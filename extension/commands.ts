// Palette commands that are not part of a bigger feature module.
import * as vscode from 'vscode';
import { StatsRequest } from '../shared/protocol';
import { statsMarkdown } from './chat/render';
import type { Ctx } from './ctx';
import { AUTO_MODEL_ID, Commands, LM_VENDOR, PARTICIPANT_NAME } from './ids';

/** The arguments of `workbench.action.chat.open` that run `@fugusashi` with Fugusashi's own model selected. */
export function chatOpenArgs(question: string) {
  return {
    query: `@${PARTICIPANT_NAME} ${question}`,
    mode: 'ask',
    // With our model selected, the request works even where no other language model is installed.
    modelSelector: { vendor: LM_VENDOR, id: AUTO_MODEL_ID },
  };
}

async function ask(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  const question = await vscode.window.showInputBox({
    title: 'Fugusashi: Ask',
    prompt: 'Routed to the best model of your pool',
    value: selection,
    ignoreFocusOut: true,
  });
  if (!question?.trim()) return;
  await vscode.commands.executeCommand('workbench.action.chat.open', chatOpenArgs(question.trim()));
}

async function showStats(ctx: Ctx): Promise<void> {
  const stats = await (await ctx.rpc()).sendRequest(StatsRequest, undefined);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: statsMarkdown(stats) });
  await vscode.window.showTextDocument(doc, { preview: true });
}

export function registerCommands(ctx: Ctx, openDashboard: (() => unknown) | undefined): vscode.Disposable {
  const guarded = (name: string, fn: () => unknown) => async (): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      ctx.output.error(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`Fugusashi: ${message}`);
    }
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.ask, guarded('ask', ask)),
    vscode.commands.registerCommand(
      Commands.restartDaemon,
      guarded('restart', () => ctx.restart(true)),
    ),
    vscode.commands.registerCommand(Commands.showLog, () => ctx.output.show(true)),
    vscode.commands.registerCommand(
      Commands.showStats,
      guarded('stats', () => showStats(ctx)),
    ),
    vscode.commands.registerCommand(
      Commands.openDashboard,
      guarded('dashboard', () => (openDashboard ? openDashboard() : showStats(ctx))),
    ),
    vscode.commands.registerCommand(
      Commands.statusClick,
      // The dashboard when the daemon runs; the log (where the failure is explained) when it does not.
      guarded('status', () =>
        ctx.status.current.phase === 'running' || ctx.status.current.phase === 'starting'
          ? vscode.commands.executeCommand(Commands.openDashboard)
          : ctx.output.show(true),
      ),
    ),
  );
}
