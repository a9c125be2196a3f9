/**
 * The benches' command lines: the one argv parser of bench/*.ts and bench/lib/paper-venue-cost.ts, on node:util's
 * parseArgs with strict: true. An unknown option, an option without its value, a flag given a value, a value out of
 * its range, an option given twice or an argument the script does not take is refused before any work starts: the
 * script prints `<script>: <message>` (the option named, and what it accepts) and a hint to use --help on stderr and
 * exits 2. `--help` (or `-h`) prints the script's usage on stdout and exits 0.
 *
 *   const a = benchArgs({
 *     script: 'bench:kill', usage: USAGE,
 *     options: { orders: whole(2, Infinity, { default: 1000 }), 'no-journal': flag() },
 *   });
 *   a.orders; // number
 *
 * Options are written as given on the command line, without the dashes (`--name value` or `--name=value`); a script's
 * positional arguments, when it takes any, are named in `positionals`, in order, and read with the same helpers.
 */
import { parseArgs } from 'node:util';

/** A bad command line: the message names the option and what it accepts. */
export class ArgsError extends Error {
  override readonly name = 'ArgsError';
}

/** One option (or positional argument): how parseArgs reads it, what it accepts, and its value. */
export interface Opt<T> {
  readonly type: 'boolean' | 'string';
  /** What the option accepts, for messages: "a whole number from 1 to 20". */
  readonly accepts: string;
  /** The value from what parseArgs read (undefined when absent); throws ArgsError naming `name` when it is bad. */
  readonly read: (name: string, raw: string | boolean | undefined) => T;
}

type OptValue<O> = O extends Opt<infer T> ? T : never;
export type OptRecord = Readonly<Record<string, Opt<unknown>>>;
export type ArgValues<O extends OptRecord> = { readonly [K in keyof O]: OptValue<O[K]> };

export interface BenchArgsSpec<O extends OptRecord, P extends OptRecord> {
  /** How the script names itself in messages: "bench:load". */
  readonly script: string;
  /** What --help prints. */
  readonly usage: string;
  readonly options: O;
  /** The positional arguments the script takes, in order (none when absent); each may be left out. */
  readonly positionals?: P;
}

const fmt = (n: number): string => String(n);
const quote = (s: string): string => `'${s}'`;

/** A switch: true when given; it takes no value. */
export function flag(): Opt<boolean> {
  return { type: 'boolean', accepts: 'no value', read: (_name, raw) => raw === true };
}

function numberText(raw: string): number {
  // Number('') and Number('  ') are 0: a blank value is no number
  return raw.trim() === '' ? NaN : Number(raw);
}

interface NumOptions {
  /** The value when the option is absent. */
  readonly default?: number;
  /** min is excluded: the value must be above it. */
  readonly aboveMin?: boolean;
  /** A further condition; say it in `what`. */
  readonly check?: (v: number) => boolean;
  /** What the option accepts, when the range alone does not say it: "an even whole number >= 2". */
  readonly what?: string;
}

function rangeText(kind: 'number' | 'whole number', min: number, max: number, aboveMin: boolean): string {
  const unbounded = max === Infinity || (kind === 'whole number' && max >= Number.MAX_SAFE_INTEGER);
  if (unbounded) {
    if (min === 0 && aboveMin) return `a positive ${kind}`;
    if (min === 1 && kind === 'whole number' && !aboveMin) return 'a positive whole number';
    if (min === 0) return `a non-negative ${kind}`;
    return `a ${kind} ${aboveMin ? '>' : '>='} ${fmt(min)}`;
  }
  return aboveMin ? `a ${kind} above ${fmt(min)}, at most ${fmt(max)}` : `a ${kind} from ${fmt(min)} to ${fmt(max)}`;
}

function numberOpt(kind: 'number' | 'whole number', min: number, max: number, o: NumOptions): Opt<number | undefined> {
  const aboveMin = o.aboveMin === true;
  const accepts = o.what ?? rangeText(kind, min, max, aboveMin);
  return {
    type: 'string',
    accepts,
    read: (name, raw) => {
      if (raw === undefined) return o.default;
      const text = String(raw);
      const v = numberText(text);
      const ok = Number.isFinite(v) && (aboveMin ? v > min : v >= min) && v <= max
        && (kind === 'number' || Number.isSafeInteger(v)) && (o.check === undefined || o.check(v));
      if (!ok) throw new ArgsError(`${name} must be ${accepts} (got ${quote(text)})`);
      return v;
    },
  };
}

/** A number (finite) from min to max (inclusive; `aboveMin`: above min). */
export function num(min: number, max: number, o: NumOptions & { readonly default: number }): Opt<number>;
export function num(min: number, max: number, o?: NumOptions): Opt<number | undefined>;
export function num(min: number, max: number, o: NumOptions = {}): Opt<number | undefined> {
  return numberOpt('number', min, max, o);
}

/** A whole number (a safe integer) from min to max (inclusive; `aboveMin`: above min). */
export function whole(min: number, max: number, o: NumOptions & { readonly default: number }): Opt<number>;
export function whole(min: number, max: number, o?: NumOptions): Opt<number | undefined>;
export function whole(min: number, max: number, o: NumOptions = {}): Opt<number | undefined> {
  return numberOpt('whole number', min, max, o);
}

/** Any text (not empty). */
export function str(o: { readonly default: string; readonly what?: string }): Opt<string>;
export function str(o?: { readonly what?: string }): Opt<string | undefined>;
export function str(o: { readonly default?: string; readonly what?: string } = {}): Opt<string | undefined> {
  const accepts = o.what ?? 'a text';
  return {
    type: 'string',
    accepts,
    read: (name, raw) => {
      if (raw === undefined) return o.default;
      if (raw === '') throw new ArgsError(`${name} must be ${accepts} (got an empty value)`);
      return String(raw);
    },
  };
}

/** One of a set of words. */
export function oneOf<T extends string>(set: readonly T[], o: { readonly default: T }): Opt<T>;
export function oneOf<T extends string>(set: readonly T[], o?: { readonly default?: undefined }): Opt<T | undefined>;
export function oneOf<T extends string>(set: readonly T[], o: { readonly default?: T } = {}): Opt<T | undefined> {
  const accepts = set.length === 1 ? quote(set[0]!) : `one of ${set.join(', ')}`;
  return {
    type: 'string',
    accepts,
    read: (name, raw) => {
      if (raw === undefined) return o.default;
      if (!(set as readonly string[]).includes(String(raw))) throw new ArgsError(`${name} must be ${accepts} (got ${quote(String(raw))})`);
      return raw as T;
    },
  };
}

/** One or more words of a set, comma-separated ("http,ws"); in the order given. */
export function list<T extends string>(set: readonly T[], o: { readonly default: readonly T[] }): Opt<T[]>;
export function list<T extends string>(set: readonly T[], o?: { readonly default?: undefined }): Opt<T[] | undefined>;
export function list<T extends string>(set: readonly T[], o: { readonly default?: readonly T[] } = {}): Opt<T[] | undefined> {
  const accepts = `one or more of ${set.join(', ')} (comma-separated)`;
  return {
    type: 'string',
    accepts,
    read: (name, raw) => {
      if (raw === undefined) return o.default === undefined ? undefined : [...o.default];
      const items = String(raw).split(',');
      const bad = items.filter((x) => !(set as readonly string[]).includes(x));
      if (bad.length > 0) {
        const which = items.length === 1 ? '' : `; not one of them: ${bad.map((x) => (x === '' ? 'an empty item' : quote(x))).join(', ')}`;
        throw new ArgsError(`${name} must be ${accepts} (got ${quote(String(raw))}${which})`);
      }
      return items as T[];
    },
  };
}

type ParseOptions = Record<string, { type: 'boolean' | 'string'; short?: string }>;

function acceptedText(options: OptRecord, positionals: OptRecord): string {
  const names = Object.keys(options).map((n) => `--${n}`);
  const pos = Object.keys(positionals).map((n) => `[${n}]`);
  if (names.length === 0 && pos.length === 0) return 'this script takes no options (only --help)';
  return `accepted: ${[...names, '--help', ...pos].join(', ')}`;
}

/** The first problem of a command line strict parseArgs refused, said in our words (the option named). */
function diagnose(argv: readonly string[], options: OptRecord, parseOptions: ParseOptions, positionals: OptRecord): string | undefined {
  const { tokens } = parseArgs({ args: [...argv], options: parseOptions, strict: false, allowPositionals: true, tokens: true });
  const accepted = acceptedText(options, positionals);
  let given = 0;
  for (const t of tokens) {
    if (t.kind === 'option') {
      const o = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
      if (o === undefined) return `unknown option ${t.rawName}; ${accepted}`;
      if (o.type === 'boolean' && t.value !== undefined) return `${t.rawName} takes no value (got ${quote(t.value)})`;
      if (o.type === 'string' && t.value === undefined) return `${t.rawName} needs a value: ${o.accepts}`;
      if (o.type === 'string' && t.inlineValue === false && t.value!.startsWith('-')) {
        // parseArgs takes no value that starts with '-' after a space: an option forgot its value, or a negative number
        const after = /^-[0-9.]/.test(t.value!) ? `to give a value that starts with '-', write ${t.rawName}=${t.value}` : `it is followed by the option ${t.value}`;
        return `${t.rawName} needs a value: ${o.accepts} (${after})`;
      }
    } else if (t.kind === 'positional') {
      if (++given > Object.keys(positionals).length) return `unexpected argument ${quote(t.value)}; ${accepted}`;
    }
  }
  return undefined;
}

/**
 * The values of a command line (argv: without node and the script), or `{ help }` with the usage when it asks for
 * --help (-h) anywhere before a `--`. Throws ArgsError, naming the option, when it is not what the spec accepts.
 */
export function parseBenchArgs<O extends OptRecord, P extends OptRecord = Record<never, never>>(
  spec: BenchArgsSpec<O, P>,
  argv: readonly string[],
): { readonly help: string } | { readonly values: ArgValues<O> & ArgValues<P> } {
  const positionals: OptRecord = spec.positionals ?? {};
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) return { help: spec.usage };
  const parseOptions: ParseOptions = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) {
    if (name === 'help') throw new Error('--help is every bench\'s own option');
    parseOptions[name] = { type: o.type };
  }
  let parsed: ReturnType<typeof parseArgs<{ options: ParseOptions; strict: true; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseOptions, strict: true, allowPositionals: Object.keys(positionals).length > 0, tokens: true });
  } catch (err) {
    throw new ArgsError(diagnose(argv, spec.options, parseOptions, positionals) ?? (err instanceof Error ? err.message : String(err)));
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new ArgsError(`${t.rawName} is given more than once`);
    seen.add(t.name);
  }
  const posNames = Object.keys(positionals);
  if (parsed.positionals.length > posNames.length) {
    throw new ArgsError(`unexpected argument ${quote(parsed.positionals[posNames.length]!)}; ${acceptedText(spec.options, positionals)}`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) values[name] = o.read(`--${name}`, parsed.values[name]);
  posNames.forEach((name, i) => {
    values[name] = positionals[name]!.read(name, parsed.positionals[i]);
  });
  return { values: values as ArgValues<O> & ArgValues<P> };
}

/**
 * The values of this process's command line. On --help: the usage on stdout, exit 0. On a bad command line:
 * `<script>: <message>` and a hint on stderr, exit 2. Either way before the script has done anything.
 */
export function benchArgs<O extends OptRecord, P extends OptRecord = Record<never, never>>(
  spec: BenchArgsSpec<O, P>,
  argv: readonly string[] = process.argv.slice(2),
): ArgValues<O> & ArgValues<P> {
  let r: ReturnType<typeof parseBenchArgs<O, P>>;
  try {
    r = parseBenchArgs(spec, argv);
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    process.stderr.write(`${spec.script}: ${err.message}\n${spec.script}: --help prints the usage\n`);
    process.exit(2);
  }
  if ('help' in r) {
    process.stdout.write(r.help.endsWith('\n') ? r.help : `${r.help}\n`);
    process.exit(0);
  }
  return r.values;
}
