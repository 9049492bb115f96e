// Training the router prior from the shared eval data's score tables (scripts/train-prior.ts and
// the benchmark's leave-one-dataset-out runs): rows → examples over canonical model names → a
// fitted PriorArtifact. Only the files whose licences allow it go into the shipped prior.
import path from 'node:path';
import { FEATURE_COUNT, LEXICAL_DIMS, textFeatures, type TextFeatures } from '../core/learned/features';
import { canonicalModelName, priorInput, RouterPrior, type PriorArtifact } from '../core/learned/prior';
import {
  artifactHeads,
  DEFAULT_PRIOR_HYPER,
  fitPrior,
  mergeFits,
  predictFitted,
  roundTo,
  type FittedPrior,
  type PriorExample,
  type PriorHyper,
  withDiscriminationSkill,
  withKindDifficulty,
} from '../core/learned/prior-fit';
import { discriminationHead } from './prior-discrimination';
import { withoutGradingFailures } from './prior-clean';
import { DEFAULT_KIND_DIFFICULTY, kindHead, subgroupsOf, type KindHeadOptions } from './prior-kind-head';
import { KIND_COUNT } from '../core/learned/prior-kind';
import { PUBLIC_QUALITY } from '../core/learned/public-quality';
import { DiskEmbeddingCache } from '../embeddings/disk-cache';
import { boundForEmbedding, contentKey } from '../embeddings/text';
import { USE_ID } from '../embeddings/use';
import { loadTable, type EvalTable } from './data';
import { foldOf, seededRandom } from './folds';

export const PRIOR_VERSION = 1;
/** Dataset weight ∝ outcomes^-balance (tuned with the other hyper-parameters). */
export const DEFAULT_BALANCE = 0.3;
/**
 * The hashed words enter the heads at this scale (the dense features at 1). With AdaGrad and L2,
 * a smaller scale regularises those weights harder (words tell the benchmarks apart more than
 * length or code do); ×0.3 looked better on one seed of the tuning split but not over three.
 */
export const DEFAULT_LEXICAL_SCALE = 1;
/**
 * Fits averaged into the prior (seeds seed … seed + 4). On the tuning split one fit's seed alone
 * moved the mean transfer APGR by ±.015 (single files by ±.06); five averaged scored .566 | .549
 * (pair | all pairs) against .552 | .547 for single fits averaged over three seeds.
 */
export const DEFAULT_MEMBERS = 5;

/**
 * The discrimination skill (prior-discrimination.ts, withDiscriminationSkill): a ridge head over the
 * dense features fitted on every model pair of the training files (each file's mean taken out),
 * loadings beta · (ability − mean), and the item-response fit's prompt side kept at irtWeight.
 * Chosen by leave-one-dataset-out on hash fold 0 with the 5-fit prior (figures: gpt-4 vs Mixtral
 * APGR mean over the files | mean over all model pairs with a clear gap): the item-response fit
 * alone .566 | .549; with the head at β 1 and the fit's prompt side ×1 .571 | .566, ×0.5 .565 |
 * .565, ×0.25 .566 | .571, ×0.1 .558 | .567, left out (×0) .585 | .581; β 2 ×0 .585 | .570, β 4
 * ×0 .585 | .574. The fit's difficulty (its words) is what hurts: it ranks Winogrande at .35 on
 * its own, and even at ×0.1 it pulls the blend there. A difficulty ridge on the dense features
 * instead: no gain (.577–.587 | .574–.579). One fit (seed 1): the head with each file's mean left
 * in .585 | .579, reading the words too (ridge 100) .586 | .584. (scripts/research/prior-transfer.ts.)
 * That fold-0 winner (the head alone, ×0) then scored ARC-Challenge .385 on folds 1–4 (the fold-0
 * figure leaves ARC out: its fold-0 gap is under 0.1), MT-Bench .471 and the bundled sample .607.
 * The shipped prior is the runner-up, the head added to the whole fit (×1), which also beat the fit
 * alone on both fold-0 figures. That choice looked at folds 1–4, so its figures there are not
 * untouched (README). null: the item-response fit alone. Since then the fit's difficulty is replaced
 * by one read from the prompt's kind (DEFAULT_KIND_DIFFICULTY in prior-kind-head.ts, chosen on
 * fold 0 with this head in place; folds 1–4 looked at once after that choice).
 */
export const DEFAULT_DISCRIMINATION: { beta: number; irtWeight: number } | null = { beta: 1, irtWeight: 1 };

/**
 * The discrimination head's ridge penalty on the hashed words (undefined: it reads the dense
 * features only). Fold 0, leave-one-dataset-out (scripts/research/prior-capacity.ts): l2 10 / 100 /
 * 1000 .565 / .576 / .576 | .549 / .558 / .558 against .576 | .558 without; in-domain MMLU fold 0
 * unchanged (.681). No gain, so off.
 */
export const DEFAULT_DISCRIMINATION_WORDS_L2: number | undefined = undefined;

/** Grading failures (prior-clean.ts) left out of training. */
export const DEFAULT_DROP_GRADING_FAILURES = false;

/** Files the shipped prior may learn from, with their licences. */
export const PRIOR_TRAINING_FILES: { file: string; licence: string }[] = [
  { file: 'routellm_mmlu_responses.csv', licence: 'Apache-2.0 (lm-sys/RouteLLM)' },
  { file: 'routellm_gsm8k_responses.csv', licence: 'Apache-2.0 (lm-sys/RouteLLM)' },
  { file: 'routerbench_arc_challenge.csv', licence: 'MIT (withmartian/routerbench)' },
  { file: 'routerbench_mbpp.csv', licence: 'MIT (withmartian/routerbench)' },
  { file: 'routerbench_winogrande.csv', licence: 'MIT (withmartian/routerbench)' },
  { file: 'llmrouter_dcrouter_scores.csv', licence: 'MIT (ulab-uiuc/LLMRouter)' },
];

export interface PriorRow {
  uid: string;
  prompt: string;
  features: TextFeatures;
  /** Canonical model names of the scored columns. */
  models: string[];
  /** Scores mapped to 0..1 (the table's range), null when empty. */
  scores: (number | null)[];
  /** Raw scores as in the file (metrics use these). */
  raw: (number | null)[];
  costs: (number | null)[] | null;
  /** Hash fold of 5 (fold 0 is the tuning split). */
  fold: number;
  /** Subject (MMLU's `domain`) or cluster (LLMRouter's `cluster_id`), when the file has one. */
  group?: string;
}

export interface PriorDataset {
  file: string;
  licence: string;
  table: EvalTable;
  rows: PriorRow[];
}

export function loadPriorDataset(dataDir: string, file: string, licence = 'evaluation only'): PriorDataset {
  const table = loadTable(path.join(dataDir, file));
  const models = table.models.map(canonicalModelName);
  const scale = (s: number | null) =>
    s === null ? null : table.min >= 0 && table.max <= 1 ? s : (s - table.min) / (table.max - table.min);
  const groups = subgroupsOf(dataDir, file);
  const rows = table.rows.map((r) => ({
    uid: r.uid,
    ...(groups.has(r.uid) ? { group: groups.get(r.uid)! } : {}),
    prompt: r.prompt,
    features: textFeatures(r.prompt),
    models,
    scores: r.scores.map(scale),
    raw: r.scores,
    costs: r.costs,
    fold: foldOf(r.prompt, 5),
  }));
  return { file, licence, table, rows };
}

/** Reads cached USE vectors of prompts (written by scripts/embed-eval-data.ts or the benchmark). */
export class EmbeddingLookup {
  private readonly disk: DiskEmbeddingCache;
  constructor(cacheDir: string) {
    this.disk = new DiskEmbeddingCache(path.join(cacheDir, 'embeddings'), USE_ID, 512);
  }
  get(prompt: string): Float32Array | undefined {
    return this.disk.get(contentKey(USE_ID, boundForEmbedding(prompt)));
  }
  close(): void {
    this.disk.close();
  }
}

export interface PriorTrainOptions {
  hyper?: Partial<PriorHyper> & {
    embedding?: number;
    balance?: number;
    embeddingScale?: number;
    lexical?: number;
    lexicalScale?: number;
    members?: number;
    /** null: no discrimination skill (the item-response fit alone). */
    discrimination?: { beta: number; irtWeight: number } | null;
    /** null: the fit's own difficulty (its words) stays. */
    kindDifficulty?: KindHeadOptions | null;
    /** The discrimination head reads the hashed words too, at this ridge penalty (undefined: not). */
    discriminationWordsL2?: number;
    /** Leave grading failures (prior-clean.ts) out of training ('rows': their groups' rows entirely). */
    dropGradingFailures?: boolean | 'rows';
  };
  seed?: number;
  embeddings?: EmbeddingLookup;
  /** Rows to leave out (e.g. the evaluated fold), by dataset file. */
  exclude?: (dataset: PriorDataset, row: PriorRow) => boolean;
}

export interface TrainedPrior {
  artifact: PriorArtifact;
  prior: RouterPrior;
  fitted: FittedPrior;
  modelNames: string[];
}

export function trainPrior(given: readonly PriorDataset[], options: PriorTrainOptions = {}): TrainedPrior {
  const drop = options.hyper?.dropGradingFailures ?? DEFAULT_DROP_GRADING_FAILURES;
  const datasets = drop ? withoutGradingFailures(given, drop === 'rows' ? 'rows' : 'scores') : given;
  const hyper = { ...DEFAULT_PRIOR_HYPER, ...options.hyper };
  const embeddingDims = options.hyper?.embedding ?? 0;
  const balance = options.hyper?.balance ?? DEFAULT_BALANCE;
  const input: PriorArtifact['input'] = {
    embedding: embeddingDims,
    dense: FEATURE_COUNT,
    lexical: options.hyper?.lexical ?? LEXICAL_DIMS,
  };
  const embeddingScale = options.hyper?.embeddingScale ?? 1;
  if (embeddingDims > 0 && embeddingScale !== 1) input.embeddingScale = embeddingScale;
  const lexicalScale = options.hyper?.lexicalScale ?? DEFAULT_LEXICAL_SCALE;
  if (input.lexical > 0 && lexicalScale !== 1) input.lexicalScale = lexicalScale;
  const seed = options.seed ?? 1;
  const names: string[] = [];
  const indexOf = new Map<string, number>();
  const idOf = (n: string) => {
    let i = indexOf.get(n);
    if (i === undefined) {
      indexOf.set(n, (i = names.length));
      names.push(n);
    }
    return i;
  };
  const examples: PriorExample[] = [];
  const trainedOn: PriorArtifact['trained_on'] = [];
  // Datasets are weighted by (outcomes)^-balance, normalised so the mean weight is 1: MMLU's
  // 20k outcomes must not drown the 11-model RouterBench files.
  const perSet = datasets.map((d) => {
    const rows = d.rows.filter((r) => !options.exclude?.(d, r));
    const outcomes = rows.reduce((n, r) => n + r.scores.filter((s) => s !== null).length, 0);
    return { d, rows, outcomes };
  });
  const total = perSet.reduce((n, s) => n + s.outcomes, 0);
  const raw = perSet.map((s) => (s.outcomes > 0 ? Math.pow(s.outcomes, -balance) : 0));
  const norm = total / perSet.reduce((n, s, i) => n + s.outcomes * raw[i]!, 0);
  perSet.forEach(({ d, rows, outcomes }, si) => {
    if (rows.length === 0) return;
    trainedOn.push({ file: d.file, licence: d.licence, rows: rows.length });
    const w = raw[si]! * norm;
    for (const r of rows) {
      const vector = embeddingDims > 0 ? (options.embeddings?.get(r.prompt) ?? null) : null;
      if (embeddingDims > 0 && !vector) continue;
      const outs = r.models
        .map((m, j) => ({ model: idOf(m), score: r.scores[j]!, weight: w, ok: r.scores[j] !== null }))
        .filter((o) => o.ok)
        .map(({ model, score, weight }) => ({ model, score, weight }));
      if (outs.length) examples.push({ x: priorInput(r.features, vector, input), outcomes: outs, group: si });
    }
    void outcomes;
  });
  const inputDims = input.embedding + input.dense + input.lexical;
  // members > 1: that many fits (seeds seed, seed + 1, …) averaged into one prior (mergeFits).
  const members = Math.max(1, options.hyper?.members ?? DEFAULT_MEMBERS);
  const merged = mergeFits(
    Array.from({ length: members }, (_, i) =>
      fitPrior(examples, names.length, inputDims, hyper, seededRandom(seed + i)),
    ),
    hyper.skills,
    inputDims,
  );
  const discrimination =
    options.hyper?.discrimination === undefined ? DEFAULT_DISCRIMINATION : options.hyper.discrimination;
  const discriminationWordsL2 = options.hyper?.discriminationWordsL2 ?? DEFAULT_DISCRIMINATION_WORDS_L2;
  const withDiscrimination = discrimination
    ? withDiscriminationSkill(
        merged,
        hyper.skills * members,
        inputDims,
        discriminationHead(
          perSet.map(({ d, rows }) => ({ ...d, rows })),
          {
            centre: true,
            datasetPower: 1,
            l2: 1,
            ...(discriminationWordsL2 !== undefined && input.lexical === LEXICAL_DIMS
              ? { lexicalL2: discriminationWordsL2 }
              : {}),
          },
        ),
        input.embedding,
        discrimination.beta,
        discrimination.irtWeight,
      )
    : merged;
  const kindDifficulty =
    options.hyper?.kindDifficulty === undefined ? DEFAULT_KIND_DIFFICULTY : options.hyper.kindDifficulty;
  // No head when the data is too small for one (a group needs 20 prompts): the fit's difficulty stays.
  const ease = kindDifficulty
    ? kindHead(
        perSet.map(({ d, rows }) => ({ ...d, rows })),
        Object.fromEntries(names.map((n, i) => [n, merged.rows[i]!])),
        kindDifficulty,
      )
    : null;
  const final = ease
    ? withKindDifficulty(withDiscrimination, inputDims, ease.weights, input.embedding)
    : withDiscrimination;
  if (ease) input.kind = KIND_COUNT;
  const skillCount = discrimination
    ? (discrimination.irtWeight > 0 ? hyper.skills * members : 0) + 1
    : hyper.skills * members;
  const models: PriorArtifact['models'] = {};
  const fitted = final;
  names.forEach((n, i) => {
    const r = fitted.rows[i]!;
    models[n] = { ability: roundTo(r.ability), skills: r.skills.map((v) => roundTo(v)), outcomes: r.outcomes };
  });
  const artifact: PriorArtifact = {
    format: 'fugusashi-prior',
    version: PRIOR_VERSION,
    created: 'reproducible: see seed and trained_on',
    seed,
    trained_on: trainedOn,
    input,
    skills: skillCount,
    ...artifactHeads(fitted),
    models,
    qualityMap: fitQualityMap(models, skillCount),
    // Written for the artifact format only: the daemon no longer reads it (its price guess is
    // fitted on the bundled price and quality tables, public-quality.ts fitPriceGuess).
    priceMap: { intercept: 1150, slope: 60 },
    hyper: {
      ...numericHyper(hyper),
      embedding: embeddingDims,
      balance,
      ...(members > 1 ? { members } : {}),
      ...(discrimination ? { discriminationBeta: discrimination.beta, irtWeight: discrimination.irtWeight } : {}),
      ...(discrimination && discriminationWordsL2 !== undefined ? { discriminationWordsL2 } : {}),
      ...(kindDifficulty && ease
        ? { kindDifficultyL2: kindDifficulty.l2, kindDifficultySplit: Number(kindDifficulty.split) }
        : {}),
    },
  };
  return { artifact, prior: new RouterPrior(artifact), fitted, modelNames: names };
}

/**
 * Least squares of each of [ability, ...skills] on the public quality figure, over the fitted
 * models that have one: how to place a model the data never saw.
 */
export function fitQualityMap(models: PriorArtifact['models'], skills: number): PriorArtifact['qualityMap'] {
  const pairs = Object.entries(models)
    .map(([n, r]) => ({ q: PUBLIC_QUALITY[n]?.value, v: [r.ability, ...r.skills] }))
    .filter((p): p is { q: number; v: number[] } => p.q !== undefined);
  if (pairs.length < 3) return null;
  const center = pairs.reduce((s, p) => s + p.q, 0) / pairs.length;
  const sxx = pairs.reduce((s, p) => s + (p.q - center) ** 2, 0);
  const intercept: number[] = [];
  const slope: number[] = [];
  for (let k = 0; k <= skills; k++) {
    const mean = pairs.reduce((s, p) => s + p.v[k]!, 0) / pairs.length;
    const sxy = pairs.reduce((s, p) => s + (p.q - center) * (p.v[k]! - mean), 0);
    intercept.push(roundTo(mean));
    slope.push(roundTo(sxx > 0 ? sxy / sxx : 0));
  }
  return { center: roundTo(center), intercept, slope };
}

/** P(good) per column of a row from a trained prior (columns the prior does not know: null). */
export function priorScores(t: TrainedPrior, row: PriorRow, embedding: Float32Array | null): (number | null)[] {
  const K = t.artifact.skills;
  const D = t.prior.inputDims;
  const x = priorInput(row.features, embedding, t.artifact.input);
  const rows = row.models.map((m) => t.artifact.models[m]);
  const known = rows.map((r) => r ?? { ability: 0, skills: [], outcomes: 0 });
  const p = predictFitted(t.fitted, K, D, x, known);
  return p.map((v, i) => (rows[i] ? v : null));
}

/** The artifact records hyper-parameters as numbers (flags as 0/1). */
function numericHyper(h: PriorHyper): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) {
    if (typeof v === 'number') out[k] = v;
    else if (typeof v === 'boolean') out[k] = Number(v);
    else if (v === 'difficulty') out[k] = 0.5; // centring of the difficulty only
  }
  return out;
}
