// Team-mode daemons for tests: real `fugusashi serve` processes (through tsx) that share one
// PostgreSQL database, each with its own data directory (its spool), against a fake upstream.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { FugusashiConfig } from '../../shared/config';
import { startFake, type FakeUpstream } from '../fakes';
import { spawnDaemon, type SpawnedDaemon } from './daemon';
import { createDatabase, startPostgres, type TestPostgres } from './postgres';

export interface TeamReplica extends SpawnedDaemon {
  dataDir: string;
}

/** Config of a team daemon: two priced models on `upstreamUrl`, the store on `databaseUrl`. */
export function teamConfig(
  upstreamUrl: string,
  databaseUrl: string,
  extra: Partial<FugusashiConfig> = {},
): FugusashiConfig {
  return {
    store: { url: databaseUrl },
    models: [
      {
        name: 'model-a',
        provider: 'openai',
        model: 'model-a-upstream',
        api_base: upstreamUrl,
        cost_per_input_token: 0.000001,
        cost_per_output_token: 0.000002,
        capabilities: ['chat'],
      },
      {
        name: 'model-b',
        provider: 'openai',
        model: 'model-b-upstream',
        api_base: upstreamUrl,
        cost_per_input_token: 0.00001,
        cost_per_output_token: 0.00003,
        capabilities: ['chat'],
      },
    ],
    routing: { strategies: ['cost', 'fallback'], exploration_rate: 0 },
    ...extra,
  };
}

/** What a team test file runs its replicas against: a throw-away PostgreSQL with one database, and a
 * fake upstream serving the two models of teamConfig. */
export interface TeamBackend {
  db: TestPostgres;
  /** The database's connection URL (teamConfig's `databaseUrl`). */
  url: string;
  fake: FakeUpstream;
  close(): Promise<void>;
}

export async function startTeamBackend(database: string): Promise<TeamBackend> {
  const db = await startPostgres();
  try {
    const url = await createDatabase(db, database);
    const fake = await startFake('openai', { models: ['model-a-upstream', 'model-b-upstream'] });
    return {
      db,
      url,
      fake,
      close: async () => {
        await fake.close();
        db.destroy();
      },
    };
  } catch (err) {
    db.destroy();
    throw err;
  }
}

/** Starts a replica; pass the `dataDir` of a killed one to restart it on its spool. */
export async function spawnReplica(
  config: FugusashiConfig,
  args: string[] = [],
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'fugu-replica-')),
): Promise<TeamReplica> {
  const configPath = path.join(dataDir, 'config.yaml');
  writeFileSync(configPath, stringify({ ...config, server: { ...config.server, data_dir: dataDir } }));
  const daemon = await spawnDaemon(['--config', configPath, '--port', '0', ...args], 60_000);
  const stop = daemon.stop.bind(daemon);
  return {
    ...daemon,
    dataDir,
    stop: async (signal) => {
      const code = await stop(signal);
      if (signal !== 'SIGKILL') rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * How many outcomes a replica's router says it learned from, in its dry run's explanation for
 * `prompt` (-1 while its learned strategy is not loaded yet): what its learner holds, each outcome
 * counted as often as it was learned.
 */
export async function learnedFrom(replica: { url: string }, prompt: string): Promise<number> {
  const res = await postJson(`${replica.url}/v1/routing/route`, { messages: [{ role: 'user', content: prompt }] });
  const { explanation } = (await res.json()) as { explanation: string };
  // "Learned from N past outcomes", or "From the public-data prior and N past outcomes" when the
  // pick has no ratings of its own.
  return Number(/(\d+) past outcome/.exec(explanation)?.[1] ?? -1);
}

/** Asks `check` every 100 ms until it holds (true) or `ms` have passed (false); a throw counts as no. */
export async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
