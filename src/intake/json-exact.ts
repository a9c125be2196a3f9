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
 * A JSON text with a key twice in one object (at any depth; `"a"` and `"\u0061"` are the same key). JSON.parse keeps
 * the last value, another parser the first: which one the sender meant is not known, so the text is refused rather
 * than read as either. A SyntaxError, as JSON.parse's refusals.
 */
export class DuplicateKeyError extends SyntaxError {
  constructor(
    /** The key given more than once. */
    readonly key: string,
    /** Where: the keys and array indices from the root to it, dot-separated ("order.price", "0.order.price"). */
    readonly path: string,
  ) {
    super(`duplicate key ${JSON.stringify(key.slice(0, 64))}${path === key ? '' : ` (at ${path.slice(0, 200)})`}: which of its values was meant is not known; send each key once`);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * JSON.parse (throws as it does on invalid JSON), with numbers a double cannot hold exactly as ImpreciseNumber.
 * Throws DuplicateKeyError when an object of the text has a key twice.
 */
export function parseJsonExact(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  if (scanJson(text)) return value; // the common body: decimals are strings, numbers small integers
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
    (holder as Record<string | number, unknown>)[key] = new ImpreciseNumber(token);
  }
  return root.value;
}

/*
 * Scratch of scanJson, kept across calls so that a body allocates nothing (the scan is synchronous and does not
 * re-enter). Per open object (`depth` counts objects only: an array's elements are in no key set), the index in
 * `keyStart`/`keyEnd` where its keys begin; the keys of all open objects are one stack of spans of the text (between
 * the quotes), the innermost object's on top. An object with a key holding an escape, or with more keys than
 * SPAN_KEYS, switches to a Set of its decoded keys (`slow`): exact for escapes, linear for a huge object.
 */
const SPAN_KEYS = 24;
let objBase = new Int32Array(64);
let keyStart = new Int32Array(256);
let keyEnd = new Int32Array(256);
let slowSets: (Set<string> | undefined)[] = [];

/**
 * One pass over a JSON text that parsed (JSON.parse ran first): throws DuplicateKeyError when an object of it has a
 * key twice; else true when every number (outside strings) is an integer of at most 15 digits, which a double holds
 * exactly: then nothing can have been rounded and the full number scan is not needed. No allocation unless a key
 * has an escape or an object has more than SPAN_KEYS keys.
 */
export function scanJson(text: string): boolean {
  const n = text.length;
  let short = true;
  let depth = -1; // innermost open object
  let top = 0; // key spans in use
  let slowAt = -1; // outermost open object with a Set (-1: none), so that closing ones clear theirs
  let backslash = -1; // the first backslash at or after the last key looked at (n: none), found lazily
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
      // a string followed by a colon is a key of the innermost open object
      let m = j + 1;
      let d = charCodeAt.call(text, m);
      while (d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) d = charCodeAt.call(text, ++m);
      if (d === 0x3a /* : */) {
        const s = i + 1;
        if (backslash < s) {
          backslash = text.indexOf('\\', s);
          if (backslash < 0) backslash = n;
        }
        const sets = slowSets;
        if (backslash < j || top - objBase[depth]! >= SPAN_KEYS || (slowAt >= 0 && sets[depth] !== undefined)) {
          slowKey(text, s, j, depth, top);
          if (slowAt < 0 || slowAt > depth) slowAt = depth;
        } else {
          const len = j - s;
          const c0 = charCodeAt.call(text, s);
          for (let p = objBase[depth]!; p < top; p++) {
            const ps = keyStart[p]!;
            if (keyEnd[p]! - ps !== len || (len > 0 && charCodeAt.call(text, ps) !== c0)) continue;
            let q = 1;
            while (q < len && charCodeAt.call(text, ps + q) === charCodeAt.call(text, s + q)) q++;
            if (q >= len) duplicateAt(text, s - 1); // throws
          }
          if (top === keyStart.length) growKeys();
          keyStart[top] = s;
          keyEnd[top] = j;
          top++;
        }
        i = m + 1;
        continue;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      if (++depth === objBase.length) growDepth();
      objBase[depth] = top;
      i++;
      continue;
    }
    if (c === 0x7d /* } */) {
      if (slowAt >= 0 && depth >= slowAt) {
        slowSets[depth] = undefined;
        if (depth === slowAt) slowAt = -1;
      }
      top = objBase[depth]!;
      depth--;
      i++;
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
        } else if (d === 0x2e /* . */ || d === 0x65 /* e */ || d === 0x45 /* E */) {
          short = false;
          i++;
        } else if (d === 0x2b /* + */ || d === 0x2d) i++;
        else break;
      }
      if (digits > 15) short = false;
      continue;
    }
    i++;
  }
  return short;
}

/** (scanJson) A key with an escape, or of an object with many: compared by its decoded value in the object's Set. */
function slowKey(text: string, s: number, j: number, depth: number, top: number): void {
  let set = slowSets[depth];
  if (set === undefined) {
    set = new Set<string>();
    for (let p = objBase[depth]!; p < top; p++) set.add(text.slice(keyStart[p], keyEnd[p])); // no escape: as written
    slowSets[depth] = set;
  }
  const key = JSON.parse(text.slice(s - 1, j + 1)) as string;
  if (set.has(key)) duplicateAt(text, s - 1);
  set.add(key);
}

function growDepth(): void {
  const a = new Int32Array(objBase.length * 2);
  a.set(objBase);
  objBase = a;
}

function growKeys(): void {
  const s = new Int32Array(keyStart.length * 2);
  s.set(keyStart);
  keyStart = s;
  const e = new Int32Array(keyEnd.length * 2);
  e.set(keyEnd);
  keyEnd = e;
}

/**
 * (scanJson, rare) Throws the DuplicateKeyError of the key whose opening quote is at `at`, a key given before in its
 * object: walks the text again to that point for its path (object keys and array indices from the root).
 */
function duplicateAt(text: string, at: number): never {
  slowSets = []; // the scan is abandoned mid-text: no Set of it may be seen by the next one
  const path: (string | number)[] = [];
  const inArray: boolean[] = [];
  let pendingKey = '';
  let expectKey = false;
  let i = 0;
  while (i < at) {
    const c = charCodeAt.call(text, i);
    if (c === 0x22 /* " */) {
      const j = stringEnd(text, i);
      if (expectKey) pendingKey = JSON.parse(text.slice(i, j + 1)) as string;
      expectKey = false;
      i = j + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      path.push(c === 0x5b ? 0 : '');
      inArray.push(c === 0x5b);
      expectKey = c === 0x7b;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      path.pop();
      inArray.pop();
      expectKey = false;
      i++;
    } else {
      if (c === 0x3a /* : */) path[path.length - 1] = pendingKey;
      else if (c === 0x2c /* , */) {
        const top = path.length - 1;
        if (inArray[top]) path[top] = (path[top] as number) + 1;
        else expectKey = true;
      }
      i++;
    }
  }
  const key = JSON.parse(text.slice(at, stringEnd(text, at) + 1)) as string;
  path[path.length - 1] = key;
  throw new DuplicateKeyError(key, path.join('.'));
}

/** The index of the closing quote of the JSON string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const d = charCodeAt.call(text, j);
    if (d === 0x5c /* \ */) j += 2;
    else if (d === 0x22) return j;
    else j++;
  }
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
 * indices from the root). Assumes `text` parsed (JSON.parse ran first) and has no key twice in an object (scanJson
 * ran), so that every path leads to its number in the parsed value.
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
      const j = stringEnd(text, i);
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
