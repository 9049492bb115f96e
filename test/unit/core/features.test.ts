import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONTEXT_BUDGET_CHARS,
  LAST_TURN_CAP_CHARS,
  detectCode,
  detectMath,
  nonAsciiLetterRatio,
  routingText,
} from '../../../daemon/core/features';
import { buildCandidates } from '../../../daemon/core/candidates';
import { input, model, noCooldown } from './helpers';

test('routing text is the last user turn plus bounded earlier context, without the system prompt', () => {
  const text = routingText([
    { role: 'system', content: 'You are a helpful assistant. '.repeat(50) },
    { role: 'user', content: 'How do I sort a list in Python?' },
    { role: 'assistant', content: 'Use sorted(xs).' },
    { role: 'user', content: 'And in reverse?' },
  ]);
  assert.equal(text, 'How do I sort a list in Python?\nUse sorted(xs).\nAnd in reverse?');
});

test('earlier context is capped, newest first, and a long last turn keeps its head and tail', () => {
  const old = 'a'.repeat(5_000);
  const text = routingText([
    { role: 'user', content: old },
    { role: 'assistant', content: 'b'.repeat(1_500) },
    { role: 'user', content: 'short question' },
  ]);
  assert.ok(text.endsWith('\nshort question'));
  assert.equal(text.length, CONTEXT_BUDGET_CHARS + 1 + 'short question'.length + 1);
  assert.ok(text.includes('b'.repeat(1_500)), 'the newest earlier turn is kept whole');

  const pasted = 'START ' + 'x'.repeat(20_000) + ' please fix this END';
  const capped = routingText([{ role: 'user', content: pasted }]);
  assert.ok(capped.length <= LAST_TURN_CAP_CHARS + 5);
  assert.ok(capped.startsWith('START'));
  assert.ok(capped.endsWith('please fix this END'));
});

test('multi-part content: text parts count, images mark vision as required', () => {
  const i = input({
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ],
  });
  assert.equal(i.text, 'What is in this picture?');
  assert.equal(i.features.hasImages, true);
  assert.deepEqual(i.required, ['vision']);
  assert.ok(i.features.estimatedInputTokens >= 765);
});

test('tools are required when the request defines tools; max_tokens sets the expected output', () => {
  const i = input({
    prompt: 'What is the weather in Paris?',
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    max_tokens: 77,
  });
  assert.deepEqual(i.required, ['tools']);
  assert.equal(i.features.hasTools, true);
  assert.equal(i.features.expectedOutputTokens, 77);
});

test('token estimate ≈ chars/4 over all messages; a huge prompt requires long_context', () => {
  const i = input({ prompt: 'word '.repeat(8_000) }); // 40,000 chars
  assert.ok(i.features.estimatedInputTokens >= 10_000 && i.features.estimatedInputTokens <= 10_100);
  assert.ok(!i.required.includes('long_context'));
  const big = input({ prompt: 'word '.repeat(30_000) }); // 150,000 chars ≈ 37,500 tokens
  assert.ok(big.required.includes('long_context'));
  assert.equal(big.features.chars, 150_000);
});

test('non-ASCII text raises the token estimate and the ratio', () => {
  assert.equal(nonAsciiLetterRatio('hello world'), 0);
  assert.equal(nonAsciiLetterRatio('日本語のテキスト'), 1);
  assert.ok(nonAsciiLetterRatio('café crème') > 0 && nonAsciiLetterRatio('café crème') < 0.3);
  const ja = input({ prompt: '日本語'.repeat(400) });
  const en = input({ prompt: 'abc'.repeat(400) });
  assert.ok(ja.features.estimatedInputTokens > 2 * en.features.estimatedInputTokens);
});

test('code, math, reasoning and writing preferences', () => {
  assert.ok(detectCode('```ts\nconst x = 1\n```'));
  assert.ok(detectCode('def add(a, b):\n    return a + b'));
  assert.ok(detectCode('Write a function to find the shared elements from the given two lists.'));
  assert.ok(detectCode('Why does my TypeScript build fail?'));
  assert.ok(!detectCode('Tell me about the history of Rome.'));
  assert.ok(detectMath('Janet has 3 ducks. How many eggs does she sell?'));
  assert.ok(detectMath('Compute $\\frac{1}{2} + x$'));
  assert.ok(detectMath('12 * 7 = ?'));
  assert.ok(!detectMath('Tell me about the history of Rome.'));

  assert.deepEqual(input({ prompt: 'Write a Python function that reverses a string' }).preferred, ['code']);
  assert.deepEqual(input({ prompt: 'Write a short poem about autumn' }).preferred, ['writing']);
  assert.deepEqual(input({ prompt: 'Explain why the sky is blue' }).preferred, ['reasoning']);
  assert.deepEqual(input({ prompt: 'Solve the equation 3x + 5 = 20 step by step' }).preferred, ['math', 'reasoning']);
  assert.deepEqual(input({ prompt: 'hi' }).preferred, []);
  assert.deepEqual(input({ prompt: 'Please answer with the letter of the correct answer.' }).preferred, []);
  assert.deepEqual(input({ prompt: 'Draft a cover letter for a barista job' }).preferred, ['writing']);
  assert.equal(input({ prompt: 'hi' }).features.turns, 1);
});

test("max_tokens is a ceiling, not the answer's length: Claude Code's 32k does not exclude a 16k-window model", () => {
  const asked = input({ prompt: 'What is the capital of France?', max_tokens: 32_000 });
  assert.ok(asked.features.expectedOutputTokens <= 300, `${asked.features.expectedOutputTokens}`);
  const { candidates, excluded } = buildCandidates([model('small', { context_window: 16_000 })], asked, noCooldown);
  assert.deepEqual(
    candidates.map((c) => c.config.name),
    ['small'],
    JSON.stringify(excluded),
  );
  // A lower ceiling still bounds the forecast (and so the expected cost).
  assert.equal(input({ prompt: 'Write an essay about rivers', max_tokens: 50 }).features.expectedOutputTokens, 50);
});

void test('code lines after blank lines are still found; text of blank lines or one long word is not code', () => {
  // The anchored patterns' indentation no longer runs across line breaks (it made blank-line text
  // quadratic to scan); the verdicts stay those of a `\s*` that does.
  assert.equal(detectCode('Fix this:\n\n \r\n    def area(self):\n'), true);
  assert.equal(detectCode('\n\t\n  import { x } from "y"'), true);
  assert.equal(detectCode('\u00a0print(x);'), true);
  assert.equal(detectCode(' \n'.repeat(3000)), false);
  assert.equal(detectCode(`public ${'a'.repeat(5990)}`), false);
  assert.equal(detectCode('public static List<String> names(int n) {'), true);
});

// The code patterns as one regex, as they were before the two that end in `\([^)]*\)…` were taken
// out and checked apart (on many `word(` lines and no `)`, its `[^)]*` made the text quadratic to
// scan). Kept as the reference: detectCode must answer as it did on every text.
const INDENT = String.raw`[^\S\n\r\u2028\u2029]*`;
const REFERENCE_CODE_WORDS =
  /\b(code|coding|program(ming)?|function|method|script|bug|debug(ging)?|compile[rd]?|stack ?trace|exception|refactor|unit tests?|regex|regular expression|api|endpoint|python|javascript|typescript|java|rust|golang|kotlin|swift|c\+\+|c#|sql|html|css|bash|shell script|algorithm|implement(ation)?|segfault|null pointer)\b/i;
const REFERENCE_CODE_PATTERNS = [
  /```|~~~/,
  new RegExp(`^${INDENT}(def|class)\\s+\\w+.*:\\s*$`),
  /\bfunction\s*\w*\s*\([^)]*\)\s*\{/,
  /\b(const|let|var)\s+\w+\s*=/,
  /\)\s*=>/,
  /#include\s*[<"]/,
  new RegExp(`^${INDENT}import\\s+[\\w{*].*(from\\s+['"]|;|$)`),
  /\b(public|private|static)\s+\w[\w<>[\]]*\s+\w+\s*\(/,
  /\bSELECT\b[\s\S]{1,200}\bFROM\b/,
  /\bfn\s+\w+\s*\(|\bimpl\s+\w+/,
  /console\.log\(|System\.out\.print|printf\(/,
  new RegExp(`^${INDENT}[\\w.]+\\s*\\([^)]*\\)\\s*;\\s*$`),
];
const oneRegex = (patterns: RegExp[]) => new RegExp(patterns.map((re) => `(?:${re.source})`).join('|'), 'm');
const REFERENCE_CODE_SYNTAX = oneRegex(REFERENCE_CODE_PATTERNS);
/** The same without the function header and the call statement. */
const REFERENCE_OTHER_SYNTAX = oneRegex(REFERENCE_CODE_PATTERNS.filter((_, i) => i !== 2 && i !== 11));
const referenceDetectCode = (text: string): boolean =>
  REFERENCE_CODE_WORDS.test(text) || REFERENCE_CODE_SYNTAX.test(text);

void test('a call statement or function header is found as before, and many `word(` lines without `)` are not code', () => {
  const cases: [string, boolean][] = [
    ['print(x);', true],
    ['  foo.bar (a,\n b) ;  \nnext line', true],
    ['foo\n(x);', true], // the space before `(` may run across lines
    ['x(y(z);', true],
    ['f(x)\r\n;', true],
    ['\u2028f(x);', true],
    ['f(x);\u2028more', true],
    ['f(x);\r\nmore', true],
    ['\u00a0\tf(x) ;\t', true],
    ['f(x); more', false],
    [')foo(x);', false], // not at a line start
    ['a(b)\nc);', false], // `[^)]*` stops at the first `)`
    ['a-b(c);', false],
    ['functionFoo(a, b) {', true],
    ['functionx (a,\n b)\n{', true],
    ['functionx(a) x {', false],
    ['xfunctiony(a) {', false],
    ['class Shape(Base):', true],
    [`class ${'a'.repeat(5994)}`, false],
    // The hostile shape: 6,000 characters of line starts `word(` and no `)` after them.
    ['a(\n'.repeat(2000), false],
    ['functionx('.repeat(600), false],
    ['a(\n'.repeat(2000) + 'x);', true],
    ['a(\n'.repeat(2000) + ') ;x', false],
    ['a(\n'.repeat(2000) + ')\n\n;\n', true],
  ];
  for (const [text, code] of cases) {
    const shown = JSON.stringify(text.slice(0, 40));
    assert.equal(referenceDetectCode(text), code, `reference, ${shown}`);
    assert.equal(detectCode(text), code, shown);
  }
});

void test('detectCode answers as the one regex did on generated texts of parentheses, semicolons and line breaks', () => {
  // A fixed pseudo-random sequence, so a failure names a text that can be replayed.
  let seed = 21;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)]!;
  const pieces = [
    '',
    ' ',
    '\t',
    '\u00a0',
    'a',
    'x.y',
    'functionx',
    'class a',
    ':',
    '=',
    ';',
    '(',
    ')',
    '((',
    '))',
    '{',
  ];
  const spaces = ['', ' ', '\t', '\u00a0', '\n', '\r\n', '\u2028'];
  const lineEnds = ['\n', '\r\n', '\r', '\u2028', '\u2029', '\n\n', ' \n', ''];
  let decidedByParentheses = 0;
  for (let k = 0; k < 20_000; k++) {
    let text = '';
    for (let line = next(8); line >= 0; line--) {
      // Half the lines shaped like a call or a header (`name (…) ;` / `functionx (…) {`), parts missing.
      if (next(2) === 0) {
        text += pick(['', ' ', '\t']) + pick(['f', 'a.b', 'functionx', 'x-y', '']) + pick(spaces) + pick(['(', '']);
        for (let part = next(3); part > 0; part--) text += pick(pieces);
        text += pick([')', '', ') )']) + pick(spaces) + pick([';', '{', '', '; x']) + pick(spaces);
      } else {
        for (let part = next(7); part > 0; part--) text += pick(pieces);
      }
      text += pick(lineEnds);
    }
    // Now and then a `)` far away, after a long run of lines that open and never close.
    if (next(20) === 0) text = 'a(\n'.repeat(50 + next(200)) + text;
    const expected = referenceDetectCode(text);
    assert.equal(detectCode(text), expected, JSON.stringify(text));
    if (expected && !REFERENCE_CODE_WORDS.test(text) && !REFERENCE_OTHER_SYNTAX.test(text)) decidedByParentheses++;
  }
  // The corpus exercises what changed: texts that are code through the `(…)` patterns alone.
  assert.ok(decidedByParentheses > 1000, `${decidedByParentheses}`);
});
