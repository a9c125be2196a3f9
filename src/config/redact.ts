import { isSecretKey } from './env.js';
import type { Config } from './schema.js';

/** A deep copy of the config with every secret value replaced by "[redacted]" (for logging the effective config). */
export function redactConfig(config: Config): unknown {
  return redact(config);
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, isSecretKey(k) && v !== undefined ? '[redacted]' : redact(v)]),
    );
  }
  return value;
}
