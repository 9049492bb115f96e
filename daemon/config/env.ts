// `${VAR}` and `${VAR:-default}` references in config values, resolved from an env map. Applied
// to the parsed YAML's strings (not the raw text) so a value containing YAML syntax (a key with
// `#` or `: `) cannot change the document's structure. `$${` writes a literal `${`.

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Interpolated<T> {
  value: T;
  /** "models[1].api_key: ${OPENAI_API_KEY} is not set (using an empty value)" */
  warnings: string[];
  /** Each unset variable with the field that referenced it ("models[1].api_key"). */
  missing: { path: string; name: string }[];
}

export function interpolateString(
  text: string,
  env: Record<string, string | undefined>,
  onMissing: (name: string) => void,
): string {
  return text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const value = env[name!];
    // Like the shell: `:-` also applies when the variable is set but empty.
    if (fallback !== undefined) return value ? value : fallback;
    if (value === undefined) {
      onMissing(name!);
      return '';
    }
    return value;
  });
}

/** Interpolates every string in a parsed YAML value; `path` names fields in warnings. */
export function interpolateEnv<T>(value: T, env: Record<string, string | undefined>): Interpolated<T> {
  const warnings: string[] = [];
  const missing: { path: string; name: string }[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      return interpolateString(v, env, (name) => {
        warnings.push(`${path || '(root)'}: \${${name}} is not set (using an empty value)`);
        missing.push({ path, name });
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, path ? `${path}.${k}` : k);
      return out;
    }
    return v;
  };
  return { value: walk(value, '') as T, warnings, missing };
}
