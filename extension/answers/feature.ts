// "Fugusashi: Show Recent Answers": a read-only virtual document of recent routed answers, with a
// CodeLens row above each (1–5 stars quick pick, thumbs up, thumbs down, or the rating once given), and
// `fugusashi.rateAnswer` to rate the last answer from the palette.
import * as vscode from 'vscode';
import { DecisionsRequest, RateRequest, TraceRequest } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { ANSWERS_SCHEME, Commands } from '../ids';
import { renderAnswers, stars, type AnswerEntry, type RenderedAnswers } from './document';

export const ANSWERS_URI = vscode.Uri.from({ scheme: ANSWERS_SCHEME, path: '/Recent Answers.md' });
const LIMIT = 20;

/** Quick-pick items for a rating (exported for tests). */
export const RATING_CHOICES: { label: string; rating?: number; thumbs?: 'up' | 'down' }[] = [
  { label: `${stars(5)} 5 — excellent`, rating: 5 },
  { label: `${stars(4)} 4 — good`, rating: 4 },
  { label: `${stars(3)} 3 — acceptable`, rating: 3 },
  { label: `${stars(2)} 2 — poor`, rating: 2 },
  { label: `${stars(1)} 1 — wrong or useless`, rating: 1 },
  { label: '$(thumbsup) Thumbs up', thumbs: 'up' },
  { label: '$(thumbsdown) Thumbs down', thumbs: 'down' },
];

/** Pure: the lenses of a rendered document (exported for tests). */
export function lensesFor(
  rendered: RenderedAnswers,
): { line: number; title: string; command: string; args: unknown[] }[] {
  return rendered.entries.flatMap((e) => {
    if (e.rating !== null) {
      return [
        {
          line: e.line,
          title: `Rated ${stars(e.rating)} (${e.rating}/5)`,
          command: Commands.rateAnswer,
          args: [e.requestId],
        },
        { line: e.line, title: 'Change rating', command: Commands.rateAnswer, args: [e.requestId] },
      ];
    }
    return [
      { line: e.line, title: '$(star-empty) Rate 1–5', command: Commands.rateAnswer, args: [e.requestId] },
      { line: e.line, title: '$(thumbsup) Good', command: Commands.thumbsAnswer, args: [e.requestId, 'up'] },
      { line: e.line, title: '$(thumbsdown) Bad', command: Commands.thumbsAnswer, args: [e.requestId, 'down'] },
    ];
  });
}

export class AnswersFeature implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable {
  private rendered: RenderedAnswers = { text: '', entries: [] };
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly registrations: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.registrations = [
      vscode.workspace.registerTextDocumentContentProvider(ANSWERS_SCHEME, this),
      vscode.languages.registerCodeLensProvider({ scheme: ANSWERS_SCHEME }, this),
      vscode.commands.registerCommand(Commands.showRecentAnswers, () => this.show()),
      vscode.commands.registerCommand(Commands.rateAnswer, (requestId?: string) => this.rateWithPick(requestId)),
      vscode.commands.registerCommand(Commands.thumbsAnswer, (requestId: string, thumbs: 'up' | 'down') =>
        this.rate(requestId, { thumbs }),
      ),
    ];
  }

  async show(): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(ANSWERS_URI);
    this.changed.fire(ANSWERS_URI); // re-read when it was already open
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  async provideTextDocumentContent(): Promise<string> {
    try {
      const rpc = await this.ctx.rpc();
      const rows = await rpc.sendRequest(DecisionsRequest, { limit: LIMIT });
      const items: AnswerEntry[] = await Promise.all(
        rows.map(async (row) => {
          try {
            const trace = await rpc.sendRequest(TraceRequest, { request_id: row.request_id });
            return { row: { ...row, rating: trace.rating ?? row.rating }, answer: trace.response_text };
          } catch {
            return { row, answer: null };
          }
        }),
      );
      this.rendered = renderAnswers(items);
    } catch (err) {
      this.rendered = {
        text: `# Fugusashi: recent answers\n\nThe daemon is not reachable: ${err instanceof Error ? err.message : String(err)}\n`,
        entries: [],
      };
    }
    this.lensesChanged.fire();
    return this.rendered.text;
  }

  provideCodeLenses(): vscode.CodeLens[] {
    return lensesFor(this.rendered).map(
      (l) =>
        new vscode.CodeLens(new vscode.Range(l.line, 0, l.line, 0), {
          title: l.title,
          command: l.command,
          arguments: l.args,
        }),
    );
  }

  private async rateWithPick(requestId?: string): Promise<number | undefined> {
    const id = requestId ?? (await this.lastRequestId());
    if (!id) {
      void vscode.window.showInformationMessage('Fugusashi: no routed answer to rate yet.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(RATING_CHOICES, {
      title: 'Rate this Fugusashi answer',
      placeHolder: `request ${id}`,
    });
    if (!pick) return undefined;
    return this.rate(id, pick.rating !== undefined ? { rating: pick.rating } : { thumbs: pick.thumbs ?? 'up' });
  }

  private async lastRequestId(): Promise<string | undefined> {
    if (this.ctx.lastAnswer) return this.ctx.lastAnswer.requestId;
    const [row] = await (await this.ctx.rpc()).sendRequest(DecisionsRequest, { limit: 1 });
    return row?.request_id;
  }

  /** Stores a rating and refreshes the document; resolves with the stored 1–5 value. */
  async rate(requestId: string, how: { rating: number } | { thumbs: 'up' | 'down' }): Promise<number | undefined> {
    try {
      const result = await (await this.ctx.rpc()).sendRequest(RateRequest, { request_id: requestId, ...how });
      this.ctx.output.info(`rated ${requestId}: ${result.rating}/5`);
      const entry = this.rendered.entries.find((e) => e.requestId === requestId);
      if (entry) entry.rating = result.rating;
      this.lensesChanged.fire();
      this.changed.fire(ANSWERS_URI);
      void vscode.window.setStatusBarMessage(`Fugusashi: rated ${stars(result.rating)}`, 4000);
      return result.rating;
    } catch (err) {
      void vscode.window.showErrorMessage(
        `Fugusashi: rating not stored: ${err instanceof Error ? err.message : String(err)}`,
      );
      return undefined;
    }
  }

  dispose(): void {
    for (const d of this.registrations) d.dispose();
    this.changed.dispose();
    this.lensesChanged.dispose();
  }
}

export function registerAnswers(ctx: Ctx): vscode.Disposable {
  return new AnswersFeature(ctx);
}
