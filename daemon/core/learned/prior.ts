// The bundled router prior: an item-response model trained on public per-prompt × per-model
// outcome tables (scripts/train-prior.ts), so `auto` routes sensibly before the user has rated
// anything. For a prompt q and a model m:
//
//   P(m answers q well) = σ(ability_m + θ_m · s_q − b_q)
//
// s_q (a few latent "skills") and b_q (difficulty) are linear in the prompt's cheap view: the
// dense features and the hashed words of its focus (features.ts), optionally the sentence
// embedding. Because the prompt side is shared by every model in the data, a model's row is a
// handful of numbers (ability + skill loadings), and a model the data never saw is placed from its
// public quality figure (public-quality.ts) or, as a guess, from its price.
//
// The live router refines the prior online (OnlinePrior): each outcome moves the pool model's
// ability and loadings and the prompt head a small step, pulled back toward the prior's values.
import { FEATURE_COUNT, LEXICAL_DIMS, writeLexical, type TextFeatures } from './features';
import { KIND_COUNT } from './prior-kind';
import { guessFromPrice, PRICE_GUESS, type PriceGuess } from './public-quality';

export interface PriorModelRow {
  ability: number;
  skills: number[];
  /** Outcomes this row was fitted on (0 for a placed model). */
  outcomes: number;
}

export interface PriorArtifact {
  format: 'fugusashi-prior';
  version: number;
  created: string;
  seed: number;
  /** Data files (and their licences) the prior was trained on. */
  trained_on: { file: string; licence: string; rows: number }[];
  /** Prompt input: dense features + hashed words; `embedding` > 0 adds the sentence embedding first. */
  input: {
    embedding: number;
    dense: number;
    lexical: number;
    /** The embedding is multiplied by this before the heads read it (default 1). */
    embeddingScale?: number;
    /** The word buckets are multiplied by this (default 1): smaller = words count less. */
    lexicalScale?: number;
    /** > 0: the prompt's kind traits (prior-kind.ts) follow the word buckets (default 0). */
    kind?: number;
  };
  skills: number;
  /** skills × inputDims, row-major, then difficulty (inputDims). Rounded to 4 significant digits. */
  skillHead: number[];
  difficultyHead: number[];
  models: Record<string, PriorModelRow>;
  /**
   * Linear map public quality (Arena-style score) → [ability, ...skills], fitted on `models`. The
   * daemon reads the ability's line and the skills' intercept (RouterPrior.placedSkills).
   */
  qualityMap: { center: number; intercept: number[]; slope: number[] } | null;
  /**
   * A price → quality figure rule of thumb, set by eye on 2023–24 prices. No longer read: it put
   * every dearer current model below 2024's gpt-4o-mini. The guess now comes from the bundled price
   * and quality tables (public-quality.ts fitPriceGuess); artifacts keep the field.
   */
  priceMap: { intercept: number; slope: number } | null;
  hyper: Record<string, number>;
}

/** How a pool model got its row in the prior: fitted on data, from a quality figure, or a guess. */
export type PlacementBasis = 'data' | 'quality' | 'price' | 'unknown';

export interface Placement {
  row: PriorModelRow;
  basis: PlacementBasis;
  /** Human-readable: "public data (12,345 outcomes)", "LMArena 1,280 (lmarena.ai, 2025-…)", … */
  from: string;
  /** The quality figure it was placed from (bases 'quality' and 'price'). */
  figure?: number;
}

export function inputDimsOf(a: Pick<PriorArtifact, 'input'>): number {
  return a.input.embedding + a.input.dense + a.input.lexical + (a.input.kind ?? 0);
}

/** A prompt as the prior reads it: sparse (index, value) pairs over the input. */
export interface SparseInput {
  index: Uint32Array;
  value: Float32Array;
}

/** How a prompt is laid out as the prior's input: [embedding · scale | dense | lexical | kind]. */
export type PriorInputLayout = PriorArtifact['input'];

export function priorInput(
  features: TextFeatures,
  embedding: Float32Array | null,
  layout: Pick<PriorInputLayout, 'embedding' | 'embeddingScale' | 'lexicalScale' | 'kind'> & { lexical?: number },
): SparseInput {
  const embeddingDims = layout.embedding;
  const scale = layout.embeddingScale ?? 1;
  const lexicalDims = layout.lexical ?? LEXICAL_DIMS;
  const lexicalScale = layout.lexicalScale ?? 1;
  const idx: number[] = [];
  const val: number[] = [];
  if (embeddingDims > 0 && embedding) {
    for (let i = 0; i < embeddingDims; i++) {
      idx.push(i);
      val.push((embedding[i] ?? 0) * scale);
    }
  }
  const denseAt = embeddingDims;
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const v = features.dense[i] ?? 0;
    if (v !== 0) {
      idx.push(denseAt + i);
      val.push(v);
    }
  }
  if (lexicalDims > 0) {
    if (lexicalDims !== LEXICAL_DIMS)
      throw new Error(`router prior: ${lexicalDims} word buckets, this build hashes into ${LEXICAL_DIMS}`);
    const lex = new Float32Array(LEXICAL_DIMS);
    writeLexical(features.lexical, lex, 0);
    const lexAt = embeddingDims + FEATURE_COUNT;
    for (let i = 0; i < LEXICAL_DIMS; i++) {
      if (lex[i] !== 0) {
        idx.push(lexAt + i);
        val.push(lex[i]! * lexicalScale);
      }
    }
  }
  const kindDims = layout.kind ?? 0;
  if (kindDims > 0) {
    if (kindDims !== KIND_COUNT)
      throw new Error(`router prior: ${kindDims} prompt-kind traits, this build reads ${KIND_COUNT}`);
    const kindAt = embeddingDims + FEATURE_COUNT + lexicalDims;
    const kind = features.kind;
    for (let i = 0; kind && i < KIND_COUNT; i++) {
      if (kind[i] !== 0) {
        idx.push(kindAt + i);
        val.push(kind[i]!);
      }
    }
  }
  return { index: Uint32Array.from(idx), value: Float32Array.from(val) };
}

/** Prompt side of the model: skills s_q and difficulty b_q. */
export interface PromptProfile {
  skills: Float64Array;
  difficulty: number;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function logitOf(row: PriorModelRow, p: PromptProfile): number {
  let z = row.ability - p.difficulty;
  for (let k = 0; k < p.skills.length; k++) z += (row.skills[k] ?? 0) * p.skills[k]!;
  return z;
}

/** The prior as loaded: dense heads in typed arrays, model rows by canonical name. */
export class RouterPrior {
  readonly inputDims: number;
  readonly skillCount: number;
  readonly skillHead: Float32Array;
  readonly difficultyHead: Float32Array;

  constructor(
    readonly artifact: PriorArtifact,
    /** The last resort for a model with no quality figure (a guess from its price). */
    private readonly priceGuess: PriceGuess | null = PRICE_GUESS,
  ) {
    this.inputDims = inputDimsOf(artifact);
    this.skillCount = artifact.skills;
    this.skillHead = Float32Array.from(artifact.skillHead);
    this.difficultyHead = Float32Array.from(artifact.difficultyHead);
    if (this.skillHead.length !== this.skillCount * this.inputDims || this.difficultyHead.length !== this.inputDims)
      throw new Error('router prior: head sizes do not match its input');
  }

  get embeddingDims(): number {
    return this.artifact.input.embedding;
  }

  input(features: TextFeatures, embedding: Float32Array | null): SparseInput {
    return priorInput(features, embedding, this.artifact.input);
  }

  profile(x: SparseInput, delta?: PromptHeadDelta): PromptProfile {
    const skills = new Float64Array(this.skillCount);
    let difficulty = 0;
    const d = this.inputDims;
    for (let j = 0; j < x.index.length; j++) {
      const i = x.index[j]!;
      const v = x.value[j]!;
      difficulty += this.difficultyHead[i]! * v;
      for (let k = 0; k < this.skillCount; k++) skills[k] = skills[k]! + this.skillHead[k * d + i]! * v;
      if (delta) {
        difficulty += (delta.difficulty.get(i) ?? 0) * v;
      }
    }
    return { skills, difficulty };
  }

  /**
   * The mean of the fitted models' rows: a model nothing is known about is assumed average. (Not
   * all zeros: the learned router reads a prior logit of exactly 0 as "no prior", and with a prior
   * whose difficulty is 0 an all-zero row would give exactly that.)
   */
  averageRow(): PriorModelRow {
    const rows = Object.values(this.artifact.models);
    const n = Math.max(1, rows.length);
    const skills = new Array<number>(this.skillCount).fill(0);
    let ability = 0;
    for (const r of rows) {
      ability += r.ability / n;
      for (let k = 0; k < skills.length; k++) skills[k] = skills[k]! + (r.skills[k] ?? 0) / n;
    }
    return { ability, skills: this.placedSkills() ?? skills, outcomes: 0 };
  }

  /**
   * The loadings every model the data never saw gets: those of the table's average model (the
   * quality map's intercept), whatever its figure; only its ability follows the figure. Loadings
   * read off the figure (the map's slopes) extrapolated the data's top model to every current one
   * (all sit above the fitted figures, 1008–1251), and with them gpt-4-1106-preview's RouteLLM MMLU
   * grading on digit-heavy questions (no better than Mixtral's): "What is 2+2?" and "Calculate 15%
   * of 240." ranked a 1B local model above gpt-4o-mini and Claude. With shared loadings placed
   * models never swap places on a prompt; the prompt still sets how far apart they are (its
   * difficulty and the shared skill term). Measured by placing the data's own models as if unseen
   * (scripts/research/placement-extrapolation.ts, 95–98 pairs, transfer): APGR .535 against the
   * slopes' .489 on hash fold 0, where it was chosen; .504 against .496 on folds 1–4, looked at once.
   */
  private placedSkills(): number[] | undefined {
    return this.artifact.qualityMap?.intercept.slice(1);
  }

  /** Finds a pool model's row: fitted (by name or alias), from a quality figure, or a price guess. */
  place(
    names: readonly string[],
    quality: { value: number; source: string } | undefined,
    usdPerMillionOutput: number,
  ): Placement {
    for (const n of names) {
      const key = canonicalModelName(n);
      const row = this.artifact.models[key];
      if (row)
        return {
          row,
          basis: 'data',
          from: `public outcome data for ${key} (${row.outcomes.toLocaleString('en-US')} outcomes)`,
        };
    }
    const map = this.artifact.qualityMap;
    if (quality && map) {
      return {
        row: { ability: abilityAt(map, quality.value), skills: this.placedSkills()!, outcomes: 0 },
        basis: 'quality',
        figure: quality.value,
        from: `its public quality score ${quality.value} (${quality.source})`,
      };
    }
    const guess = this.priceGuess;
    if (guess && map && usdPerMillionOutput > 0) {
      const { line, figure } = guessFromPrice(guess, usdPerMillionOutput);
      return {
        row: { ability: abilityAt(map, figure), skills: this.placedSkills()!, outcomes: 0 },
        basis: 'price',
        figure: Math.round(figure),
        from:
          `a guess from its price ($${usdPerMillionOutput.toPrecision(3)} per 1M output tokens): Arena ${Math.round(figure)}, ` +
          `a spread below the ${Math.round(line)} of today's models at that price on the public quality table's scale`,
      };
    }
    return { row: this.averageRow(), basis: 'unknown', from: 'nothing known about it (average ability assumed)' };
  }
}

/** The ability the quality map gives a public quality figure. */
function abilityAt(map: NonNullable<PriorArtifact['qualityMap']>, figure: number): number {
  return (map.intercept[0] ?? 0) + (map.slope[0] ?? 0) * (figure - map.center);
}

/** Sparse online change to the difficulty head (the skills head stays as shipped). */
export interface PromptHeadDelta {
  difficulty: Map<number, number>;
}

export interface OnlinePriorOptions {
  /** Step size of an online update. */
  learningRate: number;
  /** Pull toward the prior: each update shrinks the deltas by this share of the step. */
  pull: number;
}

export const DEFAULT_ONLINE_PRIOR: OnlinePriorOptions = { learningRate: 0.05, pull: 0.02 };

/**
 * The prior refined by the user's outcomes: per pool model, a change to its ability and skill
 * loadings; for the prompt head, a sparse change to the difficulty weights. Every update is an SGD
 * step on the log-loss plus an L2 pull of the changes toward zero (toward the prior's values).
 */
export class OnlinePrior {
  private readonly abilityDelta = new Map<string, number>();
  private readonly skillDelta = new Map<string, Float64Array>();
  private readonly seen = new Map<string, number>();
  readonly head: PromptHeadDelta = { difficulty: new Map() };
  updates = 0;

  constructor(
    readonly prior: RouterPrior,
    private readonly options: OnlinePriorOptions = DEFAULT_ONLINE_PRIOR,
  ) {}

  outcomesOf(model: string): number {
    return this.seen.get(model) ?? 0;
  }

  /** The row of `model` after its online changes. */
  rowOf(model: string, base: PriorModelRow): PriorModelRow {
    const a = this.abilityDelta.get(model) ?? 0;
    const s = this.skillDelta.get(model);
    if (a === 0 && !s) return base;
    return {
      ability: base.ability + a,
      skills: base.skills.map((v, k) => v + (s?.[k] ?? 0)),
      outcomes: base.outcomes,
    };
  }

  profile(x: SparseInput): PromptProfile {
    return this.prior.profile(x, this.head);
  }

  predict(model: string, base: PriorModelRow, x: SparseInput): number {
    return sigmoid(logitOf(this.rowOf(model, base), this.profile(x)));
  }

  /** One gradient step toward `score`; returns the step's signed gradient (for undo). */
  update(model: string, base: PriorModelRow, x: SparseInput, score: number, weight = 1): number {
    const { learningRate: lr, pull } = this.options;
    const profile = this.profile(x);
    const row = this.rowOf(model, base);
    const g = (sigmoid(logitOf(row, profile)) - score) * weight;
    const shrink = 1 - lr * pull;
    this.abilityDelta.set(model, (this.abilityDelta.get(model) ?? 0) * shrink - lr * g);
    let s = this.skillDelta.get(model);
    if (!s) this.skillDelta.set(model, (s = new Float64Array(this.prior.skillCount)));
    for (let k = 0; k < s.length; k++) s[k] = s[k]! * shrink - lr * g * profile.skills[k]!;
    // Difficulty enters the logit with a minus sign. A smaller step: the head is shared by every
    // model, so one rating should not move other models' predictions much.
    const headLr = lr * 0.5;
    for (let j = 0; j < x.index.length; j++) {
      const i = x.index[j]!;
      const d = this.head.difficulty.get(i) ?? 0;
      this.head.difficulty.set(i, d * shrink + headLr * g * x.value[j]!);
    }
    this.seen.set(model, (this.seen.get(model) ?? 0) + 1);
    this.updates++;
    return g;
  }

  /**
   * Takes back a step update() took with gradient `g` (the user replaced that rating): the same step
   * reversed, read at today's profile of the prompt. Exact but for what the pull toward the prior
   * has shrunk of it since (a factor of 1 − lr·pull per later step of the same model or word).
   */
  undo(model: string, x: SparseInput, g: number): void {
    const lr = this.options.learningRate;
    const profile = this.profile(x);
    this.abilityDelta.set(model, (this.abilityDelta.get(model) ?? 0) + lr * g);
    let s = this.skillDelta.get(model);
    if (!s) this.skillDelta.set(model, (s = new Float64Array(this.prior.skillCount)));
    for (let k = 0; k < s.length; k++) s[k] = s[k]! + lr * g * profile.skills[k]!;
    const headLr = lr * 0.5;
    for (let j = 0; j < x.index.length; j++) {
      const i = x.index[j]!;
      this.head.difficulty.set(i, (this.head.difficulty.get(i) ?? 0) - headLr * g * x.value[j]!);
    }
    this.seen.set(model, Math.max(0, (this.seen.get(model) ?? 0) - 1));
    this.updates = Math.max(0, this.updates - 1);
  }
}

/**
 * One name per model across the data files and users' configs: lower case, no vendor prefix, the
 * data sets' spellings of one model merged ("mixtral-8x7b-instruct-v0.1" = "mixtral-8x7b-chat").
 */
export function canonicalModelName(name: string): string {
  let n = name.trim().toLowerCase();
  n = n.replace(/^.*\//, '');
  // Bedrock: a vendor prefix (and a region's) and a version suffix around the vendor's own id
  // (us.anthropic.claude-opus-4-20250514-v1:0).
  const bedrock = /^(?:[a-z]{2}\.)?(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|qwen|openai)\./.exec(n);
  if (bedrock) n = n.slice(bedrock[0].length).replace(/-v\d+(?::\d+)?$/, '');
  // OpenRouter writes Claude's versions with a dot (claude-3.5-sonnet), Anthropic with '-'.
  if (n.startsWith('claude-')) n = n.replace(/(\d)\.(\d)/g, '$1-$2');
  // Vertex AI names a build with '@' (claude-opus-4@20250514), Ollama a size or tag with ':'
  // (deepseek-r1:7b), the vendors with '-'.
  n = n.replace(/[@:]/g, '-');
  n = n.replace(/_/g, '-');
  return MODEL_ALIASES[n] ?? n;
}

const MODEL_ALIASES: Record<string, string> = {
  'mixtral-8x7b-chat': 'mixtral-8x7b-instruct-v0.1',
  'gpt4-1106-preview': 'gpt-4-1106-preview',
  'gpt-4-turbo-preview': 'gpt-4-1106-preview',
};
