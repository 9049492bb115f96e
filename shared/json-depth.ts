// Request bodies nested thousands of levels deep parse fine (V8's JSON.parse is iterative) and then
// overflow the stack in whatever walks them recursively (schema checks, JSON.stringify on the way
// upstream or into the store), which used to surface as a 502 counted against every model. Both
// doors refuse them first: the HTTP door with one pass over the text that skips string contents
// with indexOf; the JSON-RPC door (whose messages vscode-jsonrpc has parsed) over the value.

/** Deeper than any real chat request (tool schemas nest a few dozen levels at most). */
export const MAX_JSON_DEPTH = 128;

/** True when the JSON text nests arrays/objects deeper than `limit`. Garbage is left to JSON.parse. */
export function jsonTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote: one that is not escaped by an odd run of backslashes.
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end === -1) return false;
        let backslashes = 0;
        for (let j = end - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
        i = end;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** True when a parsed value nests arrays/objects deeper than `limit` (stops as soon as it knows). */
export function valueTooDeep(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  // Recursion is safe: it never goes deeper than `limit` + 1 frames.
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || typeof v !== 'object') return false;
    if (depth > limit) return true;
    if (Array.isArray(v)) {
      for (const item of v) if (walk(item, depth + 1)) return true;
      return false;
    }
    for (const key in v) if (walk((v as Record<string, unknown>)[key], depth + 1)) return true;
    return false;
  };
  return walk(value, 1);
}
