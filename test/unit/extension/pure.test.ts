// Pure extension logic: chat history, rendering, answers document and lenses, benchmark output,
// picker models, status presentation, settings, restart policy.
import '../../helpers/vscode-stub.cjs';
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DecisionRow, UsageStats } from '../../../shared/api';
import { DEFAULTS } from '../../../shared/config';
import type { RoutingDecision } from '../../../shared/openai';
import { lensesFor } from '../../../extension/answers/feature';
import { renderAnswers, stars } from '../../../extension/answers/document';
import { benchmarkParams } from '../../../extension/benchmark/task';
import { crlf, progressLine, summaryLines } from '../../../extension/benchmark/format';
import { lastAnswer, parseModelCommand, toMessages } from '../../../extension/chat/history';
import { decisionHeader, statsMarkdown, whyMarkdown } from '../../../extension/chat/render';
import { chatOpenArgs } from '../../../extension/commands';
import { CLI_DEFAULTS, resolveSettings, settingsChangeAction } from '../../../extension/config';
import { RestartPolicy } from '../../../extension/daemon/restartPolicy';
import { Commands } from '../../../extension/ids';
import { pickerModels, toOpenAiMessages } from '../../../extension/lm/messages';
import { isValidEnvName } from '../../../extension/secrets';
import { statusPresentation } from '../../../extension/statusBar';

const decision: RoutingDecision = {
  model: 'small-fast',
  confidence: 0.82,
  strategy: 'similarity',
  latency_ms: 3.2,
  explanation: 'Similar prompts were answered well by small-fast. Second sentence.',
  alternatives: [
    { model: 'small-fast', score: 0.71 },
    { model: 'big-smart', score: 0.64 },
  ],
  estimated_cost: 0.00012,
  chain: [{ strategy: 'learned', abstained: true, reason: 'not enough data' }],
};
const row = (id: string, rating: number | null): DecisionRow => ({
  request_id: id,
  created_at: 1_000_000,
  source: 'vscode-chat',
  requested_model: 'auto',
  prompt_preview: `prompt of ${id}`,
  decision,
  status: 'ok',
  answered_by: 'small-fast',
  usage: null,
  cost_usd: 0.0001,
  latency_ms: 420,
  rating,
});

describe('chat history', () => {
  const P = 'fugusashi.router';
  it('keeps this participant’s conversation, skips /why and /stats turns and other participants', () => {
    const history = [
      { prompt: 'hello', participant: P },
      {
        participant: P,
        response: [{ value: { value: 'HEADER\n\nhi there' } }],
        result: { metadata: { requestId: 'r1', text: 'hi there', model: 'm', prompt: 'hello', alternatives: [] } },
      },
      { prompt: '', participant: P, command: 'why' },
      { participant: P, response: [{ value: { value: 'why text' } }], result: {} },
      { prompt: 'other', participant: 'copilot' },
      { participant: 'copilot', response: [], result: {} },
      { prompt: 'big-smart and again', participant: P, command: 'model' },
      { participant: P, response: [{ value: { value: 'plain' } }], result: {} },
    ];
    assert.deepEqual(toMessages(history, P, 'next'), [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi there' },
      { role: 'user', content: 'and again' },
      { role: 'assistant', content: 'plain' },
      { role: 'user', content: 'next' },
    ]);
    assert.equal(lastAnswer(history, P)?.requestId, 'r1');
  });
  it('pairs the answer of a bare “/model name” (a re-ask) with the question it re-asked', () => {
    const meta = (requestId: string, text: string, prompt: string) => ({
      metadata: { requestId, text, model: 'm', prompt, alternatives: [] },
    });
    const history = [
      { prompt: 'Why is the sky blue?', participant: P },
      { participant: P, response: [], result: meta('r1', 'Rayleigh.', 'Why is the sky blue?') },
      { prompt: 'big-smart', participant: P, command: 'model' },
      { participant: P, response: [], result: meta('r2', 'Rayleigh scattering, in detail.', 'Why is the sky blue?') },
    ];
    // Not two answers in a row: each answer follows the question it answers.
    assert.deepEqual(toMessages(history, P, 'And at sunset?'), [
      { role: 'user', content: 'Why is the sky blue?' },
      { role: 'assistant', content: 'Rayleigh.' },
      { role: 'user', content: 'Why is the sky blue?' },
      { role: 'assistant', content: 'Rayleigh scattering, in detail.' },
      { role: 'user', content: 'And at sunset?' },
    ]);
  });
  it('parses /model <name> [question]', () => {
    assert.deepEqual(parseModelCommand(' big-smart  why is the sky blue '), {
      model: 'big-smart',
      question: 'why is the sky blue',
    });
    assert.deepEqual(parseModelCommand('big-smart'), { model: 'big-smart', question: '' });
  });
});

describe('rendering', () => {
  it('header shows model, confidence, strategy and the first sentence only', () => {
    const h = decisionHeader(decision);
    assert.match(h, /^\*\*small-fast\*\* · 82% confident · similarity — Similar prompts/);
    assert.ok(!h.includes('\n\nSecond') && h.endsWith('\n\n'));
  });
  it('/why lists alternatives with scores and the strategy chain', () => {
    const md = whyMarkdown({ ...row('r1', 4) });
    assert.match(md, /\| small-fast ✓ \| 0\.710 \|/);
    assert.match(md, /\| big-smart \| 0\.640 \|/);
    assert.match(md, /learned: passed — not enough data/);
    assert.match(md, /rated 4\/5/);
  });
  it('/stats shows savings against the priciest model', () => {
    const stats: UsageStats = {
      requests: 10,
      errors: 1,
      prompt_tokens: 100,
      completion_tokens: 50,
      cost_usd: 0.01,
      cost_if_most_expensive_usd: 0.05,
      mean_routing_latency_ms: 2,
      models: [
        {
          model: 'm',
          requests: 10,
          errors: 1,
          prompt_tokens: 100,
          completion_tokens: 50,
          cost_usd: 0.01,
          mean_latency_ms: 300,
        },
      ],
      per_strategy: [],
      since: null,
    };
    const md = statsMarkdown(stats);
    assert.match(md, /saved \$0\.040/);
    assert.match(md, /\| m \| 10 \| 1 \|/);
  });
  it('escapes markdown in model names and reasons', () => {
    assert.match(decisionHeader({ ...decision, model: 'a*b', explanation: '<img src=x>' }), /a\\\*b.*\\<img src=x\\>/);
  });
});

describe('recent answers document', () => {
  it('puts one heading per answer and lenses on its line; rated answers show their stars', () => {
    const r = renderAnswers(
      [
        { row: row('r1', null), answer: 'line one\nline two' },
        { row: row('r2', 4), answer: null },
      ],
      1_060_000,
    );
    const lines = r.text.split('\n');
    assert.equal(r.entries.length, 2);
    assert.match(lines[r.entries[0]!.line]!, /^## 1\. prompt of r1/);
    assert.match(lines[r.entries[1]!.line]!, /^## 2\. prompt of r2/);
    assert.ok(r.text.includes('> line one\n> line two'));
    assert.ok(r.text.includes('1 min ago'));
    const lenses = lensesFor(r);
    const first = lenses.filter((l) => l.line === r.entries[0]!.line);
    assert.deepEqual(
      first.map((l) => l.command),
      [Commands.rateAnswer, Commands.thumbsAnswer, Commands.thumbsAnswer],
    );
    assert.deepEqual(first[1]!.args, ['r1', 'up']);
    const second = lenses.filter((l) => l.line === r.entries[1]!.line);
    assert.equal(second[0]!.title, `Rated ${stars(4)} (4/5)`);
  });
  it('says what to do when empty', () => {
    assert.match(renderAnswers([]).text, /No routed answers yet/);
  });
});

describe('benchmark task output', () => {
  it('maps the task definition to RPC params', () => {
    assert.deepEqual(benchmarkParams({ type: 'fugusashi-benchmark', dataset: 'sample' }, 'r'), {
      dataset: 'sample',
      mode: 'sample',
      runId: 'r',
    });
    assert.deepEqual(benchmarkParams({ type: 'fugusashi-benchmark', dataset: 'x.csv', mode: 'folds', folds: 5 }, 'r'), {
      dataset: 'x.csv',
      mode: 'folds',
      folds: 5,
      runId: 'r',
    });
  });
  it('resolves relative dataset and test files against the workspace folder (the shared daemon has its own cwd)', () => {
    const def = { type: 'fugusashi-benchmark', dataset: 'data/train.csv', test: './held.csv', mode: 'split' as const };
    assert.deepEqual(benchmarkParams(def, 'r', '/ws'), {
      dataset: path.join('/ws', 'data/train.csv'),
      mode: 'split',
      test: path.join('/ws', 'held.csv'),
      runId: 'r',
    });
    assert.equal(benchmarkParams({ ...def, dataset: '/abs/x.csv' }, 'r', '/ws').dataset, '/abs/x.csv');
    assert.equal(benchmarkParams({ type: 'fugusashi-benchmark', dataset: 'sample' }, 'r', '/ws').dataset, 'sample');
    assert.equal(benchmarkParams(def, 'r', undefined).dataset, 'data/train.csv', 'no folder: left to the daemon');
  });
  it('draws progress and a summary in terminal line endings', () => {
    assert.equal(
      progressLine({ run_id: 'r', phase: 'embedding', done: 5, total: 10 }),
      `[${'#'.repeat(12)}${'.'.repeat(12)}]  50% embedding (5/10)`,
    );
    const s = summaryLines({
      dataset: 'sample',
      mode: 'sample',
      rows: 40,
      models: ['a', 'b'],
      strong: 'b',
      weak: 'a',
      apgr: 0.61,
      cpt50: 31.2,
      cpt80: null,
      duration_ms: 1234,
    });
    assert.match(s[0]!, /40 rows, 2 models, 1\.2 s/);
    assert.match(s.join('\n'), /APGR 0\.610 · CPT\(50%\) 31\.2 · CPT\(80%\) n\/a/);
    assert.equal(crlf('a\nb\r\n'), 'a\r\nb\r\n');
  });
});

describe('language-model picker', () => {
  it('lists Fugusashi Auto first, the daemon’s modes, and pool models but never vscode-lm members', () => {
    const models = pickerModels(
      [
        { id: 'auto', object: 'model', created: 0, owned_by: 'fugusashi' },
        { id: 'auto:cost', object: 'model', created: 0, owned_by: 'fugusashi' },
        { id: 'small', object: 'model', created: 0, owned_by: 'x', provider: 'openai', context_window: 32000 },
        { id: 'copilot-gpt', object: 'model', created: 0, owned_by: 'x', provider: 'vscode-lm' },
      ],
      '1',
    );
    assert.deepEqual(
      models.map((m) => m.id),
      ['auto', 'auto:cost', 'small'],
    );
    assert.equal(models[0]!.name, 'Fugusashi Auto');
    // The largest window, less the answer's room (a quarter, at most 4096 tokens).
    assert.equal(models[0]!.maxInputTokens, 32000 - 4096);
    assert.equal(models[0]!.maxOutputTokens, 4096);
  });
  it('converts vscode.lm messages to OpenAI messages (tool calls as tool_calls: agent.test.ts has the rest)', () => {
    assert.deepEqual(
      toOpenAiMessages([
        { role: 1, content: [{ value: 'hi ' }, { value: 'there' }] },
        { role: 2, content: [{ name: 'tool', input: { a: 1 }, callId: 'c' }] },
        { role: 1, content: [{ callId: 'c', content: [{ value: 'done' }] }] },
      ]),
      [
        { role: 'user', content: 'hi there' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'tool', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'done' },
      ],
    );
  });
});

describe('settings and status', () => {
  it('uses the CLI defaults (same daemon as `fugusashi serve`)', () => {
    assert.equal(CLI_DEFAULTS.port, DEFAULTS.port);
    assert.equal(CLI_DEFAULTS.dataDirName, DEFAULTS.dataDirName);
    const s = resolveSettings(
      {
        dataDir: '',
        configFile: '',
        port: 6060,
        costWeight: null,
        exploration: null,
        idleShutdownSeconds: 300,
        maxRestarts: 5,
      },
      '/home/u',
      undefined,
    );
    assert.equal(s.dataDir, path.join('/home/u', '.fugusashi'));
    assert.equal(s.configFile, undefined);
    assert.equal(s.costWeight, undefined);
  });
  it('expands ~ and resolves relative paths against the workspace', () => {
    const s = resolveSettings(
      {
        dataDir: '~/fg',
        configFile: 'conf/f.yaml',
        port: 99999,
        costWeight: 2,
        exploration: 0,
        idleShutdownSeconds: -1,
        maxRestarts: 2.7,
      },
      '/home/u',
      '/ws',
    );
    assert.equal(s.dataDir, path.join('/home/u', 'fg'));
    assert.equal(s.configFile, path.join('/ws', 'conf/f.yaml'));
    assert.equal(s.port, 6060);
    assert.equal(s.exploration, 0);
    assert.equal(s.idleShutdownSeconds, 0);
    assert.equal(s.maxRestarts, 2);
  });
  it('a changed launch setting restarts the daemon (a reconnect would join the old one); another data dir reconnects', () => {
    const before = resolveSettings(
      {
        dataDir: '/d',
        configFile: '',
        port: 6060,
        costWeight: null,
        exploration: null,
        idleShutdownSeconds: 300,
        maxRestarts: 5,
      },
      '/home/u',
      undefined,
    );
    const mine = { startedHere: true, connected: true };
    const joined = { startedHere: false, connected: true };
    const down = { startedHere: false, connected: false };
    assert.equal(settingsChangeAction(before, { ...before, costWeight: 0.5 }, mine), 'restart');
    assert.equal(settingsChangeAction(before, { ...before, port: 7070 }, mine), 'restart');
    assert.equal(settingsChangeAction(before, { ...before, configFile: '/c.yaml' }, down), 'restart');
    // Started by another window or `fugusashi serve`: ending it is the user's call.
    assert.equal(settingsChangeAction(before, { ...before, exploration: 0.1 }, joined), 'ask');
    assert.equal(settingsChangeAction(before, { ...before, dataDir: '/other' }, joined), 'reconnect');
    assert.equal(settingsChangeAction(before, { ...before }, mine), 'none');
    assert.equal(settingsChangeAction(before, { ...before, maxRestarts: 1 }, mine), 'none');
  });
  it('status shows the last model when running and errors when failed', () => {
    assert.equal(
      statusPresentation({ phase: 'running', health: 'ok', lastModel: 'small' }).text,
      '$(pulse) Fugusashi small',
    );
    assert.equal(statusPresentation({ phase: 'failed', message: 'boom' }).level, 'error');
    assert.match(statusPresentation({ phase: 'restarting', restarts: 2 }).tooltip, /restarting \(2\)/);
  });
  it('allows a bounded number of restarts per window of time', () => {
    let t = 0;
    const p = new RestartPolicy(2, 1000, () => t);
    assert.equal(p.shouldRestart(), true);
    assert.equal(p.shouldRestart(), true);
    assert.equal(p.shouldRestart(), false);
    t = 1500;
    assert.equal(p.shouldRestart(), true);
  });
  it('validates env names for API keys and builds the chat-open arguments', () => {
    assert.ok(isValidEnvName('OPENAI_API_KEY'));
    assert.ok(!isValidEnvName('bad name'));
    assert.deepEqual(chatOpenArgs('why?'), {
      query: '@fugusashi why?',
      mode: 'ask',
      modelSelector: { vendor: 'fugusashi', id: 'auto' },
    });
  });
});
