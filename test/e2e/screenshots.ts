// Writes the README's dashboard screenshots (light and dark) from a real daemon with fake upstreams:
//   node --import tsx test/e2e/screenshots.ts [docs] [--benchmark report.json]
// Traffic: a mix of prompts through "auto", a few forced models and ratings, so every view has data.
// The benchmark tab shows the report given with --benchmark (e.g. `fugusashi benchmark --json`
// output), saved into the daemon's data dir and served by the dashboard plugin.
import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BenchmarkReport } from '../../shared/api';
import type { ChatCompletion } from '../../shared/openai';
import { buildApp } from '../../daemon/http/app';
import { createDashboardPlugin } from '../../daemon/http/dashboard';
import { saveLastBenchmark } from '../../daemon/benchmark/last-report';
import { startTestDaemon } from '../helpers/daemon';
import { launchChromium } from './chromium';

const args = process.argv.slice(2);
const benchIndex = args.indexOf('--benchmark');
const benchFile = benchIndex >= 0 ? args[benchIndex + 1] : undefined;
const outDir = args.find((a, i) => !a.startsWith('--') && (benchIndex < 0 || i !== benchIndex + 1)) ?? 'docs';

const PROMPTS = [
  'Write a haiku about sashimi',
  'Fix this TypeScript error: Type string is not assignable to type number',
  'What is the derivative of x^3 * sin(x)?',
  'Summarise the plot of Moby-Dick in two sentences',
  'Translate "good morning" into Japanese',
  'Write a SQL query that returns the ten most recent orders per customer',
  'Explain the CAP theorem to a new engineer',
  'Prove that the square root of 2 is irrational',
  'Suggest a name for a sushi-themed router',
  'Refactor this function to use async/await',
];

async function main(): Promise<void> {
  const daemon = await startTestDaemon({
    rpc: false,
    models: [
      {
        name: 'llama3.2-local',
        config: { provider: 'openai', capabilities: ['chat'], cost_per_input_token: 0, cost_per_output_token: 0 },
      },
      {
        name: 'claude-haiku',
        config: {
          capabilities: ['chat', 'writing', 'code'],
          cost_per_input_token: 0.0000008,
          cost_per_output_token: 0.000004,
        },
      },
      {
        name: 'gpt-4o',
        config: {
          capabilities: ['chat', 'code', 'reasoning', 'math'],
          cost_per_input_token: 0.0000025,
          cost_per_output_token: 0.00001,
        },
      },
    ],
  });
  // A second HTTP door over the same services, with the dashboard reading benchmark reports from the data dir.
  const app = buildApp(daemon.services, {
    guard: () => ({}),
    plugins: [createDashboardPlugin({ dataDir: daemon.dataDir })],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  if (benchFile) saveLastBenchmark(daemon.dataDir, JSON.parse(readFileSync(benchFile, 'utf8')) as BenchmarkReport);

  const chat = async (prompt: string, model: string): Promise<ChatCompletion> => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        messages: [{ role: 'user', content: prompt }],
        max_tokens: 200 + (prompt.length % 7) * 80,
      }),
    });
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    return (await res.json()) as ChatCompletion;
  };
  const rate = (id: string, rating: number) =>
    fetch(`${url}/v1/feedback/rate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: id, rating }),
    });

  for (let i = 0; i < 36; i++) {
    const prompt = PROMPTS[i % PROMPTS.length]!;
    const model = i % 9 === 4 ? 'gpt-4o' : i % 11 === 6 ? 'claude-haiku' : 'auto';
    const answer = await chat(prompt, model);
    if (i % 3 === 0) await rate(answer.id, 3 + (i % 3) + (i % 2));
  }

  const chromium = await launchChromium();
  mkdirSync(outDir, { recursive: true });
  try {
    const page = await chromium.context.newPage();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${url}/dashboard`);
      await page.waitForSelector('body[data-loaded="true"]');
      await page.waitForSelector('#connection[data-state="open"]');
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(outDir, `dashboard-overview-${scheme}.png`) });
      await page.click('vscode-tab-header[data-tab="decisions"]');
      await page.click('#decisions-body tr:nth-child(2) td.model');
      await page.waitForSelector('#trace .attempt');
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(outDir, `dashboard-decisions-${scheme}.png`) });
      if (benchFile) {
        await page.click('vscode-tab-header[data-tab="benchmark"]');
        await page.waitForTimeout(400);
        await page.screenshot({ path: path.join(outDir, `dashboard-benchmark-${scheme}.png`) });
      }
    }
    console.log(`screenshots in ${outDir}/`);
  } finally {
    await chromium.close();
    await app.close();
    await daemon.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
