/**
 * A small, strict argument parser for the daemon commands: each verb names its flags (with a value or without) and
 * how many positional arguments it takes; anything else is a usage error (exit 2), never ignored. Every verb also
 * takes the common flags -c/--config FILE, --url URL and --json.
 */
import { UsageError } from './daemon-client.js';

export interface FlagSpec {
  /** Flags taking a value (`--strategy S`), without the dashes. */
  readonly values?: readonly string[];
  /** Flags without a value (`--open`). */
  readonly switches?: readonly string[];
  /** Names of the positional arguments, all required. */
  readonly positionals?: readonly string[];
}

export interface ParsedArgs {
  readonly config: string;
  readonly url: string | undefined;
  readonly json: boolean;
  readonly values: ReadonlyMap<string, string>;
  readonly switches: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

export function parseArgs(args: readonly string[], spec: FlagSpec, defaultConfig: string): ParsedArgs {
  let config = defaultConfig;
  let url: string | undefined;
  let json = false;
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positionals: string[] = [];
  const wanted = spec.positionals ?? [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string => {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      i++;
      return v;
    };
    if (a === '-c' || a === '--config') config = next();
    else if (a === '--url') url = next();
    else if (a === '--json') json = true;
    else if (a.startsWith('--') && spec.values?.includes(a.slice(2))) {
      if (values.has(a.slice(2))) throw new UsageError(`${a} is given more than once`);
      values.set(a.slice(2), next());
    } else if (a.startsWith('--') && spec.switches?.includes(a.slice(2))) switches.add(a.slice(2));
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else if (positionals.length < wanted.length) positionals.push(a);
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (positionals.length < wanted.length) throw new UsageError(`missing ${wanted.slice(positionals.length).map((n) => `<${n}>`).join(' ')}`);
  return { config, url, json, values, switches, positionals };
}

/** A whole number from `min` to `max`, or a usage error naming the flag. */
export function wholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`);
  return Number(text);
}
