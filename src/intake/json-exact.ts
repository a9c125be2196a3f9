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

/** JSON.parse (throws as it does on invalid JSON), with numbers a double cannot hold exactly as ImpreciseNumber. */
export function parseJsonExact(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  if (onlyShortIntegers(text)) return value; // the common body: decimals are strings, numbers small integers
  const found = impreciseNumbers(text);
  if (found.length === 0) return value;
  const root = { value };
  for (const { path, token } of found) {
    let holder: unknown = root;
    let key: string | number = 'value';
    for (const step of path) {
      holder = (holder as Record<string | number, unknown>)[key];
      key = step;
    }
    const h = holder as Record<string | number, unknown>;
    // A duplicate key: JSON.parse kept the last value; an imprecise one anywhere under that key refuses it.
    if (typeof h === 'object' && h !== null && Object.prototype.hasOwnProperty.call(h, key)) h[key] = new ImpreciseNumber(token);
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
}

/**
 * The numbers of a valid JSON text that a double does not hold exactly, with their paths (object keys and array
 * indices from the root). Assumes `text` parsed (JSON.parse ran first).
 */
function impreciseNumbers(text: string): Found[] {
  const out: Found[] = [];
  // one frame per open container: its key or index so far
  const path: (string | number)[] = [];
  const inArray: boolean[] = [];
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
      expectKey = c === 0x7b;
      i++;
      continue;
    }
    if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      path.pop();
      inArray.pop();
      expectKey = false;
      i++;
      continue;
    }
    if (c === 0x3a /* : */) {
      path[path.length - 1] = pendingKey!;
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
      if (!isExactNumber(token)) out.push({ path: path.slice(), token });
      i += token.length;
      continue;
    }
    i++;
  }
  return out;
}
