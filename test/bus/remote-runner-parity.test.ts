/**
 * The remote runner (src/bus/remote-strategy.ts) against the worker SDK's contract (src/strategy/sdk.ts,
 * src/strategy/strategy-runtime.ts) where no daemon is needed: the shared Redis under a prefix of the test's own, the
 * commands left unanswered on their stream.
 *
 * sdk.ts: "What the daemon checks for every record anyway is not checked twice: ... a client order id in use come back
 * as a REFUSED event with that code" — a worker's submit of a client order id its open order holds answers
 * { ok: true, seq } and the seq ends with REFUSED DUPLICATE_CLIENT_ORDER_ID. The same module run remotely must see the same.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { BusKeys } from '../../src/bus/protocol.js';
import { runRemoteStrategy } from '../../src/bus/remote-strategy.js';
import type { StrategyContext, StrategyEvent } from '../../src/strategy/sdk.js';
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis-server.js';
import { pollUntil } from '../helpers/poll.js';

const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(SHARED_REDIS_URL, p);
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('remote runner: the worker SDK contract', () => {
  it('a submit of a client order id in use answers ok with a seq, then REFUSED DUPLICATE_CLIENT_ORDER_ID for it', async () => {
    const prefix = uniquePrefix('remote-dup-cid');
    prefixes.push(prefix);
    const keys = new BusKeys(prefix);
    const r = createClient({ url: SHARED_REDIS_URL });
    r.on('error', () => undefined);
    await r.connect();
    await r.set(keys.config, JSON.stringify({
      daemon: 'test',
      instruments: [{ symbol: 'BTC-USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.001', minQty: '0.001', minNotional: '5' }],
      venues: ['sim-a'],
      strategies: { rs: { symbols: ['BTC-USDT'], params: {} } },
    }));
    await r.close();

    const events: StrategyEvent[] = [];
    let ctx!: StrategyContext;
    const run = await runRemoteStrategy((c: StrategyContext) => {
      ctx = c;
      return { onEvent: (e) => void events.push(e) };
    }, { url: SHARED_REDIS_URL, keyPrefix: prefix, strategy: 'rs', handleSignals: false, log: quiet, blockMs: 200, stopTimeoutMs: 200 });
    try {
      const order = { symbol: 'BTC-USDT', side: 'BUY', price: '60000', quantity: '0.002', clientOrderId: 'dup1', tag: 3 } as const;
      expect(ctx.submit(order)).toEqual({ ok: true, seq: 1 });
      expect(ctx.submit(order)).toEqual({ ok: true, seq: 2 });
      const refused = await pollUntil(() => events.find((e) => e.seq === 2), (e) => e !== undefined, { timeoutMs: 5000, what: 'the REFUSED of seq 2' });
      expect(refused).toMatchObject({ kind: 'REFUSED', seq: 2, tag: 3, orderId: 0, code: 'DUPLICATE_CLIENT_ORDER_ID', terminal: true });
      // seq 1 is still followed (its order, by its client order id)
      expect(events.filter((e) => e.seq === 1)).toEqual([]);
    } finally {
      await run.stop();
    }
  }, 20_000);
});
