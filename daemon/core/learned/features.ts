// Cheap prompt features the linear head uses next to the embedding. They catch what a sentence
// embedding blurs: length (longer problems are harder), digits and equations, code, multiple-choice
// layout, language. Each is scaled to roughly 0..1 so one learning rate fits all.
export const FEATURE_NAMES = [
  'bias',
  'log_chars',
  'log_lines',
  'digit_share',
  'non_ascii_share',
  'code',
  'math',
  'questions',
  'choices',
  'log_numbers',
  'word_length',
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;

const CODE = /```|\bdef |\bfunction\b|\breturn\b|=>|\bclass \w+|[{};]\s*$/m;
const MATH = /\d\s*[-+*/^=]\s*\d|\\frac|\\sqrt|\$[^$]+\$|\bsolve\b|\bequation\b/i;
const CHOICES = /(^|\n)\s*\(?[A-D][.)]\s/g;

export function promptFeatureVector(text: string): Float32Array {
  const f = new Float32Array(FEATURE_COUNT);
  const n = Math.max(1, text.length);
  let digits = 0;
  let nonAscii = 0;
  let lines = 1;
  let questions = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c > 127) nonAscii++;
    else if (c === 10) lines++;
    else if (c === 63) questions++;
  }
  const numbers = text.match(/\d+(\.\d+)?/g)?.length ?? 0;
  const words = text.split(/\s+/).filter(Boolean);
  const wordLength = words.length ? words.reduce((s, w) => s + w.length, 0) / words.length : 0;
  f[0] = 1;
  f[1] = Math.log1p(text.length) / 8;
  f[2] = Math.log1p(lines) / 5;
  f[3] = Math.min(1, (digits / n) * 5);
  f[4] = nonAscii / n;
  f[5] = CODE.test(text) ? 1 : 0;
  f[6] = MATH.test(text) ? 1 : 0;
  f[7] = Math.log1p(questions) / 3;
  f[8] = Math.min(1, (text.match(CHOICES)?.length ?? 0) / 4);
  f[9] = Math.log1p(numbers) / 4;
  f[10] = Math.min(1, wordLength / 10);
  return f;
}
