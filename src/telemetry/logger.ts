/**
 * The daemon's logger: pino, secrets redacted, JSON lines by default (services, log shippers) or human lines through
 * pino-pretty (`daemon.log.format: pretty`, `switchyard start --pretty`). pino-pretty runs in-process as a stream
 * (no worker thread): redaction happens in pino before a line is serialised, so the pretty lines are redacted the
 * same way, and a custom destination (the tests' capture) receives the pretty text.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/** Keys whose values never reach a log line, wherever they appear (two levels deep). */
export const REDACTED_PATHS = [
  'apiKey', 'secret', 'passphrase', 'password', 'token', 'authorization',
  '*.apiKey', '*.secret', '*.passphrase', '*.password', '*.token', '*.authorization',
  '*.*.apiKey', '*.*.secret', '*.*.passphrase', '*.*.password', '*.*.token', '*.*.authorization',
  'req.headers.authorization',
];

/**
 * A stream that turns pino's JSON lines into human lines and writes them to `destination` (default stdout; a file
 * descriptor or a stream). Colours only when writing to a terminal.
 */
export function prettyDestination(destination: DestinationStream | number = 1): DestinationStream {
  const tty = typeof destination === 'number' && destination === 1 ? process.stdout.isTTY === true : false;
  return PinoPretty({
    destination: destination as NodeJS.WritableStream | number,
    colorize: tty,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: typeof destination === 'number',
  }) as unknown as DestinationStream;
}

/** The keys pino writes itself on every line: a log call's field of the same name would make a duplicate key. */
const PINO_KEYS = ['level', 'time', 'pid', 'hostname', 'name', 'msg'] as const;

/**
 * A log call's fields with any of pino's own keys renamed `<key>_` (`{ name: 'sim-b' }` becomes `name_`): a JSON line
 * never has a key twice (JSON.parse would keep the last silently, and log shippers disagree on which one wins).
 * Allocates only when a field collides.
 */
export function withoutPinoKeys(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k of PINO_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(fields, k)) continue;
    out ??= { ...fields };
    out[`${k}_`] = out[k];
    delete out[k];
  }
  return out ?? fields;
}

/**
 * pino's logMethod hook that keeps a child logger's bindings from being written twice: a call whose fields repeat a
 * binding (`log.child({ venue }).warn({ venue, ... })`) drops the repeated field when its value is the same, and
 * renames it `<key>_` when it differs. The binding keys of each logger are read once (WeakMap: a logger that is
 * gone takes its entry with it); a call allocates only when it repeats one.
 */
function dedupeBindings(): (this: Logger, args: unknown[], method: (...a: unknown[]) => void) => void {
  const bindingsOf = new WeakMap<object, { readonly keys: readonly string[]; readonly values: Record<string, unknown> }>();
  return function logMethod(this: Logger, args, method) {
    const first = args[0];
    if (typeof first === 'object' && first !== null && !(first instanceof Error)) {
      let bound = bindingsOf.get(this);
      if (bound === undefined) {
        const values = this.bindings() as Record<string, unknown>;
        bound = { keys: Object.keys(values), values };
        bindingsOf.set(this, bound);
      }
      const fields = first as Record<string, unknown>;
      let out: Record<string, unknown> | undefined;
      for (const k of bound.keys) {
        if (!Object.prototype.hasOwnProperty.call(fields, k)) continue;
        out ??= { ...fields };
        if (out[k] !== bound.values[k]) out[`${k}_`] = out[k];
        delete out[k];
      }
      if (out !== undefined) {
        method.apply(this, [out, ...args.slice(1)]);
        return;
      }
    }
    method.apply(this, args);
  };
}

/** Logs with secrets redacted: JSON lines, or pretty lines (see prettyDestination). `destination` defaults to stdout. */
export function createLogger(level: string, name: string, destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const options = { level, name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, formatters: { log: withoutPinoKeys },
    hooks: { logMethod: dedupeBindings() } };
  if (format === 'pretty') return pino(options, prettyDestination(destination ?? 1));
  return destination === undefined ? pino(options) : pino(options, destination);
}
