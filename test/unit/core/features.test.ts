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
