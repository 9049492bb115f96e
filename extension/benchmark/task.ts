// Task provider for `type: "fugusashi-benchmark"` (dataset, mode, folds…): runs the daemon's
// benchmark over JSON-RPC in a pseudoterminal with live progress, a summary and an exit code
// (0 done, 1 failed, 130 cancelled). No system Node needed: the daemon does the work.
import path from 'node:path';
import * as vscode from 'vscode';
import type { BenchmarkParams } from '../../shared/protocol';
import { BenchmarkProgressNotification, BenchmarkRequest } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { BENCHMARK_TASK_TYPE } from '../ids';
import { newStreamId } from '../rpc';
import { crlf, EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, progressLine, summaryLines } from './format';

export interface BenchmarkTaskDefinition extends vscode.TaskDefinition {
  dataset: string;
  mode?: BenchmarkParams['mode'];
  folds?: number;
  test?: string;
  strong?: string;
  weak?: string;
}

/**
 * Pure: task definition → RPC params (exported for tests). Relative files are resolved against
 * `folder` (the task's workspace folder): the daemon is shared and runs in a directory of its own.
 */
export function benchmarkParams(d: BenchmarkTaskDefinition, runId: string, folder?: string): BenchmarkParams {
  const file = (p: string) => (folder && !path.isAbsolute(p) ? path.resolve(folder, p) : p);
  const params: BenchmarkParams = {
    dataset: !d.dataset || d.dataset === 'sample' ? 'sample' : file(d.dataset),
    mode: d.mode ?? (d.dataset === 'sample' ? 'sample' : 'split'),
    runId,
  };
  if (d.folds !== undefined) params.folds = d.folds;
  if (d.test !== undefined) params.test = file(d.test);
  if (d.strong !== undefined) params.strong = d.strong;
  if (d.weak !== undefined) params.weak = d.weak;
  return params;
}

export class BenchmarkTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly cancel = new vscode.CancellationTokenSource();
  private finished = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly definition: BenchmarkTaskDefinition,
    /** The task's workspace folder, for relative dataset paths. */
    private readonly folder?: string,
  ) {}

  open(): void {
    void this.run();
  }

  close(): void {
    this.cancel.cancel();
  }

  private line(text: string) {
    this.writeEmitter.fire(crlf(`${text}\n`));
  }

  private async run(): Promise<void> {
    const runId = newStreamId('bench');
    const params = benchmarkParams(this.definition, runId, this.folder);
    this.line(
      `Fugusashi benchmark: dataset ${params.dataset}, mode ${params.mode}${params.folds ? `, ${params.folds} folds` : ''}`,
    );
    let lastPhase = '';
    const progress = this.ctx.listen(BenchmarkProgressNotification, (p) => {
      if (p.run_id !== runId) return;
      // One line per phase, redrawn in place while it advances.
      if (p.phase !== lastPhase && lastPhase) this.writeEmitter.fire('\r\n');
      lastPhase = p.phase;
      this.writeEmitter.fire(`\r\x1b[2K${progressLine(p)}`);
    });
    try {
      const rpc = await this.ctx.rpc();
      const report = await rpc.sendRequest(BenchmarkRequest, params, this.cancel.token);
      if (lastPhase) this.writeEmitter.fire('\r\n');
      for (const l of summaryLines(report)) this.line(l);
      this.finish(EXIT_OK);
    } catch (err) {
      if (lastPhase) this.writeEmitter.fire('\r\n');
      const cancelled = this.cancel.token.isCancellationRequested;
      this.line(
        `\x1b[31mBenchmark ${cancelled ? 'cancelled' : `failed: ${err instanceof Error ? err.message : String(err)}`}\x1b[0m`,
      );
      this.finish(cancelled ? EXIT_CANCELLED : EXIT_FAILED);
    } finally {
      progress.dispose();
    }
  }

  private finish(code: number) {
    if (this.finished) return;
    this.finished = true;
    this.closeEmitter.fire(code);
  }
}

export function registerBenchmarkTasks(ctx: Ctx): vscode.Disposable {
  const toTask = (
    definition: BenchmarkTaskDefinition,
    scope: vscode.TaskScope | vscode.WorkspaceFolder = vscode.TaskScope.Workspace,
  ) => {
    const name = `benchmark ${definition.dataset}${definition.mode ? ` (${definition.mode})` : ''}`;
    const folder = typeof scope === 'object' ? scope.uri.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const task = new vscode.Task(
      definition,
      scope,
      name,
      'fugusashi',
      new vscode.CustomExecution((resolved) =>
        Promise.resolve(new BenchmarkTerminal(ctx, resolved as BenchmarkTaskDefinition, folder)),
      ),
    );
    task.detail = 'Runs the Fugusashi router benchmark in the daemon';
    task.presentationOptions = {
      reveal: vscode.TaskRevealKind.Always,
      panel: vscode.TaskPanelKind.Dedicated,
      clear: true,
    };
    return task;
  };
  return vscode.tasks.registerTaskProvider(BENCHMARK_TASK_TYPE, {
    provideTasks: () => [toTask({ type: BENCHMARK_TASK_TYPE, dataset: 'sample', mode: 'sample' })],
    resolveTask: (task) => {
      const d = task.definition as BenchmarkTaskDefinition;
      return d.type === BENCHMARK_TASK_TYPE && typeof d.dataset === 'string'
        ? toTask(d, task.scope ?? vscode.TaskScope.Workspace)
        : undefined;
    },
  });
}
