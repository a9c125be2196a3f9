/**
 * JSON.parse without silent rounding of numbers. A JSON number is read as the nearest double, so
 * `30000.000000000001` (17 significant digits) arrives as 30000 and nobody can tell any more. Node 20's JSON.parse
 * does not show a reviver the source text, so the text is scanned here: every number whose double does not give
 * back the decimal the sender wrote (compared at its shortest round-trip text) is replaced in the parsed value by an
 * `ImpreciseNumber` holding the text as sent. The order decoder refuses those with a coded error naming the field.
 * Numbers a double holds (0.1, 1.50, 1e-7, 123456789012345) are left as numbers. Off the hot path (API edges).
 */
/** String.prototype.charCodeAt as a constant: see src/model/json-text.ts (a megamorphic `text.charCodeAt` per char). */
const charCodeAt = String.prototype.charCodeAt;

export class ImpreciseNumber {
  constructor(
    /** The number exactly as written in the JSON text. */
    readonly text: string,
  ) {}
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * A JSON text with a key twice in one object where the value JSON.parse dropped for the later one holds a number a
 * double cannot hold exactly: which value the sender meant is not known (a parser that keeps the first would read
 * that number), so the text is refused rather than read as the last value. A SyntaxError, as JSON.parse's refusals.
 */
export class DuplicateKeyError extends SyntaxError {
  constructor(
    /** The key given more than once. */
    readonly key: string,
    /** Where: the keys and array indices from the root to it, dot-separated ("order.price", "0.order.price"). */
    readonly path: string,
    /** The inexact number under the dropped value, as written. */
    readonly token: string,
  ) {
    super(`duplicate key ${JSON.stringify(key.slice(0, 64))}${path === key ? '' : ` (at ${path.slice(0, 200)})`}: the value dropped for the later one holds a number a double cannot hold exactly (${token.slice(0, 64)}); send each key once`);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * JSON.parse (throws as it does on invalid JSON), with numbers a double cannot hold exactly as ImpreciseNumber.
 * Throws DuplicateKeyError when such a number is in a value a duplicate key made JSON.parse drop.
 */
export function parseJsonExact(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  if (onlyShortIntegers(text)) return value; // the common body: decimals are strings, numbers small integers
  const found = impreciseNumbers(text, false);
  if (found.length === 0) return value;
  // Rare (such a number is refused anyway): the scan again, this time telling the values JSON.parse kept from those
  // a later duplicate key dropped. With none dropped, every path leads to its number in the parsed value.
  for (const f of impreciseNumbers(text, true)) {
    const step = f.dropped;
    if (step !== undefined) throw new DuplicateKeyError(String(f.path[step]), f.path.slice(0, step + 1).join('.'), f.token);
  }
  const root = { value };
  for (const { path, token } of found) {
    let holder: unknown = root;
    let key: string | number = 'value';
    for (const step of path) {
      holder = (holder as Record<string | number, unknown>)[key];
      key = step;
    }
    (holder as Record<string | number, unknown>)[key] = new ImpreciseNumber(token);
  }
  return root.value;
}

/**
 * True when every number of the JSON text (outside strings) is an integer of at most 15 digits, which a double holds
 * exactly: then nothing can have been rounded and the full scan is not needed. One pass, no allocation.
 */
export function onlyShortIntegers(text: string): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = charCodeAt.call(text, i);
    if (c === 0x22 /* " */) {
      // to the string's closing quote (a native search): a quote after an odd run of backslashes is escaped
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j < 0) return false; // not a JSON text (the caller parsed it first)
        let k = j - 1;
        while (charCodeAt.call(text, k) === 0x5c /* \ */) k--;
        if (((j - 1 - k) & 1) === 0) break;
        j = text.indexOf('"', j + 1);
      }
      i = j + 1;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let digits = 0;
      if (c === 0x2d) i++;
      while (i < n) {
        const d = charCodeAt.call(text, i);
        if (d >= 0x30 && d <= 0x39) {
          digits++;
          i++;
        } else if (d === 0x2e /* . */ || d === 0x65 /* e */ || d === 0x45 /* E */) return false;
        else break;
      }
      if (digits > 15) return false;
      continue;
    }
    i++;
  }
  return true;
}

/** Canonical form of a decimal number text: sign, significant digits, exponent ("-0.0150" -> "-15e-3"; 0 -> "0"). */
export function canonicalDecimal(text: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return undefined;
  const frac = m[3] ?? '';
  let digits = (m[2]! + frac).replace(/^0+/, '');
  if (digits === '') return '0';
  let exp = Number(m[4] ?? '0') - frac.length;
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return `${m[1]}${digits}e${exp}`;
}

/** True when the double nearest to the JSON number `token` reads back as the same decimal. */
export function isExactNumber(token: string): boolean {
  const value = Number(token);
  if (!Number.isFinite(value)) return false;
  const want = canonicalDecimal(token);
  const got = canonicalDecimal(String(value));
  return want === got;
}

interface Found {
  readonly path: (string | number)[];
  readonly token: string;
  /** (scan with `keys`) The first step of `path` whose value JSON.parse dropped for a later same key, if one is. */
  dropped?: number;
}

/** (scan with `keys`) One object key on a found number's path: which occurrence of the key in its object it is. */
interface KeyStep {
  readonly f: Found;
  readonly depth: number;
  readonly seen: Map<string, number>;
  readonly key: string;
  readonly nth: number;
}

/**
 * The numbers of a valid JSON text that a double does not hold exactly, with their paths (object keys and array
 * indices from the root). Assumes `text` parsed (JSON.parse ran first). With `keys`, each one's `dropped` tells
 * whether a key on its path is given again later in its object (JSON.parse keeps the last): the keys of every object
 * are counted, so only for a text known to hold such a number.
 */
function impreciseNumbers(text: string, keys: boolean): Found[] {
  const out: Found[] = [];
  // one frame per open container: its key or index so far
  const path: (string | number)[] = [];
  const inArray: boolean[] = [];
  // with `keys`, per open object: its keys so far (how many times each), and the occurrence of the current one
  const seen: (Map<string, number> | undefined)[] = [];
  const nth: number[] = [];
  const steps: KeyStep[] = [];
  let pendingKey: string | undefined;
  let expectKey = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = charCodeAt.call(text, i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = charCodeAt.call(text, j);
        if (d === 0x5c /* \ */) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      if (expectKey) {
        pendingKey = JSON.parse(text.slice(i, j + 1)) as string;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      path.push(c === 0x5b ? 0 : '');
      inArray.push(c === 0x5b);
      if (keys) {
        seen.push(c === 0x7b ? new Map<string, number>() : undefined);
        nth.push(0);
      }
      expectKey = c === 0x7b;
      i++;
      continue;
    }
    if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      path.pop();
      inArray.pop();
      if (keys) {
        seen.pop();
        nth.pop();
      }
      expectKey = false;
      i++;
      continue;
    }
    if (c === 0x3a /* : */) {
      const top = path.length - 1;
      path[top] = pendingKey!;
      if (keys) {
        const m = seen[top]!;
        const k = (m.get(pendingKey!) ?? 0) + 1;
        m.set(pendingKey!, k);
        nth[top] = k;
      }
      i++;
      continue;
    }
    if (c === 0x2c /* , */) {
      const top = path.length - 1;
      if (inArray[top]) path[top] = (path[top] as number) + 1;
      else expectKey = true;
      i++;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER_RE.lastIndex = i;
      const m = NUMBER_RE.exec(text);
      const token = m![0];
      if (!isExactNumber(token)) {
        const f: Found = { path: path.slice(), token };
        out.push(f);
        if (keys) for (let d = 0; d < path.length; d++) if (seen[d] !== undefined) steps.push({ f, depth: d, seen: seen[d]!, key: path[d] as string, nth: nth[d]! });
      }
      i += token.length;
      continue;
    }
    i++;
  }
  // the counts are final now: an occurrence before the last of its key was dropped (steps are in path order)
  for (const s of steps) if (s.f.dropped === undefined && s.seen.get(s.key) !== s.nth) s.f.dropped = s.depth;
  return out;
}
