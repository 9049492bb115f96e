// Benchmark of the Tier 2 orchestrator on tasks with checkable answers (npm run bench:orchestrator).
//
// Each task joins three questions from different RouterBench sets (ARC-Challenge, MBPP,
// Winogrande; 11 models with recorded 0/1 correctness and a per-call cost) into one request. The
// REAL orchestrator (createOrchestrator: planner prompt → plan parser → DAG scheduler → routing →
// synthesis) runs each task against an in-process Gateway whose "models" answer a part with the
// recorded correctness of that model on that question and charge its recorded cost. A task counts
// as right only if every part is right. What is simulated, and so not measured here:
//  - the planner is a rule-based splitter (split on the "### Part" markers, label each part's
//    capability from its text); its labels are checked against the source set and reported;
//  - the synthesizer is assumed to carry the parts' answers over faithfully;
//  - planner and synthesizer calls are charged that model's recorded cost for all the task's
//    parts (they read the whole task), which is conservative.
// Tier 1 routing (each sub-task's model, and the whole task for the "Tier 1 whole task" column):
//  - "learned": the learning engineer's QualityModel (daemon/core/learned: kNN + logistic heads over
//    USE embeddings and prompt features) fitted on the RouterDC train split, choosing argmax
//    100·predicted quality − λ·expected cents like the daemon's learned strategy. A sub-task is
//    predicted from its question's own prompt; the whole task from the joined prompts, as the
//    daemon would see it. Embeddings are cached on disk (~/.cache/fugusashi), so reruns are fast.
//  - "prior": a simpler router (per-capability mean correctness on the train split; without a
//    capability, the per-set means pooled). `--router prior` skips the embeddings.
// λ is routing.cost_weight's scale: quality points (of 100) per US cent. Expected cost of a call =
// the recorded cost of that model on that question (what a token-count estimate approximates).
// `--data mmlu` instead joins three RouteLLM MMLU questions from different subjects (2 models:
// Mixtral-8x7B and GPT-4-1106; split 11:5 by uid; the file has no costs, so a call is priced at
// list prices, GPT-4-1106 $10/$30 and Mixtral $0.60/$0.60 per million input/output tokens, with
// input tokens ≈ characters/4 and 2 output tokens; the planner reads each part's subject from its
// header and maps it to a capability).
//
// Usage: node --import tsx test/bench/orchestrator.ts [--data routerbench|mmlu] [--tasks N]
//        [--learn-tasks N] [--seed S] [--router learned|prior|both] [--json]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelConfig, OrchestratorConfig, Capability } from '../../shared/config';
import type { ChatCompletion, ChatCompletionRequest } from '../../shared/openai';
import type { RoutePlan } from '../../daemon/core/ports';
import type { Gateway } from '../../daemon/services/ports';
import { createOrchestrator, shouldEscalate } from '../../daemon/orchestrator';
import { TeamMemory } from '../../daemon/orchestrator/team';
import { defaultCacheDir, openBenchmarkEmbedder } from '../../daemon/benchmark/cache';
import { textFeatures } from '../../daemon/core/learned/features';
import { QualityModel } from '../../daemon/core/learned/quality-model';

const DATA_DIR = process.env.FUGUSASHI_EVAL_DATA ?? path.resolve('..', 'shared', 'eval-data');
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TASKS = flag('--tasks', 600);
const LEARN_TASKS = flag('--learn-tasks', 3000);
const SEED = flag('--seed', 1);
const JSON_OUT = args.includes('--json');
const ROUTERS = (() => {
  const i = args.indexOf('--router');
  const v = i >= 0 ? args[i + 1] : 'both';
  return v === 'both' ? ['learned', 'prior'] : [v ?? 'learned'];
})();
const DATA = args.includes('--data') ? args[args.indexOf('--data') + 1] : 'routerbench';
/** The cheapest model with good instruction following plans and writes (its calls are charged). */
const PLANNER = DATA === 'mmlu' ? 'mistralai/Mixtral-8x7B-Instruct-v0.1' : 'gpt-3.5-turbo-1106';
const SYNTHESIZER = PLANNER;

// ---------------------------------------------------------------- data

/** How a part names its question in the task text: "(item <uid>)" or "(<subject>, item <uid>)". */
const ITEM = /item ([0-9a-f]{16}(?:-\d+)?)\)/g;
const itemsIn = (text: string): string[] => [...new Set([...text.matchAll(ITEM)].map((m) => m[1]!))];

const SETS = [
  { file: 'routerbench_arc_challenge.csv', name: 'arc_challenge', capability: 'reasoning' },
  { file: 'routerbench_mbpp.csv', name: 'mbpp', capability: 'code' },
  { file: 'routerbench_winogrande.csv', name: 'winogrande', capability: 'chat' },
] as const;

interface Row {
  uid: string;
  set: string;
  capability: string;
  split: string;
  /** The question itself (few-shot examples dropped), shown to the planner. */
  text: string;
  /** The full prompt as recorded (what the learned router embeds). */
  prompt: string;
  score: Record<string, number>;
  cost: Record<string, number>;
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** RouterBench prompts are Python list literals of few-shot text; keep the last question. */
function questionText(prompt: string): string {
  const body = prompt
    .replace(/^\['|'\]$/g, '')
    .replace(/^\["|"\]$/g, '')
    .replace(/\\n/g, '\n')
    .replace(/\\'/g, "'");
  const blocks = body.split(/\n\n+/).filter((b) => b.trim() !== '');
  return (blocks.at(-1) ?? body).trim();
}

function loadRouterBench(): { rows: Row[]; models: string[] } {
  const rows: Row[] = [];
  let models: string[] = [];
  for (const set of SETS) {
    const [header, ...lines] = parseCsv(readFileSync(path.join(DATA_DIR, set.file), 'utf8'));
    if (!header) throw new Error(`${set.file} is empty`);
    const col = (name: string): number => header.indexOf(name);
    models = header.filter((h) => header.includes(`${h}|total_cost`));
    for (const line of lines) {
      if (line.length < header.length) continue;
      const score: Record<string, number> = {};
      const cost: Record<string, number> = {};
      let complete = true;
      for (const m of models) {
        const s = line[col(m)];
        const c = line[col(`${m}|total_cost`)];
        if (s === undefined || s === '' || c === undefined || c === '') complete = false;
        score[m] = Number(s);
        cost[m] = Number(c);
      }
      if (!complete) continue; // RouterBench has a few rows without scores: dropped, as its README says
      rows.push({
        uid: line[col('uid')] ?? '',
        set: set.name,
        capability: set.capability,
        split: line[col('routerdc_split')] ?? '',
        text: questionText(line[col('prompt')] ?? ''),
        prompt: line[col('prompt')] ?? '',
        score,
        cost,
      });
    }
  }
  return { rows, models };
}

/** MMLU subjects grouped into the pool's capability names (what a planner would label them). */
function mmluCapability(subject: string): string {
  if (/mathematics|algebra|statistics|econometrics/.test(subject)) return 'math';
  if (/computer|machine_learning/.test(subject)) return 'code';
  if (/physics|chemistry|logic|logical|engineering|astronomy/.test(subject)) return 'reasoning';
  return 'chat';
}

const MMLU_PRICES: Record<string, { input: number; output: number }> = {
  'mistralai/Mixtral-8x7B-Instruct-v0.1': { input: 0.6e-6, output: 0.6e-6 },
  'gpt-4-1106-preview': { input: 10e-6, output: 30e-6 },
};

function loadMmlu(): { rows: Row[]; models: string[] } {
  const [header, ...lines] = parseCsv(readFileSync(path.join(DATA_DIR, 'routellm_mmlu_responses.csv'), 'utf8'));
  if (!header) throw new Error('routellm_mmlu_responses.csv is empty');
  const col = (name: string): number => header.indexOf(name);
  const models = Object.keys(MMLU_PRICES);
  const rows: Row[] = [];
  for (const line of lines) {
    if (line.length < header.length || line[col('contaminated')] === 'True') continue;
    const uid = line[col('uid')] ?? '';
    const prompt = line[col('prompt')] ?? '';
    const subject = line[col('domain')] ?? '';
    const inputTokens = Math.ceil(prompt.length / 4);
    rows.push({
      uid,
      set: subject,
      capability: mmluCapability(subject),
      split: parseInt(uid[0] ?? '0', 16) < 11 ? 'train' : 'test',
      text: prompt,
      prompt,
      score: Object.fromEntries(models.map((m) => [m, line[col(m)] === 'True' ? 1 : 0])),
      cost: Object.fromEntries(
        models.map((m) => [m, inputTokens * MMLU_PRICES[m]!.input + 2 * MMLU_PRICES[m]!.output]),
      ),
    });
  }
  return { rows, models };
}

// ---------------------------------------------------------------- Tier 1 routers

/** Ranks models for a request made of the questions `uids` (one: a sub-task; several: a whole task). */
interface Tier1 {
  readonly name: string;
  /** Models best first by 100·quality − λ·cents; `capability` is the sub-task's kind when known. */
  rank(uids: readonly string[], capability: string | undefined, lambda: number): { model: string; score: number }[];
}

/** Expected USD of asking `model` the questions `uids`: their recorded costs. */
function expectedCost(byUid: ReadonlyMap<string, Row>, uids: readonly string[], model: string): number {
  return uids.reduce((a, u) => a + (byUid.get(u)?.cost[model] ?? 0), 0);
}

function rankBy(
  models: readonly string[],
  quality: (model: string) => number,
  cost: (model: string) => number,
  lambda: number,
): { model: string; score: number }[] {
  return models
    .map((model) => ({ model, score: 100 * quality(model) - lambda * 100 * cost(model) }))
    .sort((a, b) => b.score - a.score);
}

/** The simpler router: mean correctness per (capability, model) on the train split. */
class PriorRouter implements Tier1 {
  readonly name: string = 'train-split prior router (mean correctness per capability)';
  private readonly byCapability = new Map<string, Map<string, number>>();
  private readonly pooled = new Map<string, number>();

  constructor(
    train: readonly Row[],
    readonly models: readonly string[],
    private readonly byUid: ReadonlyMap<string, Row>,
  ) {
    const capabilities = [...new Set(train.map((r) => r.capability))];
    for (const cap of capabilities) {
      const rows = train.filter((r) => r.capability === cap);
      const means = models.map((m) => [m, rows.reduce((a, r) => a + (r.score[m] ?? 0), 0) / rows.length] as const);
      this.byCapability.set(cap, new Map(means));
    }
    // A request seen whole: each source set weighs the same.
    for (const m of models) {
      const sum = capabilities.reduce((a, c) => a + (this.byCapability.get(c)?.get(m) ?? 0), 0);
      this.pooled.set(m, sum / capabilities.length);
    }
  }

  rank(uids: readonly string[], capability: string | undefined, lambda: number): { model: string; score: number }[] {
    const stats = (capability && this.byCapability.get(capability)) || this.pooled;
    return rankBy(
      this.models,
      (m) => stats.get(m) ?? 0,
      (m) => expectedCost(this.byUid, uids, m),
      lambda,
    );
  }
}

/** The cold-start router of the learning run: pooled means whatever the sub-task's kind. */
class CapabilityBlindRouter extends PriorRouter {
  override readonly name = 'capability-blind prior router';
  override rank(uids: readonly string[], _capability: string | undefined, lambda: number) {
    return super.rank(uids, undefined, lambda);
  }
}

/** The learning engineer's quality model, fitted on the train split, predicting per prompt. */
class LearnedRouter implements Tier1 {
  readonly name = 'learned router (QualityModel of daemon/core/learned over USE embeddings, fitted on the train split)';
  private readonly predictions = new Map<string, Map<string, number>>();

  private constructor(
    readonly models: readonly string[],
    private readonly byUid: ReadonlyMap<string, Row>,
  ) {}

  static async fit(
    train: readonly Row[],
    test: readonly Row[],
    tasks: readonly Task[],
    models: readonly string[],
    byUid: ReadonlyMap<string, Row>,
    log: (msg: string) => void,
  ): Promise<LearnedRouter> {
    const { embedder } = openBenchmarkEmbedder(defaultCacheDir());
    const embed = async (texts: readonly string[], what: string): Promise<Float32Array[]> => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += 64) {
        out.push(...(await embedder.embed(texts.slice(i, i + 64))));
        log(`embedding ${what}: ${Math.min(i + 64, texts.length)}/${texts.length}`);
      }
      return out;
    };
    const router = new LearnedRouter(models, byUid);
    const trainVectors = await embed(
      train.map((r) => r.prompt),
      'train prompts',
    );
    const model = new QualityModel(trainVectors[0]!.length);
    train.forEach((row, i) => {
      const features = textFeatures(row.prompt);
      for (const m of models) model.add(row.uid, trainVectors[i]!, features, m, row.score[m] ?? 0);
    });
    await model.refit(rng(7));
    const predict = (key: string, vector: Float32Array, text: string): void => {
      const p = model.predict(vector, textFeatures(text), models);
      router.predictions.set(key, new Map(p.models.map((x) => [x.model, x.quality])));
    };
    const testVectors = await embed(
      test.map((r) => r.prompt),
      'test prompts',
    );
    test.forEach((row, i) => predict(row.uid, testVectors[i]!, row.prompt));
    const unique = [...new Map(tasks.map((t) => [taskKey(t.parts.map((p) => p.uid)), t])).values()];
    const joined = unique.map((t) => wholePrompt(t));
    const taskVectors = await embed(joined, 'whole tasks');
    unique.forEach((t, i) => predict(taskKey(t.parts.map((p) => p.uid)), taskVectors[i]!, joined[i]!));
    return router;
  }

  /** Predicted quality per model for these questions (one: its prompt; several: the joined prompts). */
  predicted(uids: readonly string[]): ReadonlyMap<string, number> {
    const q = this.predictions.get(uids.length === 1 ? uids[0]! : taskKey(uids));
    if (!q) throw new Error(`no prediction for ${uids.join(',')}`);
    return q;
  }

  rank(uids: readonly string[], _capability: string | undefined, lambda: number): { model: string; score: number }[] {
    const q = this.predictions.get(uids.length === 1 ? uids[0]! : taskKey(uids));
    if (!q) throw new Error(`no prediction for ${uids.join(',')}`);
    return rankBy(
      this.models,
      (m) => q.get(m) ?? 0,
      (m) => expectedCost(this.byUid, uids, m),
      lambda,
    );
  }
}

function taskKey(uids: readonly string[]): string {
  return uids.join('+');
}

/** The whole task as a user would send it to a single model: the three recorded prompts. */
function wholePrompt(task: Task): string {
  return task.parts.map((p, j) => `Part ${j + 1}:\n${p.prompt}`).join('\n\n');
}

// ---------------------------------------------------------------- tasks

interface Task {
  parts: Row[];
  prompt: string;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three parts per task: one per RouterBench set, or (MMLU) three different subjects. */
function composeTasks(rows: readonly Row[], count: number, random: () => number): Task[] {
  const sets = [...new Set(rows.map((r) => r.set))];
  const bySet = new Map(sets.map((name) => [name, rows.filter((r) => r.set === name)]));
  const draw = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const chosen = new Set<string>();
    while (chosen.size < 3) chosen.add(sets.length === 3 ? sets[chosen.size]! : draw(sets));
    const parts = [...chosen].map((set) => draw(bySet.get(set)!));
    // Shuffle the part order so that position says nothing about the kind of question.
    for (let j = parts.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [parts[j], parts[k]] = [parts[k]!, parts[j]!];
    }
    const header = (p: Row): string =>
      DATA === 'mmlu' ? `${p.set.replace(/_/g, ' ')}, item ${p.uid}` : `item ${p.uid}`;
    const prompt =
      'Answer each of the following parts.\n\n' +
      parts.map((p, j) => `### Part ${j + 1} (${header(p)})\n${p.text}`).join('\n\n');
    tasks.push({ parts, prompt });
  }
  return tasks;
}

// ---------------------------------------------------------------- the simulated planner

const planLabels = { right: 0, total: 0 };

/** Splits the task at its part markers and labels each part's capability from its text. */
function heuristicPlan(task: string, byUid: ReadonlyMap<string, Row>): string {
  const parts = task.split(/\n(?=### Part \d+ )/).filter((p) => p.startsWith('### Part'));
  const subtasks = parts.map((part, i) => {
    const body = part.replace(/^### Part \d+ [^\n]*\n/, '');
    const subject = /^### Part \d+ \(([^,)]+), item/.exec(part)?.[1];
    const capability = subject
      ? mmluCapability(subject.replace(/ /g, '_'))
      : /write a (python )?function|\bdef |\bprogram\b/i.test(body)
        ? 'code'
        : /\nD\)/.test(body)
          ? 'reasoning'
          : 'chat';
    const uid = itemsIn(part)[0] ?? '';
    planLabels.total++;
    if (byUid.get(uid)?.capability === capability) planLabels.right++;
    return { id: `p${i + 1}`, capability, instructions: `(item ${uid})\n${body}`, depends_on: [] };
  });
  return JSON.stringify({ subtasks });
}

// ---------------------------------------------------------------- the in-process gateway

class RecordedAnswersGateway implements Gateway {
  constructor(
    private readonly models: readonly ModelConfig[],
    private readonly router: Tier1,
    private readonly lambda: number,
    private readonly byUid: ReadonlyMap<string, Row>,
  ) {}

  pool(): readonly ModelConfig[] {
    return this.models;
  }

  async route(request: ChatCompletionRequest, hint?: { capability?: Capability }): Promise<RoutePlan> {
    const text = String(request.messages.at(-1)?.content ?? '');
    const uids = itemsIn(text);
    const ranked = this.router.rank(uids, hint?.capability, this.lambda);
    const top = ranked[0]!;
    return {
      order: ranked.map((r) => r.model),
      decision: {
        model: top.model,
        confidence: 0.5,
        strategy: 'bench',
        latency_ms: 0,
        explanation: `${this.router.name}: ${top.model} has the best 100·quality − λ·cents`,
        alternatives: ranked.slice(1, 4),
        estimated_cost: expectedCost(this.byUid, uids, top.model),
      },
    };
  }

  async run(order: readonly string[], request: ChatCompletionRequest, signal: AbortSignal) {
    if (signal.aborted) throw new Error('aborted');
    const model = order[0]!;
    const system = String(request.messages[0]?.content ?? '');
    const user = String(request.messages.at(-1)?.content ?? '');
    const uids = itemsIn(user);
    const rows = [...new Set(uids)].map((u) => this.byUid.get(u)!).filter(Boolean);
    let text: string;
    let cost: number;
    if (system.startsWith('You are the planner')) {
      text = heuristicPlan(user, this.byUid);
      cost = rows.reduce((a, r) => a + (r.cost[model] ?? 0), 0);
    } else if (system.startsWith('You write the final answer')) {
      text = 'final answer';
      cost = rows.reduce((a, r) => a + (r.cost[model] ?? 0), 0);
    } else {
      const own = itemsIn(user.slice(user.indexOf('Your sub-task:')))[0];
      const row = own ? this.byUid.get(own) : undefined;
      if (!row) throw new Error('sub-task without an item');
      text = `${row.score[model] === 1 ? 'RIGHT' : 'WRONG'} ${row.uid}`;
      cost = row.cost[model] ?? 0;
    }
    const completion: ChatCompletion = {
      id: 'bench',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    };
    return { completion, answered_by: model, attempts: [], cost_usd: cost };
  }
}

// ---------------------------------------------------------------- runs

interface Result {
  quality: number;
  cost: number;
  /** Share of parts answered right. */
  partQuality: number;
}

function singleModel(tasks: readonly Task[], model: string): Result {
  let right = 0;
  let parts = 0;
  let cost = 0;
  for (const t of tasks) {
    if (t.parts.every((p) => p.score[model] === 1)) right++;
    parts += t.parts.filter((p) => p.score[model] === 1).length;
    cost += t.parts.reduce((a, p) => a + (p.cost[model] ?? 0), 0);
  }
  return { quality: right / tasks.length, cost: cost / tasks.length, partQuality: parts / (3 * tasks.length) };
}

async function orchestrate(
  tasks: readonly Task[],
  gateway: Gateway,
  memory: TeamMemory,
  lambda: number,
  learn: boolean,
  onTask?: (i: number, right: boolean, cost: number, partsRight: number) => void,
): Promise<Result> {
  const config: OrchestratorConfig = {
    planner: PLANNER,
    synthesizer: SYNTHESIZER,
    max_subtasks: 5,
    max_parallel: 3,
    max_cost_usd: 10,
    max_seconds: 600,
  };
  const orchestrator = createOrchestrator({ gateway, config: () => config, memory, costWeight: () => lambda });
  let right = 0;
  let partsRight = 0;
  let cost = 0;
  for (const [i, task] of tasks.entries()) {
    const out = await orchestrator.run(
      { model: 'auto:orchestrate', messages: [{ role: 'user', content: task.prompt }] },
      { signal: new AbortController().signal },
    );
    if (out.decision.strategy !== 'orchestrator') throw new Error(`task ${i} fell back: ${out.decision.explanation}`);
    const subtasks = out.steps.filter((s) => s.kind === 'subtask');
    const good = subtasks.filter((s) => s.output_preview?.startsWith('RIGHT')).length;
    const allRight = good === task.parts.length && subtasks.length === task.parts.length;
    if (allRight) right++;
    partsRight += good;
    cost += out.cost_usd;
    // The user's rating of the whole answer: 5 when every part is right, less for each wrong part.
    if (learn) orchestrator.creditRating(out.steps, 1 + (4 * good) / task.parts.length);
    onTask?.(i, allRight, out.cost_usd, good / task.parts.length);
  }
  return { quality: right / tasks.length, cost: cost / tasks.length, partQuality: partsRight / (3 * tasks.length) };
}

function pool(models: readonly string[], rows: readonly Row[]): ModelConfig[] {
  return models.map((name) => ({
    name,
    provider: 'openai',
    model: name,
    cost_per_input_token: 0,
    // So that the orchestrator's pre-call estimate (~700 output tokens) is about one recorded call.
    cost_per_output_token: rows.reduce((a, r) => a + (r.cost[name] ?? 0), 0) / rows.length / 700,
    capabilities: ['chat', 'code', 'math', 'reasoning', 'writing'],
  }));
}

/**
 * Quality a mix of single models reaches at `cost`: the upper convex hull of the single models'
 * (cost, quality) points, interpolated (sending a share of tasks to each of two models).
 */
function singleFrontierQuality(singles: readonly { quality: number; cost: number }[], cost: number): number {
  const pts = [...singles].sort((a, b) => a.cost - b.cost);
  let best = 0;
  for (const a of pts)
    for (const b of pts) {
      if (a.cost <= cost && cost <= b.cost) {
        const t = b.cost === a.cost ? 1 : (cost - a.cost) / (b.cost - a.cost);
        best = Math.max(best, a.quality + t * (b.quality - a.quality));
      }
      if (b.cost <= cost) best = Math.max(best, b.quality);
    }
  return best;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const t0 = Date.now();
  const { rows, models } = DATA === 'mmlu' ? loadMmlu() : loadRouterBench();
  const train = rows.filter((r) => r.split === 'train');
  const test = rows.filter((r) => r.split === 'test');
  const byUid = new Map(rows.map((r) => [r.uid, r]));
  const tasks = composeTasks(test, TASKS, rng(SEED));

  const singles = models
    .map((m) => ({ model: m, ...singleModel(tasks, m) }))
    .sort((a, b) => b.quality - a.quality || a.cost - b.cost);
  const best = singles[0]!;

  const log = (msg: string): void => {
    if (!JSON_OUT) process.stderr.write(`\r${msg.padEnd(60)}`);
  };
  const routers: Tier1[] = [];
  for (const name of ROUTERS) {
    if (name === 'prior') routers.push(new PriorRouter(train, models, byUid));
    else routers.push(await LearnedRouter.fit(train, test, tasks, models, byUid, log));
  }
  if (!JSON_OUT) process.stderr.write(`\r${''.padEnd(62)}\r`);

  const lambdas = [0, 1, 2, 5, 10, 20, 50, 100];
  const sweeps: {
    router: string;
    points: {
      lambda: number;
      tier1: Result & { model_shares: Record<string, number> };
      orchestrated: Result;
      single_mix_quality_at_same_cost: number;
    }[];
  }[] = [];
  for (const router of routers) {
    const points = [];
    for (const lambda of lambdas) {
      // Tier 1 routing of the whole task: one model answers every part.
      const shares: Record<string, number> = {};
      let right = 0;
      let partsRight = 0;
      let cost = 0;
      for (const t of tasks) {
        const uids = t.parts.map((p) => p.uid);
        const m = router.rank(uids, undefined, lambda)[0]!.model;
        shares[m] = (shares[m] ?? 0) + 1 / tasks.length;
        if (t.parts.every((p) => p.score[m] === 1)) right++;
        partsRight += t.parts.filter((p) => p.score[m] === 1).length;
        cost += expectedCost(byUid, uids, m);
      }
      const tier1 = {
        quality: right / tasks.length,
        cost: cost / tasks.length,
        partQuality: partsRight / (3 * tasks.length),
        model_shares: shares,
      };
      const gateway = new RecordedAnswersGateway(pool(models, train), router, lambda, byUid);
      const orchestrated = await orchestrate(tasks, gateway, new TeamMemory(), lambda, false);
      points.push({
        lambda,
        tier1,
        orchestrated,
        single_mix_quality_at_same_cost: singleFrontierQuality(singles, orchestrated.cost),
      });
    }
    sweeps.push({ router: router.name, points });
  }

  // Auto-escalation (shouldEscalate, the daemon's own rule): orchestrate only the tasks for which
  // the learned router predicts that no single model reaches the threshold; compare with sending
  // the same share of tasks to the orchestrator at random.
  const escalation: {
    lambda: number;
    rows: {
      threshold: number;
      share: number;
      quality: number;
      cost: number;
      random_quality: number;
      random_cost: number;
    }[];
  }[] = [];
  const learned = routers.find((r): r is LearnedRouter => r instanceof LearnedRouter);
  for (const lambda of learned ? [5, 10, 20] : []) {
    const gateway = new RecordedAnswersGateway(pool(models, train), learned!, lambda, byUid);
    const orch: { right: boolean; cost: number }[] = [];
    await orchestrate(tasks, gateway, new TeamMemory(), lambda, false, (_i, right, cost) => orch.push({ right, cost }));
    const single = tasks.map((t) => {
      const uids = t.parts.map((p) => p.uid);
      const m = learned!.rank(uids, undefined, lambda)[0]!.model;
      const predicted = learned!.predicted(uids);
      return {
        right: t.parts.every((p) => p.score[m] === 1),
        cost: expectedCost(byUid, uids, m),
        top: predicted.get(m) ?? 0,
        best: Math.max(...predicted.values()),
      };
    });
    const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
    const qSingle = mean(single.map((x) => Number(x.right)));
    const cSingle = mean(single.map((x) => x.cost));
    const qOrch = mean(orch.map((x) => Number(x.right)));
    const cOrch = mean(orch.map((x) => x.cost));
    const rows = [];
    for (const threshold of [0.6, 0.7, 0.75, 0.8, 0.85, 0.9]) {
      const escalate = single.map(
        (x) =>
          shouldEscalate(
            { auto_escalate_below: threshold },
            {
              requestedModel: 'auto',
              verdict: { strategy: 'learned', abstain: false, predictedQuality: x.top },
              bestPredictedQuality: x.best,
              poolSize: models.length,
            },
          ).escalate,
      );
      const share = mean(escalate.map(Number));
      rows.push({
        threshold,
        share,
        quality: mean(single.map((x, i) => Number(escalate[i] ? orch[i]!.right : x.right))),
        cost: mean(single.map((x, i) => (escalate[i] ? orch[i]!.cost : x.cost))),
        random_quality: (1 - share) * qSingle + share * qOrch,
        random_cost: (1 - share) * cSingle + share * cOrch,
      });
    }
    escalation.push({ lambda, rows });
  }

  // Learning: from a cold start the sub-task router knows only pooled per-model means (no
  // capability knowledge); the team memory learns from each task's rating which model does which
  // kind of sub-task. Same task stream with and without crediting the ratings.
  const learnTasks = composeTasks(test, LEARN_TASKS, rng(SEED + 1));
  const learnedPicks: { lambda: number; picks: { capability: string; tier1?: string; learned?: string }[] }[] = [];
  const learning: { lambda: number; windows: { from: number; to: number; without: Result; with: Result }[] }[] = [];
  const blind = new CapabilityBlindRouter(train, models, byUid);
  for (const lambda of [20, 50, 100]) {
    const gateway = new RecordedAnswersGateway(pool(models, train), blind, lambda, byUid);
    type Point = { right: boolean; cost: number; parts: number };
    const curves = { with: [] as Point[], without: [] as Point[] };
    const memory = new TeamMemory();
    await orchestrate(learnTasks, gateway, new TeamMemory(), lambda, false, (_i, right, cost, parts) =>
      curves.without.push({ right, cost, parts }),
    );
    await orchestrate(learnTasks, gateway, memory, lambda, true, (_i, right, cost, parts) =>
      curves.with.push({ right, cost, parts }),
    );
    learnedPicks.push({
      lambda,
      picks: [...new Set(test.map((r) => r.capability))].map((capability) => {
        const typical = test.find((r) => r.capability === capability)!;
        const c = blind
          .rank([typical.uid], undefined, lambda)
          .map((o) => ({ model: o.model, costUsd: typical.cost[o.model] ?? 0 }));
        return { capability, tier1: c[0]?.model, learned: memory.pick(capability, c, lambda)?.model };
      }),
    });
    const windowSize = Math.max(1, Math.floor(LEARN_TASKS / 6));
    const windows = [];
    for (let from = 0; from < LEARN_TASKS; from += windowSize) {
      const slice = (c: Point[]): Result => {
        const s = c.slice(from, from + windowSize);
        return {
          quality: s.filter((x) => x.right).length / s.length,
          cost: s.reduce((a, x) => a + x.cost, 0) / s.length,
          partQuality: s.reduce((a, x) => a + x.parts, 0) / s.length,
        };
      };
      windows.push({
        from,
        to: Math.min(LEARN_TASKS, from + windowSize),
        without: slice(curves.without),
        with: slice(curves.with),
      });
    }
    learning.push({ lambda, windows });
  }

  const report = {
    data:
      DATA === 'mmlu'
        ? 'RouteLLM MMLU, 3 subjects per task (test = uids starting b–f), list-price costs'
        : 'RouterBench arc_challenge + mbpp + winogrande (RouterDC test split), 3 parts per task',
    tasks: TASKS,
    seed: SEED,
    routers: routers.map((r) => r.name),
    planner_label_accuracy: planLabels.right / planLabels.total,
    best_single: best,
    singles,
    sweeps,
    learning,
    learned_picks: learnedPicks,
    escalation,
    duration_ms: Date.now() - t0,
  };
  if (JSON_OUT) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const usd = (x: number): string => `$${x.toFixed(5)}`;
  console.log(
    `Orchestrator benchmark: ${report.data}; ${TASKS} tasks (seed ${SEED}); a task is right only if all 3 parts are.`,
  );
  console.log(`Planner: rule-based splitter, labels right ${pct(report.planner_label_accuracy)}.`);
  console.log(`Planner and synthesizer: ${PLANNER} (charged its recorded cost of all parts, each).\n`);
  console.log('Single models (all parts answered by one model):');
  for (const s of singles)
    console.log(
      `  ${s.model.padEnd(36)} task ${pct(s.quality).padStart(6)}  part ${pct(s.partQuality).padStart(6)}  ${usd(s.cost)}/task`,
    );
  console.log(`\nBest single model: ${best.model} ${pct(best.quality)} at ${usd(best.cost)}/task\n`);
  for (const sweep of sweeps) {
    console.log(`Tier 1 router: ${sweep.router}`);
    console.log(
      '  λ    | Tier 1 whole task: task q., part q., cost (main pick) | Orchestrated: task q., part q., cost | single-model mix at that cost',
    );
    for (const s of sweep.points) {
      const main = Object.entries(s.tier1.model_shares).sort((a, b) => b[1] - a[1])[0];
      console.log(
        `  ${String(s.lambda).padEnd(5)}| ${pct(s.tier1.quality).padStart(6)} ${pct(s.tier1.partQuality).padStart(6)} ${usd(s.tier1.cost)} ` +
          `(${main?.[0].replace(/^.*\//, '')} ${pct(main?.[1] ?? 0)})`.padEnd(34) +
          `| ${pct(s.orchestrated.quality).padStart(6)} ${pct(s.orchestrated.partQuality).padStart(6)} ${usd(s.orchestrated.cost)} | ` +
          `${pct(s.single_mix_quality_at_same_cost).padStart(6)}`,
      );
    }
    console.log('');
  }
  for (const l of learning) {
    console.log(
      `\nLearning from ratings (cold start: capability-blind router, λ=${l.lambda}); per window: task quality, cost, ` +
        `value = 100·part quality − λ·cents (what the router maximises):`,
    );
    const value = (r: Result): string => (100 * r.partQuality - l.lambda * 100 * r.cost).toFixed(1);
    for (const w of l.windows)
      console.log(
        `  tasks ${String(w.from).padStart(5)}–${String(w.to).padEnd(5)} without ratings ${pct(w.without.quality).padStart(6)} ${usd(w.without.cost)} ${value(w.without)}` +
          `   with ratings ${pct(w.with.quality).padStart(6)} ${usd(w.with.cost)} ${value(w.with)}`,
      );
  }
  for (const e of escalation) {
    console.log(
      `\nAuto-escalation with the learned router's predictions (λ=${e.lambda}): threshold, share escalated, ` +
        'task quality, cost | the same share escalated at random:',
    );
    for (const r of e.rows)
      console.log(
        `  below ${r.threshold.toFixed(2)}  ${pct(r.share).padStart(6)}  ${pct(r.quality).padStart(6)} ${usd(r.cost)} | ` +
          `${pct(r.random_quality).padStart(6)} ${usd(r.random_cost)}`,
      );
  }
  for (const l of learnedPicks)
    console.log(
      `After learning (λ=${l.lambda}), first choice per sub-task kind: ` +
        l.picks.map((p) => `${p.capability}: ${p.tier1} → ${p.learned}`).join('; '),
    );
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
