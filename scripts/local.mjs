#!/usr/bin/env node
/**
 * `npm run local`: the fake Binance and fake OKX of test/venues (dist/test/venues/main.js, as `npm run venues`) and a
 * daemon on config/local-venues.yaml wired to them — the nine LOCAL_* variables that config reads (each venue's REST
 * and WS port, the keys the fakes accept) are set here from the fakes' own JSON line, never by the user — then prints
 * where the API and the status page are, and stops everything on Ctrl-C (the daemon first, so that its shutdown
 * policy can cancel at the venues, then the fakes).
 *
 * Options: --json (JSON log lines; default: pretty lines on a terminal, JSON otherwise).
 * Environment (optional): SWITCHYARD_API_PORT (default 7480; 0 = any free port), SWITCHYARD_DATA_DIR (default
 * .switchyard/local-venues: journal and the generated token file), SWITCHYARD_API_TOKEN (else the token file),
 * FAKE_BINANCE_PORT / FAKE_OKX_PORT (default: free ports).
 *
 * Prints, once everything is up (a test waits for the `api` line):
 *   switchyard local: api http://127.0.0.1:7480
 *   switchyard local: page http://127.0.0.1:7480/
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STOP_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 60_000;

const args = process.argv.slice(2);
for (const a of args) {
  if (a !== '--json') {
    process.stderr.write(`usage: npm run local [-- --json]\n`);
    process.exit(2);
  }
}
const pretty = !args.includes('--json') && process.stdout.isTTY === true;

const say = (line) => process.stdout.write(`switchyard local: ${line}\n`);

for (const f of ['dist/src/cli.js', 'dist/test/venues/main.js']) {
  if (!existsSync(join(root, f))) {
    process.stderr.write(`switchyard local: ${f} is missing: run npm run build (npm run local does it first)\n`);
    process.exit(1);
  }
}

/** A child in its own process group: the terminal's Ctrl-C reaches only this script, which stops them in order. */
function child(argv, env, stdout) {
  const c = spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', stdout, 'pipe'], detached: true });
  c.exitInfo = undefined;
  c.exited = new Promise((res) => c.once('exit', (code, signal) => res((c.exitInfo = { code, signal }))));
  return c;
}

/** Lines of a stream, each handed to `onLine` (and echoed to `echo` when given). */
function lines(stream, onLine, echo) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    if (echo !== undefined) echo.write(chunk);
    const parts = (rest + chunk).split('\n');
    rest = parts.pop();
    for (const p of parts) onLine(p);
  });
}

/** SIGTERM, then SIGKILL when it has not exited after STOP_TIMEOUT_MS. */
async function stopChild(c) {
  if (c === undefined || c.exitInfo !== undefined) return;
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.exitInfo === undefined && c.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await c.exited;
  clearTimeout(timer);
}

let venues;
let daemon;
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await stopChild(daemon);
  await stopChild(venues);
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
process.on('SIGHUP', () => void stopAll(0));
// the children are in their own process groups: never leave them behind
process.on('exit', () => {
  for (const c of [daemon, venues]) if (c !== undefined && c.exitInfo === undefined) c.kill('SIGKILL');
});

function waitFor(what, probe) {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${what}: nothing after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    probe((value) => {
      clearTimeout(timer);
      res(value);
    }, (err) => {
      clearTimeout(timer);
      rej(err);
    });
  });
}

async function main() {
  venues = child(['dist/test/venues/main.js'], { ...process.env }, 'pipe');
  lines(venues.stderr, () => undefined, process.stderr);
  const endpoints = await waitFor('the fake venues', (ok, fail) => {
    lines(venues.stdout, (line) => {
      try {
        ok(JSON.parse(line));
      } catch {
        // not the endpoints line
      }
    });
    void venues.exited.then((e) => fail(new Error(`the fake venues exited (${JSON.stringify(e)})`)));
  });
  const { binance, okx } = endpoints;
  const binancePort = new URL(binance.rest).port;
  const okxPort = new URL(okx.rest).port;
  say(`fake Binance on http://127.0.0.1:${binancePort}, fake OKX on http://127.0.0.1:${okxPort}`);

  const dataDir = process.env.SWITCHYARD_DATA_DIR ?? '.switchyard/local-venues';
  const env = {
    ...process.env,
    LOCAL_BINANCE_REST_PORT: binancePort,
    LOCAL_BINANCE_WS_PORT: binancePort,
    LOCAL_BINANCE_API_KEY: binance.apiKey,
    LOCAL_BINANCE_API_SECRET: binance.secret,
    LOCAL_OKX_REST_PORT: okxPort,
    LOCAL_OKX_WS_PORT: okxPort,
    LOCAL_OKX_API_KEY: okx.apiKey,
    LOCAL_OKX_API_SECRET: okx.secret,
    LOCAL_OKX_PASSPHRASE: okx.passphrase,
    SWITCHYARD_API_PORT: process.env.SWITCHYARD_API_PORT ?? '7480',
    SWITCHYARD_DATA_DIR: dataDir,
  };
  daemon = child(['dist/src/cli.js', 'start', '-c', 'config/local-venues.yaml', ...(pretty ? ['--pretty'] : [])], env, 'inherit');
  const address = await waitFor('the daemon', (ok, fail) => {
    lines(daemon.stderr, (line) => {
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(line);
      if (m !== null) ok(m[1]);
    }, process.stderr);
    void daemon.exited.then((e) => fail(new Error(`the daemon exited (${JSON.stringify(e)})`)));
  });
  void venues.exited.then((e) => {
    if (!stopping) {
      process.stderr.write(`switchyard local: the fake venues exited (${JSON.stringify(e)}): stopping\n`);
      void stopAll(1);
    }
  });
  void daemon.exited.then((e) => {
    if (!stopping) {
      process.stderr.write(`switchyard local: the daemon exited (${JSON.stringify(e)}): stopping\n`);
      void stopAll(1);
    }
  });
  say(`api ${address}`);
  say(`page ${address}/`);
  say(process.env.SWITCHYARD_API_TOKEN
    ? 'token: $SWITCHYARD_API_TOKEN (from your environment)'
    : `token: in ${resolve(root, dataDir, 'api-token')}`);
  say('Ctrl-C stops the daemon, then the fake venues');
}

main().catch((err) => {
  process.stderr.write(`switchyard local: ${err instanceof Error ? err.message : String(err)}\n`);
  void stopAll(1);
});
