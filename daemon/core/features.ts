// Turns a chat request into what the router decides on: the routing text (what the prompt is
// about), cheap prompt features, hard requirements and soft capability wishes. Pure and fast: it
// runs on every request, so it only scans the bounded routing text with regexes and sums lengths
// over the rest.
import type { Capability } from '../../shared/config';
import type { ChatCompletionRequest, ChatMessage } from '../../shared/openai';
import type { PromptFeatures, RouteInput } from './ports';
import { TOKENS_PER_IMAGE, TOKENS_PER_MESSAGE } from '../../shared/tokens';

/** Earlier turns add at most this many characters of context to the routing text. */
export const CONTEXT_BUDGET_CHARS = 2_000;
/** The last user turn is kept whole up to this size; beyond it, its head and tail are kept. */
export const LAST_TURN_CAP_CHARS = 4_000;
/** Above this estimate (prompt + answer) a model must be known to handle long contexts. */
export const LONG_CONTEXT_TOKENS = 32_000;

export interface RoutingInputOptions {
  costWeight: number;
  explore: boolean;
  random: () => number;
}

export function routingInput(request: ChatCompletionRequest, opts: RoutingInputOptions): RouteInput {
  const messages = request.messages;
  const text = routingText(messages);
  const kinds = promptKinds(text);
  const features = promptFeatures(request, text, kinds);
  return {
    text,
    messages,
    features,
    required: requiredCapabilities(features),
    preferred: preferredCapabilities(kinds),
    costWeight: opts.costWeight,
    explore: opts.explore,
    random: opts.random,
  };
}

/** The text parts of a message's content, joined; images and nulls contribute nothing. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!content) return '';
  let out = '';
  for (const part of content) {
    if (part.type === 'text') out += (out ? '\n' : '') + part.text;
  }
  return out;
}

/**
 * The last user turn (capped) preceded by as much earlier conversation as fits the context budget,
 * newest first. System/developer prompts and tool results are left out on purpose: a tool sends
 * the same long system prompt with every request, which would make all its prompts look alike.
 */
export function routingText(messages: readonly ChatMessage[]): string {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  if (lastUser < 0) {
    // No user turn (unusual): route on the last message that has any text.
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i];
      const t = m ? messageText(m) : '';
      if (t.trim()) return capHeadTail(t.trim(), LAST_TURN_CAP_CHARS);
    }
    return '';
  }
  const last = capHeadTail(messageText(messages[lastUser]!).trim(), LAST_TURN_CAP_CHARS);
  const context: string[] = [];
  let budget = CONTEXT_BUDGET_CHARS;
  for (let i = lastUser - 1; i >= 0 && budget > 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user' && m.role !== 'assistant') continue;
    const t = messageText(m).trim();
    if (!t) continue;
    // Keep the end of a long earlier turn: it is the part closest to the current question.
    const piece = t.length > budget ? t.slice(t.length - budget) : t;
    context.push(piece);
    budget -= piece.length;
  }
  if (context.length === 0) return last;
  return context.reverse().join('\n') + '\n' + last;
}

function capHeadTail(text: string, cap: number): string {
  if (text.length <= cap) return text;
  // The question is often after a pasted document ("…fix this"), so keep both ends.
  const head = Math.floor((cap * 2) / 3);
  const tail = cap - head;
  return text.slice(0, head) + '\n…\n' + text.slice(text.length - tail);
}

// ---------------------------------------------------------------- detectors

// The syntax patterns of each kind as one regex: an alternation matches somewhere exactly when one
// of its patterns does, and one regex walks the text once instead of once per pattern (routing
// input is built on every request, before the upstream call). Only the `^…$` patterns need the
// `m` flag, and it changes nothing for the others, which have no anchors. Their indentation is
// `INDENT`, not `\s*`: a `\s*` after `^` runs on across line breaks, so on text of blank lines every
// line start scanned the rest of the text (quadratic: ~20 ms for 6,000 characters of " \n", the
// routing text's cap). Whether the text matches is the same: a match whose `\s*` crossed line breaks
// has one starting at the last of them.
const INDENT = String.raw`[^\S\n\r\u2028\u2029]*`;
const CODE_SYNTAX = new RegExp(
  [
    /```|~~~/,
    // (`\w.*`, not `\w+.*`: a long word with no `:` after it was tried at every split, each split
    // scanning the rest of the line: ~30 ms for `class ` and 6,000 letters. Same language.)
    new RegExp(`^${INDENT}(def|class)\\s+\\w.*:\\s*$`),
    /\b(const|let|var)\s+\w+\s*=/,
    /\)\s*=>/,
    /#include\s*[<"]/,
    new RegExp(`^${INDENT}import\\s+[\\w{*].*(from\\s+['"]|;|$)`),
    // (`\w[…]*`, not `\w+[…]*`: the two overlapping runs tried every split of a long word.)
    /\b(public|private|static)\s+\w[\w<>[\]]*\s+\w+\s*\(/,
    /\bSELECT\b[\s\S]{1,200}\bFROM\b/,
    /\bfn\s+\w+\s*\(|\bimpl\s+\w+/,
    /console\.log\(|System\.out\.print|printf\(/,
  ]
    .map((re) => `(?:${re.source})`)
    .join('|'),
  'm',
);

// Two more code patterns end in `\([^)]*\)…`: a function header `\bfunction\s*\w*\s*\([^)]*\)\s*\{`
// and a call statement on its own line `^INDENT[\w.]+\s*\([^)]*\)\s*;\s*$` (`print(x);`). Inside
// the regex above, `[^)]*` runs on across lines, so on text of many `word(` (or `functionx(`) and no
// `)` every one of them scanned to the end of the text: quadratic, ~10 ms for 6,000 characters of
// `a(\n`. They are checked here instead, only when nothing above matched, from the other end: each
// `)` followed by one of their tails (one pass that skips from `)` to `)`), then that pattern's head
// (the part up to the `(`, which holds no `)`) between that `)` and the one before it, the only place
// `[^)]*` lets the `(` be. Those stretches do not overlap, so the text is read about twice. The
// verdicts are those of the one regex (the tests compare the two).
/** A `)` and a function header's tail (group 1) or a call statement's. */
const PARENTHESIS_TAIL = /\)\s*(?:(\{)|;\s*$)/gm;
// `(?:\s*\w+)?`, not `\s*\w*`: the same text, but the two `\s*` shared out a run of spaces every way
// when the word is empty (quadratic in the run).
const FUNCTION_HEAD = /\bfunction(?:\s*\w+)?\s*\(/;
const CALL_HEAD = new RegExp(`^${INDENT}[\\w.]+\\s*\\(`, 'm');

/** Whether a function header or call statement is in the text, in time linear in its length. */
function hasParenthesizedCode(text: string): boolean {
  PARENTHESIS_TAIL.lastIndex = 0;
  for (let m = PARENTHESIS_TAIL.exec(text); m; m = PARENTHESIS_TAIL.exec(text)) {
    // The stretch starts at the `)` before this one, so `^` and `\b` see the character before a
    // head as in the whole text: a `)`, neither a line break nor a word character.
    const before = m.index > 0 ? text.lastIndexOf(')', m.index - 1) : -1;
    const head = m[1] ? FUNCTION_HEAD : CALL_HEAD;
    if (head.test(text.slice(Math.max(before, 0), m.index))) return true;
  }
  return false;
}

const CODE_WORDS =
  /\b(code|coding|program(ming)?|function|method|script|bug|debug(ging)?|compile[rd]?|stack ?trace|exception|refactor|unit tests?|regex|regular expression|api|endpoint|python|javascript|typescript|java|rust|golang|kotlin|swift|c\+\+|c#|sql|html|css|bash|shell script|algorithm|implement(ation)?|segfault|null pointer)\b/i;

const MATH_SYNTAX = new RegExp(
  [
    /\$[^$\n]+\$/,
    /\\(frac|sqrt|sum|int|cdot|times|pi|alpha|theta|infty|le|ge)\b/,
    /\d\s*[+*/^×÷=]\s*\(?-?\d/,
    /\d\s+-\s+\d/,
    /[∑∫√π≤≥≠∞]/,
  ]
    .map((re) => `(?:${re.source})`)
    .join('|'),
);
const MATH_WORDS =
  /\b(solve|equations?|integral|derivative|calculate|compute|probability|percent(age)?|sum of|product of|how many|how much|average|median|prime|factors?|algebra|geometry|trigonometry|theorem|matri(x|ces)|vectors?|ratio|fractions?|arithmetic|logarithm|polynomial)\b/i;

const REASONING_WORDS =
  /\b(why|explain|reason(ing)?|step[- ]by[- ]step|prove|proof|analy[sz]e|analysis|compare|evaluate|trade-?offs?|pros and cons|logic(al)?|puzzle|deduce|infer|which of the following|diagnose|justify|implications?)\b/i;

const WRITING_WORDS =
  /\b(write|draft|rewrite|compose|essay|story|poem|blog|article|e-?mail|cover letter|letter to|summar(y|ize|ise)|paraphrase|proofread|headline|slogan|narrative|copy ?edit)\b/i;

export function detectCode(text: string): boolean {
  return CODE_WORDS.test(text) || CODE_SYNTAX.test(text) || hasParenthesizedCode(text);
}

export function detectMath(text: string): boolean {
  return MATH_WORDS.test(text) || MATH_SYNTAX.test(text);
}

/** Share of letters that are outside ASCII: a cheap "not English" signal (and a token-density one). */
export function nonAsciiLetterRatio(text: string): number {
  let letters = 0;
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    } else if (c >= 0xc0 && !(c >= 0x2000 && c <= 0x2bff) && !(c >= 0xd800 && c <= 0xdfff)) {
      // Above Latin-1 punctuation, excluding general punctuation/symbols and surrogates (emoji):
      // close enough to "a letter in another script" for a routing signal.
      letters++;
      nonAscii++;
    }
  }
  return letters === 0 ? 0 : nonAscii / letters;
}

// ---------------------------------------------------------------- features

/** What the routing text is about; each detector runs once per request. */
interface PromptKinds {
  code: boolean;
  math: boolean;
  reasoning: boolean;
  /** Asks for prose ("Write a function…" is a code request, not a writing one). */
  writing: boolean;
}

function promptKinds(text: string): PromptKinds {
  const code = detectCode(text);
  return {
    code,
    math: detectMath(text),
    reasoning: REASONING_WORDS.test(text),
    writing: !code && WRITING_WORDS.test(text),
  };
}

function promptFeatures(request: ChatCompletionRequest, text: string, kinds: PromptKinds): PromptFeatures {
  let chars = 0;
  let images = 0;
  let turns = 0;
  for (const m of request.messages) {
    if (m.role === 'user') turns++;
    const content = m.content;
    if (typeof content === 'string') chars += content.length;
    else if (content) {
      for (const part of content) {
        if (part.type === 'text') chars += part.text.length;
        else if (part.type === 'image_url') images++;
      }
    }
    if (m.tool_calls)
      for (const call of m.tool_calls) chars += call.function.arguments.length + call.function.name.length;
  }
  const hasTools = (request.tools?.length ?? 0) > 0;
  // Tool definitions are sent with every call and count against the window.
  const toolChars = hasTools ? JSON.stringify(request.tools).length : 0;
  const nonAsciiRatio = nonAsciiLetterRatio(text);
  // ≈ 4 characters per token for English; scripts like CJK run closer to 1–2 per token, so the
  // share of non-ASCII letters raises the estimate (better to over- than under-estimate a window).
  const charsPerToken = 4 / (1 + 2 * nonAsciiRatio);
  const estimatedInputTokens = Math.ceil(
    (chars + toolChars) / charsPerToken + images * TOKENS_PER_IMAGE + request.messages.length * TOKENS_PER_MESSAGE,
  );
  const requestedMax = request.max_completion_tokens ?? request.max_tokens;
  return {
    chars,
    estimatedInputTokens,
    // max_tokens is a ceiling, not a forecast: Anthropic clients must send one (Claude Code sends
    // 32k+), and taken as the answer's length it priced every answer at the ceiling and excluded
    // every model without a context window that large.
    expectedOutputTokens: Math.min(requestedMax ?? Infinity, expectedOutputHeuristic(text, kinds)),
    hasCode: kinds.code,
    hasMath: kinds.math,
    hasTools,
    hasImages: images > 0,
    nonAsciiRatio,
    turns,
  };
}

/** A rough answer length when the request does not set max_tokens: code and prose run long. */
function expectedOutputHeuristic(text: string, kinds: PromptKinds): number {
  if (kinds.code) return 600;
  if (kinds.writing) return 700;
  if (kinds.math || kinds.reasoning) return 400;
  if (text.length < 80) return 150;
  return 300;
}

function requiredCapabilities(features: PromptFeatures): Capability[] {
  const required: Capability[] = [];
  if (features.hasTools) required.push('tools');
  if (features.hasImages) required.push('vision');
  if (features.estimatedInputTokens + features.expectedOutputTokens > LONG_CONTEXT_TOKENS)
    required.push('long_context');
  return required;
}

function preferredCapabilities(kinds: PromptKinds): Capability[] {
  const preferred: Capability[] = [];
  if (kinds.code) preferred.push('code');
  if (kinds.math) preferred.push('math');
  if (kinds.reasoning) preferred.push('reasoning');
  if (kinds.writing) preferred.push('writing');
  return preferred;
}
