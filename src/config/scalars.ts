/** Scalar schemas shared by the configuration's sections (YAML numbers, decimals, integers, names, URLs). */
import { z } from 'zod';
import { decimalSign, isDecimalText, normaliseDecimal } from '../model/decimal.js';
import { YamlNumber } from './yaml-source.js';


/** Message for a wrong type (or a missing key); other issues (too small, ...) fall through to the default messages. */
export const required = (expected: string) => (iss: { code?: string; input?: unknown }) =>
  iss.code !== 'invalid_type' ? undefined : iss.input === undefined ? 'required key is missing' : expected;

/** A strict object (unknown keys are errors). A plain YAML number where a mapping belongs is reported as a number. */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((v) => (v instanceof YamlNumber ? v.value : v), z.strictObject(shape));
}

/** A decimal string; YAML plain numbers contribute their source text. */
export const decimalBase = z.preprocess(
  (v) => (v instanceof YamlNumber ? v.source : v),
  z
    .string({ error: required('expected a decimal string') })
    .refine(isDecimalText, { error: 'expected a decimal string', abort: true })
    .transform(normaliseDecimal),
);

export const Decimal = decimalBase;
export const PositiveDecimal = decimalBase.refine((s) => isDecimalText(s) && decimalSign(s) > 0, { error: 'must be > 0' });
export const NonNegativeDecimal = decimalBase.refine((s) => isDecimalText(s) && decimalSign(s) >= 0, { error: 'must be >= 0' });

export function toInteger(v: unknown): unknown {
  if (v instanceof YamlNumber) return v.value;
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v);
  return v;
}

/** A safe integer in [min, max]. */
export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(toInteger, z.number({ error: required('expected an integer') }).int().min(min).max(max));

export const bool = z.preprocess(
  (v) => (v === 'true' ? true : v === 'false' ? false : v),
  z.boolean({ error: required('expected true or false') }),
);

export const nonEmptyString = z.string({ error: required('expected a string') }).min(1, { error: 'must not be empty' });

export const SYMBOL_RE = /^[A-Z0-9]+-[A-Z0-9]+$/;
export const ASSET_RE = /^[A-Z0-9]+$/;
export const VENUE_NAME_RE = /^[a-z][a-z0-9_-]*$/;
export const STRATEGY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
export const DAEMON_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const SymbolName = z
  .string({ error: required('expected an instrument symbol like BTC-USDT') })
  .regex(SYMBOL_RE, { error: 'expected an instrument symbol like BTC-USDT (BASE-QUOTE, uppercase letters and digits)' });
export const AssetName = z
  .string({ error: required('expected an asset name like BTC') })
  .regex(ASSET_RE, { error: 'expected an asset name like BTC (uppercase letters and digits)' });
export const VenueName = z
  .string({ error: required('expected a venue name') })
  .regex(VENUE_NAME_RE, { error: 'expected a venue name: lowercase letter, then lowercase letters, digits, _ or -' });
export const StrategyId = z
  .string({ error: required('expected a strategy id') })
  .regex(STRATEGY_ID_RE, { error: 'expected a strategy id: 1 to 32 letters, digits, _ or -' });

/** Secrets: after env resolution; the loader has already rejected anything but `${NAME}` in the file. */
export const SecretValue = nonEmptyString;

export const url = (protocols: readonly string[], example: string) =>
  z.string({ error: required(`expected a URL like ${example}`) }).refine(
    (s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { error: `expected a URL like ${example} (${protocols.map((p) => p.replace(':', '://')).join(' or ')})` },
  );

