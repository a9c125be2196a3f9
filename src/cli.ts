#!/usr/bin/env node
/**
 * switchyard start -c FILE | check-config FILE | version
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfigFile, formatConfigErrors, loadConfigFile } from './config/index.js';
import { createDaemon } from './daemon.js';
import { SwitchyardError } from './model/errors.js';
import { runJournalCli } from './journal/tools.js';
import { recordDescriber } from './journal/describe-record.js';
import { EXPORT_USAGE, runExportCli } from './history/export-cli.js';
import { ADMIN_USAGE, runAdminCli } from './cli/admin-commands.js';

const USAGE = `usage:
  switchyard start [-c FILE] [--accept-removed]
                                    start the daemon (default config/paper.yaml); --accept-removed: cancel the
                                    open orders and drop the positions of strategies, instruments and venues
                                    removed from the configuration (JOURNAL_CONFIG_MISMATCH)
  switchyard check-config FILE      validate a configuration file; prints OK or every error
  switchyard journal verify|inspect|replay PATH [--from SEQ] [--limit N]
                                    check, print or replay a journal (a journal directory or one segment file)
${EXPORT_USAGE}
${ADMIN_USAGE}
  switchyard version                print the version`;

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

async function start(file: string, acceptRemoved: boolean): Promise<number> {
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
      onTokenGenerated: (token, tokenFile) => {
        process.stderr.write(`switchyard: generated API token ${token} (saved to ${tokenFile}, mode 0600)\n`);
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
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if ((a === '-c' || a === '--config') && rest[i + 1] !== undefined) file = rest[++i]!;
        else if (a === '--accept-removed') acceptRemoved = true;
        else {
          process.stderr.write(`switchyard: unexpected argument "${a}"\n${USAGE}\n`);
          return 2;
        }
      }
      return start(file, acceptRemoved);
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
      return runAdminCli(verb, rest, {
        out: (line) => process.stdout.write(line + '\n'),
        err: (line) => process.stderr.write(line + '\n'),
        env: process.env,
        defaultConfig: 'config/paper.yaml',
      });
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
