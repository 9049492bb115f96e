// Palette commands that are not part of a bigger feature module.
import * as vscode from 'vscode';
import { StatsRequest } from '../shared/protocol';
import { statsMarkdown } from './chat/render';
import type { Ctx } from './ctx';
import { AUTO_MODEL_ID, Commands, LM_VENDOR, PARTICIPANT_NAME } from './ids';

/** A range as the chat's `attachFiles` takes it (Monaco's IRange: 1-based lines and columns). */
export interface ChatRange {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

/** The editor selection the question is about, attached to the chat request as a file location. */
export interface SelectionAttachment {
  uri: vscode.Uri;
  range: ChatRange;
}

/** The arguments of `workbench.action.chat.open` that run `@fugusashi` with Fugusashi's own model selected. */
export function chatOpenArgs(question: string, attach?: SelectionAttachment) {
  return {
    query: `@${PARTICIPANT_NAME} ${question}`,
    mode: 'ask',
    // With our model selected, the request works even where no other language model is installed.
    modelSelector: { vendor: LM_VENDOR, id: AUTO_MODEL_ID },
    // The participant reads it from request.references like a selection the user attached by hand.
    ...(attach ? { attachFiles: [attach] } : {}),
  };
}

/** The selection as a chat attachment (vscode.Range is 0-based; the chat's range is 1-based). */
export function selectionAttachment(uri: vscode.Uri, selection: vscode.Range): SelectionAttachment {
  return {
    uri,
    range: {
      startLineNumber: selection.start.line + 1,
      startColumn: selection.start.character + 1,
      endLineNumber: selection.end.line + 1,
      endColumn: selection.end.character + 1,
    },
  };
}

/** `src/a.ts:3-7`: how the prompt and a quoted block name the selection. */
export function selectionLabel(name: string, selection: vscode.Range): string {
  const first = selection.start.line + 1;
  // A selection ending at the start of a line does not include that line.
  const last =
    selection.end.character === 0 && selection.end.line > selection.start.line
      ? selection.end.line
      : selection.end.line + 1;
  return first === last ? `${name}:${first}` : `${name}:${first}-${last}`;
}

/** A quoted code block with its name and lines, for text the chat cannot attach (an untitled editor). */
export function quotedSelection(label: string, language: string, text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `\n\n${label}:\n${fence}${language}\n${text}\n${fence}`;
}

async function ask(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor : undefined;
  const label = selected
    ? selectionLabel(vscode.workspace.asRelativePath(selected.document.uri), selected.selection)
    : undefined;
  // The selection is context, not the question: the user types the question, the selection goes along.
  const question = await vscode.window.showInputBox({
    title: label ? `Fugusashi: Ask about ${label}` : 'Fugusashi: Ask',
    prompt: label
      ? `Your question about the selection (${label} is attached); routed to the best model of your pool`
      : 'Routed to the best model of your pool',
    ignoreFocusOut: true,
  });
  const asked = question?.trim();
  if (!asked) return;
  await vscode.commands.executeCommand('workbench.action.chat.open', askArgs(asked, selected, label));
}

function askArgs(question: string, selected: vscode.TextEditor | undefined, label: string | undefined) {
  if (!selected || !label) return chatOpenArgs(question);
  const { document, selection } = selected;
  // The chat attaches only what a file system can read back (it checks the file exists and drops it
  // silently otherwise): an untitled buffer or a notebook cell goes quoted in the query instead.
  return vscode.workspace.fs.isWritableFileSystem(document.uri.scheme) === undefined
    ? chatOpenArgs(question + quotedSelection(label, document.languageId, document.getText(selection)))
    : chatOpenArgs(question, selectionAttachment(document.uri, selection));
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
