// `fugusashi benchmark …`: parses the arguments, runs the benchmark with a progress bar on stderr,
// and prints a table (or --json). The hub's CLI dispatches here; returns the exit code.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchmarkProgress } from '../../shared/api';
import { lastBenchmarkPath, saveLastBenchmark } from './last-report';
import { DEFAULT_LINEAR } from '../core/learned/linear';
import type { MultiNestedReport, NestedFigures } from './multi-run';
import {
  runBenchmarkDetailed,
  SAMPLE_PAIR,
  SAMPLE_STORY_START,
  type BenchmarkOptions,
  type BenchmarkResult,
} from './run';
import { samplePath } from './sample';

export { samplePath };

export const SAMPLE_STRONG = SAMPLE_PAIR.strong;
export const SAMPLE_WEAK = SAMPLE_PAIR.weak;

const USAGE = `usage: fugusashi benchmark [FILE] [options]
  (no arguments)        run the bundled 300-row MMLU sample, 5 folds
  FILE --folds K        cross-validation inside one file (split by prompt hash; default 5)
  --train FILE --test FILE   learn from one file, evaluate on the other
  FILE --online         replay a stream revealing only the chosen model's score
  --strong M --weak M   two-model run: quality vs % strong calls, APGR, CPT(50%), CPT(80%)
  --models a,b,c        restrict a multi-model run to these columns
  --emit FILE           write one line per test row: uid,score (two-model) or uid,model
  --lambda X            λ of the decisions written by --emit (multi-model; default 0)
  --json                print the report as JSON
  --cache-dir DIR       embedding cache (default ~/.cache/fugusashi or $FUGUSASHI_CACHE_DIR)
  --seed N              random seed (default 1)
  --prior-only          score FILE with the router prior alone (learns nothing from FILE)
  --per-turn            multi-turn FILE (MT-Bench): route each turn as its own request, as the
                        daemon does, scored by that turn's judge score (default: turn 1 decides)
  --with-prior          --folds / --train / --online start from the prior and blend it in
  --prior-data DIR      train the prior now from DIR (the shared eval data) without FILE:
                        leave-one-dataset-out, FILE's rows never seen (default: the bundled prior)
  --prior-in-domain     with FILE --folds K --prior-data DIR (implies --with-prior): each test fold's
                        prior is trained now on DIR's other files plus FILE's rows outside that fold,
                        and the store learns the same rows (no row of the test fold reaches either).
                        The store's rows get their prior logits from priors trained without them
                        too (one more prior per training fold), as a user's own outcomes are prompts
                        the shipped prior never saw. The report lists each fold's prior training
                        rows and the prior's score alone. With --online: the holdout fold is
                        scored, the next two hash folds are the stream of ratings, and the prior
                        is trained on DIR's other files plus FILE's remaining two folds
  --prior-members N     fits averaged into a prior trained now (default 5, as the shipped prior)
  --prior-weight N      neighbour outcomes the prior's estimate for a prompt counts as (default 20)
  --eval-folds 1,2,3,4  with --folds: score only these folds, each trained on all the others
                        (nested evaluation: tune on fold 0, report on the rest)
  --explore X           with --online: share of the replay's decisions drawn uniformly at random, so
                        the weaker model's outcomes are revealed too (default 0.3; the rest:
                        Thompson sampling)
  --holdout-fold F      with --online: measure on hash fold F of 5, stream the others (default 0)
  --stack               multi-model --folds: stack kNN, the heads and the prior's IRT structure
                        with nested selection and a cost-aware ε pick (the live router stacks kNN
                        and the heads for pools of 3+ models; this run adds the IRT view)
  --live-stack          multi-model --folds: each test fold decided by the live router's own
                        multi-model stack (what \`auto\` uses for a pool of 3+ models), fitted on
                        the other folds as a daemon fits it on its store
  --fast-view           also score FILE with the router deciding on each prompt's fast first view
                        (as a daemon decides a new prompt; the store still learns USE vectors)
  --data-dir DIR        where the dashboard's Benchmark tab reads the last report (default ~/.fugusashi)
Fugusashi 0.3.0's spellings: -d FILE (same as FILE; CSV or JSONL; 0.3.0's {prompt, expected_model}
rows are scored 1 for the expected model, 0 for the others: quality = 0.3.0's routing accuracy), --train alone (the router
learns from the training folds before it is evaluated, as every run here does), --verbose / -v
(one line per evaluated row: its id and the routed model, or the strong-win score), --dataset FILE;
-t / --threshold X is accepted and has no effect (the learned router has no confidence cut-off).`;

export async function benchmarkCommand(
  argv: string[],
  io: {
    stdout?: NodeJS.WritableStream;
    stderr?: NodeJS.WriteStream | NodeJS.WritableStream;
    /** Where the report is saved for the dashboard (--data-dir wins); none: not saved. */
    dataDir?: string;
  } = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  // 0.3.0's `--train` took no value ("with training data"): alone or before another flag, it is that
  // flag; `--train FILE --test FILE` keeps this CLI's meaning.
  argv = argv.flatMap((arg, i) =>
    arg === '--train' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-')) ? ['--trained'] : [arg],
  );
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        train: { type: 'string' },
        test: { type: 'string' },
        folds: { type: 'string' },
        online: { type: 'boolean' },
        strong: { type: 'string' },
        weak: { type: 'string' },
        models: { type: 'string' },
        emit: { type: 'string' },
        lambda: { type: 'string' },
        json: { type: 'boolean' },
        'cache-dir': { type: 'string' },
        seed: { type: 'string' },
        k: { type: 'string' },
        'knn-share': { type: 'string' },
        temperature: { type: 'string' },
        'residual-precision': { type: 'string' },
        'knn-share-with-prior': { type: 'string' },
        'correction-share': { type: 'string' },
        prior: { type: 'string' },
        'prior-only': { type: 'boolean' },
        'per-turn': { type: 'boolean' },
        'with-prior': { type: 'boolean' },
        'prior-data': { type: 'string' },
        'prior-in-domain': { type: 'boolean' },
        'prior-members': { type: 'string' },
        'prior-weight': { type: 'string' },
        'eval-folds': { type: 'string' },
        'holdout-fold': { type: 'string' },
        explore: { type: 'string' },
        stack: { type: 'boolean' },
        'live-stack': { type: 'boolean' },
        'fast-view': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        // Fugusashi 0.3.0's flags.
        dataset: { type: 'string', short: 'd' },
        trained: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        threshold: { type: 'string', short: 't' },
        'data-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  const num = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
    return n;
  };
  if (values.threshold !== undefined)
    stderr.write('--threshold (0.3.0) has no effect: the learned router has no confidence cut-off\n');
  let options: BenchmarkOptions;
  try {
    if (typeof values.dataset === 'string' && positionals.length > 0)
      throw new Error(`give either -d FILE or FILE, not both`);
    const file = typeof values.dataset === 'string' ? values.dataset : positionals[0];
    const sample = !file && !values.train && !values.test;
    if ((values.strong === undefined) !== (values.weak === undefined)) throw new Error('give both --strong and --weak');
    if ((values.train === undefined) !== (values.test === undefined)) throw new Error('give both --train and --test');
    if (values['prior-in-domain'] && (values['prior-data'] === undefined || !file || values['prior-only']))
      throw new Error(
        '--prior-in-domain needs FILE --folds K or FILE --online, and --prior-data DIR (not --prior-only or --train)',
      );
    if (values['fast-view'] && (values.online || sample))
      throw new Error('--fast-view works with FILE --folds K, --train/--test and --prior-only');
    const model: BenchmarkOptions['model'] = {};
    if (values.k !== undefined) model.k = num('k');
    if (values['knn-share'] !== undefined) model.knnShare = num('knn-share');
    if (values.temperature !== undefined) model.temperature = num('temperature');
    if (values.prior !== undefined) model.priorStrength = num('prior');
    if (values['residual-precision'] !== undefined)
      model.linear = { ...DEFAULT_LINEAR, residualPrecision: num('residual-precision')! };
    if (values['knn-share-with-prior'] !== undefined) model.knnShareWithPrior = num('knn-share-with-prior');
    if (values['correction-share'] !== undefined) model.fixedCorrectionShare = num('correction-share');
    options = {
      file: sample ? samplePath() : file,
      train: values.train as string | undefined,
      test: values.test as string | undefined,
      folds: num('folds') ?? 5,
      online: values.online === true,
      strong: (values.strong as string | undefined) ?? (sample ? SAMPLE_STRONG : undefined),
      weak: (values.weak as string | undefined) ?? (sample ? SAMPLE_WEAK : undefined),
      models: typeof values.models === 'string' ? values.models.split(',').map((m) => m.trim()) : undefined,
      cacheDir: values['cache-dir'] as string | undefined,
      seed: num('seed'),
      emitLambda: num('lambda'),
      model,
      sample,
      priorOnly: values['prior-only'] === true,
      perTurn: values['per-turn'] === true,
      withPrior: values['with-prior'] === true || values['prior-in-domain'] === true,
      priorData: values['prior-data'] as string | undefined,
      priorInDomain: values['prior-in-domain'] === true,
      priorMembers: num('prior-members'),
      priorWeight: num('prior-weight'),
      evalFolds: typeof values['eval-folds'] === 'string' ? foldList(values['eval-folds']) : undefined,
      holdoutFold: num('holdout-fold'),
      onlineExplore: num('explore'),
      stack: values.stack === true,
      liveStack: values['live-stack'] === true,
      fastView: values['fast-view'] === true,
    };
  } catch (err) {
    stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }

  const bar = progressBar(stderr);
  let result: BenchmarkResult;
  try {
    result = await runBenchmarkDetailed(options, (p) => bar.update(p));
  } catch (err) {
    bar.done();
    stderr.write(`benchmark failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  bar.done();
  if (typeof values.emit === 'string') {
    writeFileSync(values.emit, result.decisions.map((d) => `${d.uid},${d.value}`).join('\n') + '\n');
  }
  stdout.write(values.json ? `${JSON.stringify(result.report, null, 2)}\n` : formatReport(result.report));
  if (values.verbose) writeRows(values.json ? stderr : stdout, result.decisions);
  const dataDir = typeof values['data-dir'] === 'string' ? path.resolve(values['data-dir']) : io.dataDir;
  if (dataDir) {
    // The dashboard's Benchmark tab (and a running daemon's GET /v1/benchmark/last) reads it from here.
    try {
      saveLastBenchmark(dataDir, result.report);
      stderr.write(`report saved for the dashboard's Benchmark tab: ${lastBenchmarkPath(dataDir)}\n`);
    } catch (err) {
      stderr.write(
        `could not save the report for the dashboard: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  }
  return 0;
}

function foldList(text: string): number[] {
  const folds = text.split(',').map((f) => Number(f.trim()));
  if (folds.some((f) => !Number.isInteger(f) || f < 0)) throw new Error('--eval-folds takes fold numbers: 1,2,3,4');
  return folds;
}

/** --verbose: each evaluated row's id and what the router made of it. */
function writeRows(out: NodeJS.WritableStream, decisions: BenchmarkResult['decisions']): void {
  out.write(`\n${decisions.length} evaluated rows (id, routed model or strong-win score):\n`);
  for (const d of decisions) out.write(`  ${d.uid}  ${d.value}\n`);
}

function progressBar(stream: NodeJS.WritableStream & { isTTY?: boolean }) {
  let lastLine = '';
  let lastAt = 0;
  return {
    update(p: BenchmarkProgress) {
      const share = p.total > 0 ? p.done / p.total : 0;
      const width = 24;
      const filled = Math.round(share * width);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${p.phase} ${p.done}/${p.total}`;
      if (stream.isTTY) stream.write(`\r${line.padEnd(lastLine.length)}`);
      else if (Date.now() - lastAt > 2000 || p.done === p.total) {
        stream.write(`${line}\n`);
        lastAt = Date.now();
      }
      lastLine = line;
    },
    done() {
      if (stream.isTTY && lastLine) stream.write('\n');
    },
  };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'never' : `${x.toFixed(1)}%`);
const f3 = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
const usd = (x: number) => (x === 0 ? '$0' : `$${x.toPrecision(3)}`);

export function formatReport(report: BenchmarkResult['report']): string {
  const lines: string[] = [];
  lines.push(`${report.dataset} · ${report.mode} · ${report.rows} rows · ${(report.duration_ms / 1000).toFixed(1)} s`);
  if (report.strong && report.weak && report.curve) {
    lines.push(`strong ${report.strong} vs weak ${report.weak}`);
    lines.push('');
    lines.push('  % strong   quality   PGR');
    for (const p of report.curve)
      lines.push(`  ${p.strong_pct.toFixed(0).padStart(7)}%   ${p.quality.toFixed(4)}   ${p.pgr.toFixed(3)}`);
    lines.push('');
    lines.push(
      `APGR ${f3(report.apgr)}   CPT(50%) ${pct(report.cpt50)}   CPT(80%) ${pct(report.cpt80)}   (random: APGR 0.500, CPT 50% / 80%)`,
    );
  }
  if (report.lambda_sweep && report.best_single) {
    lines.push('');
    const b = report.best_single;
    lines.push(`        λ   quality      cost/call   of ${b.model}'s cost`);
    for (const s of report.lambda_sweep)
      lines.push(
        `  ${String(s.lambda).padStart(7)}   ${s.quality.toFixed(4)}   ${usd(s.cost)}   ${b.cost > 0 ? `${((100 * s.cost) / b.cost).toFixed(0)}%` : '-'}`,
      );
    lines.push('');
    lines.push(
      `best single model ${b.model}: ${b.quality.toFixed(4)} at ${usd(b.cost)}; oracle ${f3(report.oracle_quality)}`,
    );
    const routed = report.lambda_sweep[0];
    if (routed)
      lines.push(
        `routed (λ=0): ${routed.quality.toFixed(4)} (${((routed.quality - b.quality) * 100).toFixed(1)} points vs best single)`,
      );
    if (report.cheapest_at_best_quality) {
      const c = report.cheapest_at_best_quality;
      // A share of $0 is no figure ("-% of its cost" was printed): say the table prices it at $0.
      const share =
        b.cost > 0
          ? `${((100 * c.cost) / b.cost).toFixed(0)}% of its cost`
          : `${b.model} costs $0 in this table, so there is no share of its cost to give`;
      lines.push(`best single's quality reached at λ=${c.lambda} for ${usd(c.cost)} (${share})`);
    } else if (report.lambda_sweep.length > 1) lines.push(`no λ reaches the best single model's quality`);
  }
  if (report.multi_nested) lines.push('', ...formatNested(report.multi_nested));
  if (report.live_stack) {
    lines.push('', "decided by the live router's multi-model stack, fitted per fold as a daemon fits it:");
    for (const f of report.live_stack)
      lines.push(
        f.prompts === null
          ? `  fold ${f.fold}: too few prompts scored for every model; the learned strategy decided`
          : `  fold ${f.fold}: ${f.prompts} prompts, ${f.weights}`,
      );
  }
  if (report.learning_curve) {
    lines.push('');
    lines.push(`learning curve (${report.strong ? 'APGR' : 'quality'} on a held-out fifth after n revealed outcomes):`);
    for (const p of report.learning_curve) lines.push(`  n=${String(p.n).padStart(6)}   ${p.value.toFixed(3)}`);
  }
  if (report.variants?.length) {
    lines.push('');
    for (const v of report.variants) {
      if (report.mode === 'sample' && v.name === SAMPLE_STORY_START)
        lines.push(
          '',
          'Above: the prior plus every score of four folds, tested on the fifth. For a newcomer (MMLU questions',
          "the shipped prior never saw; a rating reveals only the rated model's score; 5 folds):",
        );
      lines.push(`  ${v.name}: ${v.apgr !== undefined ? `APGR ${f3(v.apgr)}` : `quality ${f3(v.quality)}`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The nested multi-model figures: no setting was chosen on the rows measured. */
function formatNested(n: MultiNestedReport): string[] {
  const line = (label: string, f: NestedFigures) => {
    const gain = `${label}: routed ${f.routed_quality.toFixed(4)} vs best single ${f.best_single_quality.toFixed(4)} (${f.gain_points >= 0 ? '+' : ''}${f.gain_points.toFixed(1)} points, ${f.rows} rows)`;
    const c = f.cost_aware;
    return c
      ? [
          gain,
          `  cost-aware (cheapest within ε): ${c.quality.toFixed(4)} at ${(100 * c.cost_share).toFixed(0)}% of ${n.best_single_model}'s cost`,
        ]
      : [gain];
  };
  return [
    `nested (weights, offsets and ε chosen on inner folds of each training set; best single ${n.best_single_model}):`,
    ...line('  all rows', n.all),
    ...line('  rows outside the tuning split (hash fold 0)', n.outside_tuning_split),
  ];
}
