/**
 * The frame of one daemon command: parse, find the daemon, run, and turn what went wrong into the documented exit
 * code with one line on stderr (`switchyard VERB: ...`). With --json an error answer's body also goes to stdout, so a
 * script reads the daemon's code from the same place as a result.
 */
import { parseArgs, type FlagSpec, type ParsedArgs } from './args.js';
import { DaemonClient, daemonTarget, errorText, EXIT, exitOfError, UnreachableError, UsageError, type CliIo, type DaemonResponse } from './daemon-client.js';
import { tableStyle, type TableStyle } from './tables.js';

export interface CommandContext {
  readonly name: string;
  readonly args: ParsedArgs;
  readonly client: DaemonClient;
  readonly io: CliIo;
  readonly style: TableStyle;
  /** Report an error answer: the line on stderr (and the body on stdout with --json); returns its exit code. */
  fail(r: DaemonResponse): number;
}

/**
 * Run `body` as command `name` (e.g. "orders list"): usage errors exit 2, an unreachable daemon 3, each with its
 * message on stderr. `timeoutMs`: the request deadline (default DaemonClient's).
 */
export async function runCommand(
  name: string,
  argv: readonly string[],
  spec: FlagSpec,
  io: CliIo,
  body: (ctx: CommandContext) => Promise<number>,
  timeoutMs?: (args: ParsedArgs) => number | undefined,
): Promise<number> {
  try {
    const args = parseArgs(argv, spec, io.defaultConfig);
    const target = daemonTarget(args.config, args.url, io.env);
    const client = new DaemonClient(target, timeoutMs?.(args));
    const fail = (r: DaemonResponse): number => {
      if (args.json) io.out(JSON.stringify(r.body));
      io.err(`switchyard ${name}: ${errorText(r, target)}`);
      return exitOfError(r.status);
    };
    return await body({ name, args, client, io, style: tableStyle(io), fail });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`switchyard ${name}: ${err.message}`);
      return EXIT.USAGE;
    }
    if (err instanceof UnreachableError) {
      io.err(`switchyard ${name}: ${err.message}`);
      return EXIT.UNREACHABLE;
    }
    throw err;
  }
}
