#!/usr/bin/env node
/**
 * The `switchyard` command: start the daemon, check a configuration, read a journal, export the history, and the
 * commands against a running daemon (orders, positions, balances, status and the admin verbs, src/cli/). The usage
 * text below lists every verb; the README's "Command line" section documents them with their exit codes.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { checkConfigFile, formatConfigErrors, loadConfigFile } from './config/index.js';
import { createDaemon } from './daemon.js';
import { SwitchyardError } from './model/errors.js';
import { runJournalCli } from './journal/tools.js';
import { recordDescriber } from './journal/describe-record.js';
import { EXPORT_USAGE, runExportCli } from './history/export-cli.js';
import { ADMIN_USAGE, runAdminCli } from './cli/admin-commands.js';
import type { CliIo } from './cli/daemon-client.js';
import { ORDERS_USAGE, runOrdersCli } from './cli/order-commands-cli.js';
import { runViewCli, VIEW_USAGE } from './cli/view-commands.js';
import { prettyDestination } from './telemetry/logger.js';

const USAGE = `usage:
  switchyard start [-c FILE] [--accept-removed] [--pretty]
                                    start the daemon (default config/paper.yaml); --accept-removed: cancel the
                                    open orders and drop the positions of strategies, instruments and venues
                                    removed from the configuration (JOURNAL_CONFIG_MISMATCH); --pretty: human log
                                    lines (as daemon.log.format: pretty) instead of JSON
  switchyard check-config FILE      check a configuration as start would (the file, its strategy and enhancer
                                    modules, the folders the daemon writes); prints OK or every error as
                                    file:line:column key.path: message; exit 0 OK, 1 invalid, 2 usage
  switchyard journal verify|inspect|replay PATH [--from SEQ] [--limit N]
                                    check, print or replay a journal (a journal directory or one segment file):
                                    records by name with decimal prices and quantities; exit 0 clean, 1 torn
                                    tail (verify), 2 corrupt, 3 unreadable or bad arguments
${EXPORT_USAGE}

commands against a running daemon (each takes -c FILE (default config/paper.yaml) for its address and token, --url URL,
--json for scripts; exit 0 ok, 1 the daemon refused, 2 usage, 3 the daemon cannot be reached, 4 done but not all well):
${ORDERS_USAGE}
${VIEW_USAGE}
${ADMIN_USAGE}

  switchyard version                print the version`;

/** The process's streams for the daemon commands: a terminal gets tables fitted to its width, colour and questions. */
function processIo(): CliIo {
  const tty = process.stdout.isTTY === true;
  // `switchyard orders list --all | head`: the reader went away; stop quietly instead of a stack trace
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    env: process.env,
    defaultConfig: 'config/paper.yaml',
    tty,
    columns: process.stdout.columns,
    ...(tty && process.stdin.isTTY === true
      ? {
          confirm: async (question: string): Promise<boolean> => {
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            try {
              return /^(y|yes)$/i.test((await rl.question(question)).trim());
            } finally {
              rl.close();
            }
          },
        }
      : {}),
  };
}

function version(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [resolve(here, '../package.json'), resolve(here, '../../package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'switchyard') return pkg.version ?? '0.0.0';
    } catch {
      // try the next location (source tree or dist/)
    }
  }
  return '0.0.0';
}

async function start(file: string, acceptRemoved: boolean, pretty: boolean): Promise<number> {
  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    process.stderr.write(formatConfigErrors(loaded.errors) + '\n');
    return 2;
  }
  let daemon;
  try {
    daemon = createDaemon(loaded.config, {
      configDir: dirname(loaded.file),
      configFile: loaded.file,
      acceptRemoved,
      // --pretty: JSON lines through pino-pretty to stdout (a config that already says pretty needs no second pass)
      ...(pretty && loaded.config.daemon.log.format !== 'pretty' ? { logDestination: prettyDestination(1) } : {}),
      // where to find the token, never the token itself (terminal output ends up in journald and CI logs)
      onTokenGenerated: (_token, tokenFile) => {
        process.stderr.write(`switchyard: generated an API token: read it from ${tokenFile} (mode 0600)\n`);
      },
    });
  } catch (err) {
    process.stderr.write(`switchyard: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  // Signals count from the first moment: the handlers are in place before the start (the API may answer /health
  // before start() resolves). The first SIGINT/SIGTERM stops the daemon gracefully — a start in progress finishes
  // its current step, skips the rest, then the shutdown policy runs (Daemon.start) — and the exit code is 0; a
  // second one is not caught (the default action ends the process at once).
  let signalled: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    signalled = daemon.stop(signal);
    wakeOnSignal();
  };
  let wakeOnSignal: () => void = () => undefined;
  const onHangup = (): void => {
    const r = daemon.reload();
    process.stderr.write(r.ok ? 'switchyard: configuration reloaded\n' : `switchyard: reload refused:\n  ${r.errors.join('\n  ')}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  const removeHandlers = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
  };
  let address: { host: string; port: number };
  try {
    address = await daemon.start();
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`switchyard: could not start: ${e.code !== undefined ? `${e.code}: ` : ''}${e.message}\n`);
    await daemon.stop('start failed').catch(() => undefined);
    removeHandlers();
    return 1;
  }
  if (signalled === undefined) {
    const { host, port } = address;
    process.stderr.write(`switchyard: listening on http://${host}:${port} (config ${file})\n`);
    await new Promise<void>((resolveStop) => {
      wakeOnSignal = resolveStop;
    });
  }
  await signalled;
  removeHandlers();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'start': {
      let file = 'config/paper.yaml';
      let acceptRemoved = false;
      let pretty = false;
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if ((a === '-c' || a === '--config') && rest[i + 1] !== undefined) file = rest[++i]!;
        else if (a === '--accept-removed') acceptRemoved = true;
        else if (a === '--pretty') pretty = true;
        else {
          process.stderr.write(`switchyard: unexpected argument "${a}"\n${USAGE}\n`);
          return 2;
        }
      }
      return start(file, acceptRemoved, pretty);
    }
    case 'check-config': {
      if (rest.length !== 1) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
      }
      const r = checkConfigFile(rest[0]!);
      (r.ok ? process.stdout : process.stderr).write(r.output + '\n');
      return r.ok ? 0 : 1;
    }
    case 'journal':
      return runJournalCli(rest, (line) => process.stdout.write(line + '\n'), (line) => process.stderr.write(line + '\n'), recordDescriber());
    case 'export':
      return runExportCli(rest, {
        write: (text) => process.stdout.write(text),
        drained: () => new Promise((resolve) => process.stdout.once('drain', resolve)),
        error: (line) => process.stderr.write(line + '\n'),
      });
    case 'kill':
    case 'halt':
    case 'reduce':
    case 'resume':
    case 'state':
      return runAdminCli(verb, rest, processIo());
    case 'orders':
      return runOrdersCli(rest, processIo());
    case 'positions':
    case 'balances':
    case 'status':
      return runViewCli(verb, rest, processIo());
    case 'version':
    case '--version':
      process.stdout.write(`switchyard ${version()}\n`);
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return verb === undefined || verb === 'help' || verb === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof SwitchyardError ? `${err.code}: ${err.message}` : err instanceof Error ? err.stack : String(err);
    process.stderr.write(`switchyard: ${message}\n`);
    process.exitCode = 1;
  },
);
