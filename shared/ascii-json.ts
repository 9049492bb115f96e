// JSON with every non-ASCII character escaped the way JSON.stringify escapes control characters:
// fit for an HTTP header value (which must be ASCII), and read back by JSON.parse as the same value.

/** `value` as JSON with non-ASCII characters written as \uXXXX. */
export function asciiJson(value: unknown): string {
  const json = JSON.stringify(value);
  // Most decisions are plain ASCII already: skip the replace pass then (this runs on every request).
  if (!NON_ASCII.test(json)) return json;
  return json.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII_ALL = /[\u007f-\uffff]/g;
