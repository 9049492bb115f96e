// `fugusashi` command line: serve | route | export | benchmark, with --help on each.
// Bundled to dist/cli-main.js, which dist/cli.js (package.json bin, daemon/cli-launch.ts) loads, so
// `npx fugusashi` works after `npm install`.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RoutingDecision } from '../shared/openai';
import { DAEMON_FILE, type DaemonFile } from '../shared/daemon';
import { DEFAULTS } from '../shared/config';
import { FugusashiError } from '../shared/errors';
import { parseDaemonFlags, parseFlags, UsageError } from './app/flags';
import { serveArgsFrom030 } from './cli-030';
import { formatUsd } from './core/format';
import { VERSION } from './version';
// Commands load their modules on demand: `--help` and `route` stay fast to start.

const HELP: Record<string, string> = {
  main: `fugusashi ${VERSION}: local-first LLM model router

Usage: fugusashi <command> [options]

Commands:
  serve       run the daemon (OpenAI-compatible API on http://127.0.0.1:6060/v1)
  route       show which model a prompt would be routed to, without calling it
  export      write stored outcomes (ratings, training rows) as JSON lines
  import      add outcomes from a file (export's JSON lines, JSON or CSV) to the running daemon
  benchmark   evaluate the router on score tables (RouteLLM metrics)
  keys        team mode: create, list and revoke API keys (budgets, rate limits)
  store       team mode: copy a store between a data dir and PostgreSQL
  models      list the pool: provider, price and its source, capabilities, health
  version     print the version (also --version, -v)

Run "fugusashi <command> --help" for a command's options.
Config: --config FILE, else <data dir>/config.yaml, else discovery (Ollama, OPENAI_API_KEY, ANTHROPIC_API_KEY).
Data dir: --data-dir DIR, else server.data_dir, else ~/.fugusashi.`,
  serve: `Usage: fugusashi serve [--config FILE | -c FILE] [--host H] [--port N] [--data-dir DIR]
                       [--token T] [--idle-shutdown-seconds S] [--log-file FILE] [--reload]

Runs the daemon: the OpenAI-compatible HTTP API (default 127.0.0.1:6060, /v1/chat/completions
with model "auto"), the dashboard at /dashboard, and the JSON-RPC socket VS Code windows join.
One daemon per data dir: a second one exits with code 3. Stop with Ctrl-C (SIGINT) or SIGTERM.
config.yaml is reloaded whenever it changes; --reload (0.3.0's) is accepted and not needed.`,
  route: `Usage: fugusashi route "prompt" [--model auto|auto:quality|auto:balanced|auto:cost|MODEL] [--config FILE]
                       [--data-dir DIR] [--json]

Dry run: prints the routing decision (model, strategy, confidence, why, alternatives, estimated
cost) without calling any model. Asks the running daemon when there is one (it knows your
ratings); otherwise decides locally with the built-in strategies (cost, fallback). auto:orchestrate
and auto:cascade decide by calling models, so they have no dry run.`,
  export: `Usage: fugusashi export [--data-dir DIR] [--out FILE] [--token T]

Writes the stored outcomes (ratings turned into scores, training rows, implicit signals) as JSON
lines to FILE or stdout. Reads from the running daemon when there is one, else from the store.`,
};

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(`${HELP['main']}\n`);
    return command ? 0 : 1;
  }
  if (command === 'version') {
    // 0.3.0's `fugusashi version`, in its words.
    io.out(`fugusashi v${VERSION}\n`);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  try {
    switch (command) {
      case 'serve': {
        if (wantsHelp) return help(io, 'serve');
        const args = serveArgsFrom030(rest, io.err);
        parseDaemonFlags(args); // fail fast on typos (UsageError, exit 2) before anything starts
        const { runDaemonProcess } = await import('./main');
        return await runDaemonProcess(args);
      }
      case 'route':
        if (wantsHelp) return help(io, 'route');
        return await route(rest, io);
      case 'export':
        if (wantsHelp) return help(io, 'export');
        return await exportOutcomes(rest, io);
      case 'import': {
        const { IMPORT_HELP, importOutcomes } = await import('./cli-import');
        if (wantsHelp) {
          io.out(`${IMPORT_HELP}\n`);
          return 0;
        }
        const { flags, positionals } = parseFlags(
          rest,
          { 'data-dir': { type: 'string' }, token: { type: 'string' } },
          { positionals: true },
        );
        if (positionals.length !== 1)
          throw new UsageError('give one file to import, e.g. fugusashi import outcomes.jsonl');
        return await importOutcomes(positionals[0]!, {
          dataDir: defaultDataDir(flags['data-dir']),
          ...(flags.token ? { token: flags.token } : {}),
          runningDaemon: (dataDir) => runningDaemon(dataDir, flags.token),
          out: io.out,
        });
      }
      case 'benchmark':
        // The report is saved where the daemon of the default data dir shows it (--data-dir overrides).
        return await (
          await import('./benchmark/cli')
        ).benchmarkCommand([...rest], { dataDir: defaultDataDir(undefined) });
      case 'keys':
      case 'store':
        return await (await import('./team/cli')).teamCommand(command, rest, io);
      case 'models': {
        // gateway (issue 12)
        const { MODELS_HELP, modelsCommand } = await import('./cli-models');
        if (wantsHelp) {
          io.out(`${MODELS_HELP}\n`);
          return 0;
        }
        const { flags } = parseFlags(rest, {
          config: { type: 'string' },
          'data-dir': { type: 'string' },
          token: { type: 'string' },
          json: { type: 'boolean' },
        });
        const { json, ...values } = flags;
        return await modelsCommand(io, {
          values,
          json: json === true,
          runningDaemon: (dataDir) => runningDaemon(dataDir, flags.token),
        });
      }
      default:
        io.err(`fugusashi: unknown command "${command}"\n\n${HELP['main']}\n`);
        return 2;
    }
  } catch (err) {
    io.err(`fugusashi ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

function help(io: Io, command: string): number {
  io.out(`${HELP[command]}\n`);
  return 0;
}

/** The daemon that owns `dataDir`, if daemon.json names one that answers /health. */
async function runningDaemon(dataDir: string, token?: string): Promise<{ url: string; info: DaemonFile } | null> {
  const file = path.join(dataDir, DAEMON_FILE);
  if (!existsSync(file)) return null;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as DaemonFile;
    const host = info.host === '0.0.0.0' || info.host === '::' ? '127.0.0.1' : info.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
    const res = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(2000),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    // 401: a token-protected daemon is running (the request that follows reports a wrong token).
    return res.ok || res.status === 401 ? { url, info } : null;
  } catch {
    return null;
  }
}

function defaultDataDir(flag: string | undefined): string {
  return path.resolve(flag ?? path.join(os.homedir(), DEFAULTS.dataDirName));
}

async function route(argv: readonly string[], io: Io): Promise<number> {
  const { flags: values, positionals } = parseFlags(
    argv,
    {
      model: { type: 'string' },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    },
    { positionals: true },
  );
  const prompt = positionals.join(' ').trim();
  if (!prompt) throw new UsageError('give the prompt to route, e.g. fugusashi route "write a haiku"');
  const request = { model: values['model'] ?? 'auto', messages: [{ role: 'user' as const, content: prompt }] };

  const { ConfigError, resolveConfig } = await import('./config');
  let decision: RoutingDecision;
  let where: string;
  const resolved = await resolveConfig({
    configPath: values['config'],
    dataDir: values['data-dir'],
    env: process.env,
  }).catch((err: unknown) => {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  });
  const daemon = values['config']
    ? null
    : await runningDaemon(resolved.config.server.dataDir, values['token'] ?? resolved.config.server.token);
  if (daemon) {
    const token = values['token'] ?? resolved.config.server.token;
    const res = await fetch(`${daemon.url}/v1/routing/route`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(request),
    });
    const body = (await res.json()) as RoutingDecision & { error?: { message: string } };
    if (!res.ok) throw new Error(body.error?.message ?? `daemon answered ${res.status}`);
    decision = body;
    where = `the running daemon (pid ${daemon.info.pid})`;
  } else {
    const { toServiceConfig } = await import('./services/config');
    const { RoutingService } = await import('./services/routing');
    const config = toServiceConfig(resolved.config);
    // Without the daemon there is no learned state to consult: the built-in strategies decide.
    const builtIn = config.strategies.filter((s) => s === 'cost' || s === 'fallback');
    const routing = new RoutingService({ config: () => ({ ...config, strategies: builtIn, explorationRate: 0 }) });
    decision = (await routing.plan(request)).plan.decision;
    where = `local config (${resolved.path ?? 'discovered models'}; learned strategies need the running daemon)`;
  }
  if (values.json) {
    io.out(`${JSON.stringify(decision, null, 2)}\n`);
    return 0;
  }
  io.out(formatDecision(decision, where));
  return 0;
}

export function formatDecision(d: RoutingDecision, where: string): string {
  const lines = [
    `→ ${d.model}`,
    `  strategy    ${d.strategy} (confidence ${d.confidence.toFixed(2)}, decided in ${d.latency_ms.toFixed(2)} ms)`,
    `  why         ${d.explanation}`,
    `  est. cost   ${formatUsd(d.estimated_cost)}`,
  ];
  if (d.alternatives.length > 0) {
    lines.push(`  ranking     ${d.alternatives.map((a) => `${a.model} ${a.score.toFixed(3)}`).join(', ')}`);
  }
  for (const step of d.chain ?? []) lines.push(`  passed      ${step.strategy}: ${step.reason}`);
  lines.push(`  (decided by ${where})`);
  return `${lines.join('\n')}\n`;
}

async function exportOutcomes(argv: readonly string[], io: Io): Promise<number> {
  const { flags: values } = parseFlags(argv, {
    'data-dir': { type: 'string' },
    out: { type: 'string' },
    token: { type: 'string' },
  });
  const dataDir = defaultDataDir(values['data-dir']);
  const target = values['out'] ? createWriteStream(values['out']) : null;
  const write = (line: string): void => {
    if (target) target.write(line);
    else io.out(line);
  };
  let count: number;
  const daemon = await runningDaemon(dataDir, values['token']);
  if (daemon) {
    const res = await fetch(`${daemon.url}/v1/outcomes/export`, {
      headers: values['token'] ? { authorization: `Bearer ${values['token']}` } : {},
    });
    if (!res.ok) throw new Error(`daemon answered ${res.status}: ${await res.text()}`);
    const text = await res.text();
    count = text ? text.split('\n').filter(Boolean).length : 0;
    write(text);
  } else {
    if (!existsSync(dataDir)) throw new UsageError(`no data directory at ${dataDir}`);
    const { DataDirLockedError, openStore } = await import('./store');
    let store;
    try {
      store = await openStore({ dataDir });
    } catch (err) {
      if (err instanceof DataDirLockedError)
        throw new Error(`${err.message} Its HTTP port did not answer, so nothing was exported.`, { cause: err });
      throw err;
    }
    try {
      count = store.exportOutcomes(write);
    } finally {
      store.close();
    }
  }
  if (target)
    await new Promise<void>((resolve, reject) => target.end((err?: Error | null) => (err ? reject(err) : resolve())));
  io.err(`exported ${count} outcome(s)${values['out'] ? ` to ${values['out']}` : ''}\n`);
  return 0;
}

/** Runs the CLI as the program (dist/cli.js calls it): exit code and errors as a user reads them. */
export function runAsProgram(argv: readonly string[]): void {
  main(argv).then(
    (code) => {
      // `serve` returns when the daemon has stopped; the others are done.
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof FugusashiError) process.stderr.write(`fugusashi: ${err.message}\n`);
      else process.stderr.write(`fugusashi: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

// Run directly (node dist/cli-main.js, or the sources through tsx); importing this file does not run it.
if (require.main === module) runAsProgram(process.argv.slice(2));
