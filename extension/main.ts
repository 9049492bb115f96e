// Entry point: activation stays thin (vscode-extension-samples' chat-sample habit). One Ctx owns
// the daemon client; each feature registers itself. The daemon connection starts in the background
// so activation returns at once; features wait for it when they need it (ctx.rpc()).
const loadedAt = performance.now();
import * as vscode from 'vscode';
import { registerAnswers } from './answers/feature';
import { registerBenchmarkTasks } from './benchmark/task';
import { registerChatParticipant } from './chat/participant';
import { registerCommands } from './commands';
import { Ctx, type DaemonFacts } from './ctx';
import { openDashboard, registerDashboardSerializer } from './dashboard';
import { registerLmProvider } from './lm/provider';
import type { DaemonRpc } from './rpc';
import { registerSecrets } from './secrets';
import type { DaemonView } from './statusBar';
import { registerVscodeLmBridge } from './vscodeLm';

/** What `vscode.extensions.getExtension('fugusashi.fugusashi').exports` gives other extensions and tests. */
export interface FugusashiApi {
  /** ms from loading the bundle to the end of activate(). */
  readonly activationMs: number;
  daemon(): DaemonFacts & { view: DaemonView };
  /** The JSON-RPC connection to the daemon, once it is up. */
  rpc(timeoutMs?: number): Promise<DaemonRpc>;
}

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): FugusashiApi {
  const c = new Ctx(context);
  ctx = c;
  context.subscriptions.push(
    registerCommands(c, () => openDashboard(context, c)),
    registerDashboardSerializer(context, c),
    registerSecrets(c),
    registerChatParticipant(c),
    registerLmProvider(c),
    registerVscodeLmBridge(c),
    registerAnswers(c),
    registerBenchmarkTasks(c),
  );
  const activationMs = performance.now() - loadedAt;
  // Connecting (maybe starting the daemon) happens after activation returns: VS Code waits for
  // activate(), and nothing here needs the daemon yet; features await ctx.rpc() when used.
  setImmediate(() => void c.start());
  c.output.info(
    `activated in ${activationMs.toFixed(1)} ms (${vscode.env.appName} ${vscode.version}, ${process.execPath})`,
  );
  return {
    activationMs,
    daemon: () => ({ ...c.facts, view: c.status.current }),
    rpc: (timeoutMs) => c.rpc(timeoutMs),
  };
}

export async function deactivate(): Promise<void> {
  // Leaves the daemon running for other windows and tools; it shuts itself down when idle.
  await ctx?.stop();
  ctx = undefined;
}
