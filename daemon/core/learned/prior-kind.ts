// What KIND of prompt this is: does it ask for code, carry numbers and equations, ask for reasoning,
// demand an answer format, ask for free writing or a role… Unlike the benchmark layouts the dense
// features and the hashed words pick up (5-shot templates, "Answer:" letters), these are traits a
// chat prompt shares with a benchmark question. The router prior reads its difficulty from them
// (prior-kind-head.ts: learned between groups of prompts of the training files), so what kind of
// question is hard carries to prompts of a file it never saw. Read on the prompt's focus (the
// question, focus.ts). Each value is 0..1. Traits no training prompt has (free writing, a role) get
// no weight from the data; they are here so a retrained prior can use them when such data comes.
import { routingFocus } from './focus';

export const KIND_NAMES = [
  'asks_code',
  'math_words',
  'equation',
  'numbers',
  'reasoning',
  'answer_format',
  'choices',
  'free_writing',
  'role',
  'transform',
  'factoid',
  'focus_words',
  'sentences',
] as const;
export const KIND_COUNT = KIND_NAMES.length;

const ASKS_CODE =
  /```|\bdef \w+\(|\b(python|javascript|typescript|java|c\+\+|sql|regex|html|css|bash)\b|\b(write|implement|create|complete|fix|debug|refactor)\b[^.?!\n]{0,60}\b(function|program|code|script|class|method|query|algorithm)\b/i;
const MATH_WORDS =
  /\b(calculate|compute|solve|how many|how much|sum|product|probability|equation|integer|percent|percentage|average|total|remainder|divisible|area|ratio|derivative|integral|prime)\b/i;
const EQUATION = /\d\s*[-+*/^=×÷<>]\s*\d|\b[a-z]\s*\^\s*\d|\\frac|\\sqrt|\bsqrt\(|\b[xyz]\s*=/i;
const REASONING =
  /\b(step by step|step-by-step|explain|why|reason|reasoning|prove|derive|show that|justify|analy[sz]e|evaluate|compare)\b/i;
const ANSWER_FORMAT =
  /\b(answer with|respond with|in (json|yaml|csv|a table)|format|boxed|print only|return only|one word|single (word|letter|choice|number)|only the)\b/i;
// The indentation before a choice letter is `[^\S\n]*`, not `\s*`: a `\s*` ran on across blank lines,
// so each line break of a focus made of them scanned to its end (quadratic: ~0.3 ms for the 600
// characters of a focus, against ~0.02 ms for one of prose). The count is the same: a match that ran
// across blank lines ends where the one from the last line break before its letter ends.
const CHOICES = /(^|\n)[^\S\n]*\(?[A-Da-d][.)]\s/g;
// Sentence ends. `(?<![.?!])`: inside a run of `.?!` the run's end is the same as from its start,
// so where the start found no space after it, each later character of the run scanned on to the
// same end (quadratic in the run: ~0.25 ms for a focus of dots). The pieces are the same.
const SENTENCE_END = /(?<![.?!])[.?!]+\s|\n+/;
const FREE_WRITING =
  /\b(write|compose|draft|craft)\b[^.?!\n]{0,40}\b(story|poem|essay|email|letter|blog|post|speech|song|article|dialogue|review|haiku|limerick)\b/i;
const ROLE = /\b(pretend|imagine|act as|role[- ]?play|you are an? |as an? \w+, )/i;
const TRANSFORM = /\b(extract|summari[sz]e|list all|classify|rewrite|paraphrase|translate|rephrase|edit|correct)\b/i;
const FACTOID = /^\s*(who|what|when|where|which)\b/i;

/** The prompt's kind traits (KIND_NAMES order), read on its focus. */
export function promptKindVector(text: string): Float32Array {
  return promptKindOfFocus(routingFocus(text));
}

/** The same, from a focus already computed (features.ts computes it once for words and kind). */
export function promptKindOfFocus(focus: string): Float32Array {
  // Prompts stored as string literals carry escaped line breaks.
  const t = focus.replace(/\\[nt]/g, '\n');
  const f = new Float32Array(KIND_COUNT);
  const numbers = t.match(/\d+(\.\d+)?/g)?.length ?? 0;
  const words = t.split(/\s+/).filter(Boolean).length;
  const sentences = t.split(SENTENCE_END).filter((s) => s.trim().length > 3).length;
  f[0] = ASKS_CODE.test(t) ? 1 : 0;
  f[1] = MATH_WORDS.test(t) ? 1 : 0;
  f[2] = EQUATION.test(t) ? 1 : 0;
  f[3] = Math.min(1, Math.log1p(numbers) / 3);
  f[4] = REASONING.test(t) ? 1 : 0;
  f[5] = ANSWER_FORMAT.test(t) ? 1 : 0;
  f[6] = (t.match(CHOICES)?.length ?? 0) >= 2 ? 1 : 0;
  f[7] = FREE_WRITING.test(t) ? 1 : 0;
  f[8] = ROLE.test(t) ? 1 : 0;
  f[9] = TRANSFORM.test(t) ? 1 : 0;
  f[10] = FACTOID.test(t) ? 1 : 0;
  f[11] = Math.min(1, Math.log1p(words) / 6);
  f[12] = Math.min(1, Math.log1p(sentences) / 3);
  return f;
}
