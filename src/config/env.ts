/**
 * Environment references in config strings.
 *
 *   ${NAME}            the value of NAME; an error if NAME is not set
 *   ${NAME:-default}   the value of NAME, or `default` if NAME is unset or empty (shell semantics)
 *   $${                a literal "${" (escape)
 *
 * A `$` not followed by `{` is kept as is. Names follow the shell: [A-Za-z_][A-Za-z0-9_]*.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Keys whose values are secrets. Matched case-insensitively, ignoring `_` and `-` (so api_key, API-KEY match too). */
export const SECRET_KEY_NAMES = ['apiKey', 'secret', 'passphrase', 'password', 'token'] as const;

const SECRET_KEYS_NORMALISED = new Set(SECRET_KEY_NAMES.map((k) => normaliseKey(k)));

function normaliseKey(key: string): string {
  return key.replace(/[_-]/g, '').toLowerCase();
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS_NORMALISED.has(normaliseKey(key));
}

/** A secret's value must be exactly one env reference without a default: `${NAME}`. */
export const PURE_ENV_REF_RE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

export function isPureEnvRef(value: string): boolean {
  return PURE_ENV_REF_RE.test(value);
}

export type EnvSubstitution =
  | { ok: true; value: string }
  | { ok: false; errors: string[] };

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Resolve every env reference in `text`. Collects all problems (missing variables, malformed references). */
export function substituteEnv(text: string, env: Env): EnvSubstitution {
  if (!text.includes('$')) return { ok: true, value: text };
  const errors: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (text[i + 1] !== '{') {
      out += ch;
      i++;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      errors.push('malformed env reference: "${" without a closing "}" (write "$${" for a literal "${")');
      break;
    }
    const inner = text.slice(i + 2, close);
    const sep = inner.indexOf(':-');
    const name = sep < 0 ? inner : inner.slice(0, sep);
    if (!NAME_RE.test(name)) {
      errors.push(`malformed env reference "\${${inner}}": expected \${NAME} or \${NAME:-default}`);
    } else {
      const value = env[name];
      if (sep >= 0) {
        out += value === undefined || value === '' ? inner.slice(sep + 2) : value;
      } else if (value === undefined) {
        errors.push(`environment variable ${name} is not set`);
      } else {
        out += value;
      }
    }
    i = close + 1;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}
