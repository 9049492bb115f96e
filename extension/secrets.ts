// API keys live in VS Code's SecretStorage and reach the daemon in memory only
// (fugusashi/setSecrets), as the environment variables config.yaml refers to ("${OPENAI_API_KEY}").
import * as vscode from 'vscode';
import { SetSecretsNotification } from '../shared/protocol';
import type { Ctx } from './ctx';
import { Commands } from './ids';
import type { DaemonRpc } from './rpc';

const SECRET_PREFIX = 'fugusashi.env.';
/** SecretStorage cannot list its keys: the names (never the values) are kept in globalState. */
const NAMES_KEY = 'fugusashi.secretNames';
export const KNOWN_KEY_NAMES = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'OPENROUTER_API_KEY',
  'GROQ_API_KEY',
  'MISTRAL_API_KEY',
];

/** Environment variable names as config.yaml can reference them. */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

export class Secrets {
  constructor(private readonly ctx: Ctx) {}

  private get names(): string[] {
    return this.ctx.extension.globalState.get<string[]>(NAMES_KEY, []);
  }

  async all(): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const name of this.names) {
      const value = await this.ctx.extension.secrets.get(SECRET_PREFIX + name);
      if (value) env[name] = value;
    }
    return env;
  }

  async set(name: string, value: string): Promise<void> {
    await this.ctx.extension.secrets.store(SECRET_PREFIX + name, value);
    const names = new Set(this.names);
    names.add(name);
    await this.ctx.extension.globalState.update(NAMES_KEY, [...names].sort());
  }

  async push(rpc: DaemonRpc): Promise<void> {
    const env = await this.all();
    await rpc.sendNotification(SetSecretsNotification, { env });
    this.ctx.output.info(
      `sent ${Object.keys(env).length} API key(s) to the daemon: ${Object.keys(env).join(', ') || 'none'}`,
    );
  }

  async promptAndSet(): Promise<void> {
    const picked = await vscode.window.showQuickPick([...KNOWN_KEY_NAMES, 'Other…'], {
      title: 'Fugusashi: which API key?',
      placeHolder: 'The environment variable your config.yaml refers to, e.g. ${OPENAI_API_KEY}',
    });
    if (!picked) return;
    const name =
      picked === 'Other…'
        ? await vscode.window.showInputBox({
            title: 'Variable name',
            validateInput: (v) => (isValidEnvName(v) ? undefined : 'Letters, digits and _ only'),
          })
        : picked;
    if (!name) return;
    const value = await vscode.window.showInputBox({ title: `Value of ${name}`, password: true, ignoreFocusOut: true });
    if (!value) return;
    await this.set(name, value);
    try {
      await this.push(await this.ctx.rpc(5000));
      void vscode.window.showInformationMessage(`Fugusashi: ${name} stored in SecretStorage and sent to the daemon.`);
    } catch {
      void vscode.window.showInformationMessage(`Fugusashi: ${name} stored; it reaches the daemon when it connects.`);
    }
  }
}

export function registerSecrets(ctx: Ctx): vscode.Disposable {
  const secrets = new Secrets(ctx);
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.setApiKey, () => secrets.promptAndSet()),
    ctx.onDidConnect((rpc) => void secrets.push(rpc).catch((err) => ctx.output.error(`secrets: ${String(err)}`))),
    ctx.extension.secrets.onDidChange(async (e) => {
      if (e.key.startsWith(SECRET_PREFIX)) await secrets.push(await ctx.rpc(5000)).catch(() => undefined);
    }),
  );
}
