/**
 * Local fake venues for tests, benchmarks and end-to-end runs: fake Binance spot and fake OKX spot on 127.0.0.1,
 * speaking the real protocols closely enough that unmodified ccxt works, matching with the crossing engine.
 * See fake-binance.ts, fake-okx.ts, fake-server.ts (admin API) and faults.ts (fault injection).
 */
import { type FakeBinance, type FakeBinanceOptions, startFakeBinance } from './fake-binance.js';
import { type FakeOkx, type FakeOkxOptions, startFakeOkx } from './fake-okx.js';

export * from './fake-binance.js';
export * from './fake-okx.js';
export type { FaultKind, FaultPatch, FaultRule, FaultState } from './faults.js';
export type { FillView, OrderFilter, OrderView, TakerRequest } from './fake-server.js';
export type { AccountSpec, FeeRates, InstrumentSpec, LadderSpec } from './venue-core.js';

export interface FakeVenues {
  binance: FakeBinance;
  okx: FakeOkx;
  /** What main.ts prints: URLs and 'main' credentials per venue, plus the 'other' account's credentials. */
  endpoints(): FakeVenuesLine;
  close(): Promise<void>;
}

export interface FakeVenuesLine {
  binance: FakeBinance['endpoints'] & { other: { apiKey: string; secret: string } };
  okx: FakeOkx['endpoints'] & { other: { apiKey: string; secret: string; passphrase: string } };
}

/** Starts both fakes (ports from the options, else free ones). */
export async function startFakeVenues(options: { binance?: FakeBinanceOptions; okx?: FakeOkxOptions } = {}): Promise<FakeVenues> {
  const binance = await startFakeBinance(options.binance);
  let okx: FakeOkx;
  try {
    okx = await startFakeOkx(options.okx);
  } catch (err) {
    await binance.close();
    throw err;
  }
  return {
    binance,
    okx,
    endpoints: () => ({
      binance: { ...binance.endpoints, other: binance.account('other') },
      okx: { ...okx.endpoints, other: okx.account('other') },
    }),
    close: async () => {
      await Promise.all([binance.close(), okx.close()]);
    },
  };
}

/**
 * The environment config/local-venues.yaml reads: the fakes' ports and the credentials of one of their accounts
 * ('main', or 'other': another API key, another account at the same exchange).
 */
export function localVenuesEnv(fakes: FakeVenues, account: 'main' | 'other' = 'main'): Record<string, string> {
  const ep = fakes.endpoints();
  const b = account === 'main' ? ep.binance : ep.binance.other;
  const o = account === 'main' ? ep.okx : ep.okx.other;
  return {
    LOCAL_BINANCE_API_KEY: b.apiKey,
    LOCAL_BINANCE_API_SECRET: b.secret,
    LOCAL_OKX_API_KEY: o.apiKey,
    LOCAL_OKX_API_SECRET: o.secret,
    LOCAL_OKX_PASSPHRASE: o.passphrase,
    LOCAL_BINANCE_REST_PORT: String(fakes.binance.port),
    LOCAL_BINANCE_WS_PORT: String(fakes.binance.port),
    LOCAL_OKX_REST_PORT: String(fakes.okx.port),
    LOCAL_OKX_WS_PORT: String(fakes.okx.port),
  };
}
