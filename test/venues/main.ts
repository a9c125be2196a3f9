/**
 * Starts the fake Binance and fake OKX on 127.0.0.1 and prints ONE JSON line (see FakeVenuesLine in index.ts):
 *   {"binance":{"rest":"http://127.0.0.1:P/api/v3","v1":…,"ws":"ws://127.0.0.1:P/ws","wsApi":"ws://127.0.0.1:P/ws-api/v3",
 *               "admin":"http://127.0.0.1:P/__admin","apiKey":…,"secret":…,"other":{…}},
 *    "okx":{"rest":"http://127.0.0.1:Q","ws":"ws://127.0.0.1:Q/ws/v5","wsPrivate":…,"wsPublic":…,"admin":…,
 *           "apiKey":…,"secret":…,"passphrase":…,"other":{…}}}
 * then runs until SIGINT / SIGTERM.
 *
 * Environment (all optional):
 *   FAKE_BINANCE_PORT, FAKE_OKX_PORT                      fixed ports (default: free ones)
 *   FAKE_BINANCE_API_KEY, FAKE_BINANCE_SECRET             fixed credentials of the 'main' account
 *   FAKE_OKX_API_KEY, FAKE_OKX_SECRET, FAKE_OKX_PASSPHRASE
 *   FAKE_VENUES_OPTIONS  JSON {"binance": {...FakeBinanceOptions}, "okx": {...FakeOkxOptions}} (ladders, rateLimits, …)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_BALANCES, type FakeBinanceOptions } from './fake-binance.js';
import type { FakeOkxOptions } from './fake-okx.js';
import { startFakeVenues } from './index.js';

function port(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number`);
  return n;
}

function rnd(n: number): string {
  return randomBytes(n).toString('hex');
}

async function main(): Promise<void> {
  const extra = JSON.parse(process.env.FAKE_VENUES_OPTIONS ?? '{}') as { binance?: FakeBinanceOptions; okx?: FakeOkxOptions };
  const env = process.env;
  const binance: FakeBinanceOptions = { ...(extra.binance ?? {}), port: port('FAKE_BINANCE_PORT') ?? extra.binance?.port };
  if (binance.accounts === undefined && (env.FAKE_BINANCE_API_KEY || env.FAKE_BINANCE_SECRET)) {
    binance.accounts = [
      { name: 'main', apiKey: env.FAKE_BINANCE_API_KEY || rnd(32), secret: env.FAKE_BINANCE_SECRET || rnd(32), balances: DEFAULT_BALANCES },
      { name: 'other', apiKey: rnd(32), secret: rnd(32), unlimited: true },
    ];
  }
  const okx: FakeOkxOptions = { ...(extra.okx ?? {}), port: port('FAKE_OKX_PORT') ?? extra.okx?.port };
  if (okx.accounts === undefined && (env.FAKE_OKX_API_KEY || env.FAKE_OKX_SECRET || env.FAKE_OKX_PASSPHRASE)) {
    okx.accounts = [
      {
        name: 'main',
        apiKey: env.FAKE_OKX_API_KEY || randomUUID(),
        secret: env.FAKE_OKX_SECRET || rnd(16).toUpperCase(),
        passphrase: env.FAKE_OKX_PASSPHRASE || `Pass${rnd(6)}`,
        balances: DEFAULT_BALANCES,
      },
      { name: 'other', apiKey: randomUUID(), secret: rnd(16).toUpperCase(), passphrase: `Pass${rnd(6)}`, unlimited: true },
    ];
  }
  const venues = await startFakeVenues({ binance, okx });
  process.stdout.write(`${JSON.stringify(venues.endpoints())}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    venues.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake venues failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
