// Text PostgreSQL cannot hold, in a form it can. A NUL character is refused in any text column
// ("invalid byte sequence for encoding UTF8: 0x00") and its JSON escape "\u0000", like half a
// surrogate pair's, by jsonb. One such character in a prompt failed the whole batch it was written
// in, and every retry of it: the store stayed down for good. The embedded store keeps such text as
// it is; here a NUL is stored as U+FFFD (the replacement character), as schema v6 had to read old
// records' JSON without those escapes.

const NUL = '\u0000';
/**
 * "\u0000" or a lone surrogate's escape in JSON text, not preceded by an odd number of backslashes
 * (an escaped backslash followed by the letters "u0000" is text, not an escape). JSON.stringify
 * writes a valid pair as the characters themselves, so any surrogate escape in its output is half a pair.
 */
const REFUSED_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/** `text` with each NUL replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.includes(NUL) ? text.replaceAll(NUL, '\uFFFD') : text;
}

/** JSON text (JSON.stringify's) whose NUL and lone-surrogate escapes are U+FFFD's, so jsonb reads it. */
export function storableJson(json: string): string {
  return storableText(json).replace(REFUSED_ESCAPE, '$1\\ufffd');
}

/** Query parameters with every string's NUL replaced (storableText), in arrays too; other values as they are. */
export function storableParams(params: readonly unknown[]): unknown[] {
  return params.map(storableParam);
}
function storableParam(param: unknown): unknown {
  if (typeof param === 'string') return storableText(param);
  return Array.isArray(param) ? param.map(storableParam) : param;
}
