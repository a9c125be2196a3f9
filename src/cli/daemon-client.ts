/**
 * What every command against a running daemon shares: where the daemon is and its token (from the configuration
 * file, as the daemon itself resolves them), one HTTP request with a deadline over node's fetch, and the exit codes
 * scripts can rely on. The admin verbs (admin-commands.ts), the order verbs (order-commands-cli.ts) and the views
 * (view-commands.ts) all go through here, so they find the daemon, time out and fail the same way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatConfigErrors, loadConfigFile } from '../config/index.js';

/**
 * Exit codes of every command that talks to the daemon:
 * 0 done; 1 the daemon answered with an error (an order refused, not found, not cancelable, a wrong token);
 * 2 usage: bad arguments or configuration, or a request the daemon finds invalid (HTTP 400: an unknown strategy,
 * symbol or venue, a price off the tick); 3 the daemon cannot be reached (nothing listening, no answer in time);
 * 4 done but not all well: `status` of a degraded or halted daemon, `kill` with an order not confirmed closed,
 * `orders cancel-all` with an order that could not be canceled.
 */
export const EXIT = { OK: 0, REFUSED: 1, USAGE: 2, UNREACHABLE: 3, INCOMPLETE: 4 } as const;

/** Default deadline of one request (ms). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** How the commands print and what they read: the process's streams in cli.ts, captured ones in tests. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Default configuration file. */
  defaultConfig: string;
  /** Whether stdout is a terminal: colour and truncation to `columns` only then. */
  readonly tty?: boolean;
  /** Terminal width (only used when `tty`). */
  readonly columns?: number;
  /** Ask a yes/no question on the terminal (cancel-all); absent: no terminal to ask on. */
  confirm?(question: string): Promise<boolean>;
}

/** Bad arguments or configuration: exit 2. */
export class UsageError extends Error {}

/** The daemon could not be reached: exit 3. */
export class UnreachableError extends Error {}

/** Where the daemon is and how to authenticate. */
export interface DaemonTarget {
  readonly base: string;
  /** Undefined when no token could be found; `requireToken` explains. */
  readonly token: string | undefined;
  /** Why there is no token (shown when a request needs one). */
  readonly tokenProblem: string | undefined;
  /** The configuration file it came from (for the hint in errors). */
  readonly config: string;
}

/**
 * The daemon's base URL and token from the configuration: daemon.api.host and port (or `url`); the token from
 * SWITCHYARD_API_TOKEN or daemon.api.token, else the token file (relative paths from the current directory, as the
 * daemon resolves them). A missing token is not an error here: GET /health needs none.
 */
export function daemonTarget(config: string, url: string | undefined, env: NodeJS.ProcessEnv): DaemonTarget {
  const loaded = loadConfigFile(config, env);
  if (!loaded.ok) throw new UsageError(`${config}:\n${formatConfigErrors(loaded.errors)}`);
  const api = loaded.config.daemon.api;
  let base = url;
  if (base === undefined) {
    if (api.port === 0) throw new UsageError('daemon.api.port is 0 (a free port at each start): give --url');
    base = `http://${api.host.includes(':') ? `[${api.host}]` : api.host}:${api.port}`;
  } else if (!/^https?:\/\/[^/]+/.test(base)) {
    throw new UsageError(`--url must be http://HOST:PORT (got ${base})`);
  }
  let token = env.SWITCHYARD_API_TOKEN ?? api.token;
  let tokenProblem: string | undefined;
  if (token === undefined) {
    const file = resolve(process.cwd(), api.tokenFile!);
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      tokenProblem = `no API token: set SWITCHYARD_API_TOKEN or start the daemon once (it writes ${file})`;
    }
  }
  return { base: base.replace(/\/$/, ''), token, tokenProblem, config };
}

/** A response: its status and its parsed JSON body (a non-JSON body becomes an INTERNAL error body). */
export interface DaemonResponse {
  readonly status: number;
  readonly body: any;
}

/** Why fetch failed, in the words of the socket (ECONNREFUSED, ENOTFOUND...) when it says. */
function failureText(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  const c = cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof c?.code === 'string') return c.code;
  if (typeof c?.message === 'string') return c.message;
  return err instanceof Error ? err.message : String(err);
}

/** Talks to one daemon: one request at a time, each with a deadline. */
export class DaemonClient {
  constructor(readonly target: DaemonTarget, private readonly timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {}

  /**
   * One request. Throws UnreachableError when no HTTP answer comes (nothing listening, the deadline passed), and
   * UsageError when the request needs the token and there is none. An HTTP error status is an answer, not a throw.
   */
  async request(method: string, path: string, options: { body?: unknown; auth?: boolean; timeoutMs?: number } = {}): Promise<DaemonResponse> {
    const auth = options.auth ?? true;
    if (auth && this.target.token === undefined) throw new UsageError(this.target.tokenProblem ?? 'no API token');
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = `Bearer ${this.target.token!}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let text: string;
    let status: number;
    try {
      const res = await fetch(this.target.base + path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(
        `cannot reach the daemon at ${this.target.base}: ${failureText(err, timeoutMs)} — is it running? (\`switchyard start -c ${this.target.config}\`)`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: { code: 'INTERNAL', message: `not a JSON answer: ${text.slice(0, 200)}` } };
    }
    return { status, body };
  }
}

/** The error of an error answer, for people: `CODE: message` (and the hint for a refused token). */
export function errorText(r: DaemonResponse, target: DaemonTarget): string {
  const e = (r.body as { error?: { code?: unknown; message?: unknown } } | null)?.error ?? {};
  const code = String(e.code ?? `HTTP ${r.status}`);
  let message = String(e.message ?? '');
  if (message.startsWith(`${code}: `)) message = message.slice(code.length + 2); // a denial's message names its code
  const hint = r.status === 401 ? ' (the daemon refused the token: check SWITCHYARD_API_TOKEN, daemon.api.token or the token file of ' + target.config + ')' : '';
  return `${code}: ${message}${hint}`;
}

/** The exit code of an error answer: 2 for a request the daemon finds invalid (400), else 1. */
export function exitOfError(status: number): number {
  return status === 400 ? EXIT.USAGE : EXIT.REFUSED;
}
