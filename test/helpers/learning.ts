// What the learner tests build again and again: the outcome half of the Store port in memory, a
// pool candidate, and a route input for one user prompt.
import type { Candidate, Outcome, RouteInput, Store } from '../../daemon/core/ports';

/** The outcome half of the Store port, in memory (the learner reads and adds outcomes, nothing else). */
export function outcomeStore(rows: Omit<Outcome, 'id'>[] = []): Store {
  const outcomes: Outcome[] = rows.map((r, i) => ({ ...r, id: i + 1 }));
  const unused = () => {
    throw new Error('not used by the learner');
  };
  return {
    listOutcomes: (after = 0) => outcomes.filter((o) => o.id > after),
    countOutcomes: () => outcomes.length,
    addOutcomes: (add) => {
      const out = add.map((r, i) => ({ ...r, id: outcomes.length + i + 1 }));
      outcomes.push(...out);
      return out;
    },
    saveRequest: unused,
    addFeedback: unused,
    retractJudgements: unused,
    getTrace: unused,
    hasRequest: unused,
    listDecisions: unused,
    stats: unused,
    usageOverTime: unused,
    rankings: unused,
    feedbackCounts: unused,
    exportOutcomes: unused,
    importedKeys: unused,
    shared: false,
    close: () => {},
  };
}

/** A pool model with no price of its own; the decision reads expectedCost. */
export function candidate(name: string, expectedCost = 0.001): Candidate {
  return {
    config: {
      name,
      provider: 'openai',
      model: name,
      cost_per_input_token: 0,
      cost_per_output_token: 0,
      capabilities: [],
    },
    local: false,
    expectedCost,
  };
}

/** One user prompt as the routing service hands it to a strategy. */
export function routeInput(
  text: string,
  options: {
    embedding?: Float32Array;
    costWeight?: number;
    estimatedInputTokens?: number;
    expectedOutputTokens?: number;
    random?: () => number;
  } = {},
): RouteInput {
  return {
    text,
    messages: [{ role: 'user', content: text }],
    features: {
      chars: text.length,
      estimatedInputTokens: options.estimatedInputTokens ?? 20,
      expectedOutputTokens: options.expectedOutputTokens ?? 100,
      hasCode: false,
      hasMath: false,
      hasTools: false,
      hasImages: false,
      nonAsciiRatio: 0,
      turns: 1,
    },
    required: [],
    preferred: [],
    costWeight: options.costWeight ?? 0,
    embedding: options.embedding,
    explore: false,
    random: options.random ?? (() => 0.5),
  };
}

/** An encoder that embeds every text as the same zero vector: for tests where no decision reads it. */
export const standInEmbedder = {
  id: 'stand-in',
  dimensions: 4,
  load: (): Promise<void> => Promise.resolve(),
  embed: (texts: string[]): Promise<Float32Array[]> => Promise.resolve(texts.map(() => new Float32Array(4))),
};
