/**
 * `switchyard journal inspect` and `replay` speak names: strategy, symbol, side, venue, decimal price and quantity
 * (the instrument's tick and lot size from the journal's NAMES table), record types by name — also from `--from SEQ`
 * past the NAMES record and the order's ORDER record — and the exit codes the README documents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordDescriber } from '../../src/journal/describe-record.js';
import { runJournalCli } from '../../src/journal/tools.js';
import { newOrderFields } from '../helpers/model.js';
import { collect } from './helpers.js';
import { dispatch, journaledRig } from './order-rig.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A journal: NAMES, then a SELL of 0.015 ETH at 3000.05 by beta sent to v2, filled 0.005 at 3000.10, and a BUY. */
async function tradedJournal(): Promise<{ dir: string; sell: number; buy: number }> {
  const { r, journal, dir } = await journaledRig('tools-names-', cleanups);
  const sell = r.ids.next();
  r.tracker.create(sell, newOrderFields(r.store, { strategy: 'beta', symbol: 'ETH-USDT', side: 'SELL', type: 'LIMIT', priceTicks: 60001, qtyLots: 15 }));
  const slot = r.store.slotOf(sell);
  dispatch(r, slot, 'v2');
  r.tracker.applySlot(slot, { kind: 'ACCEPT', venueOrderId: 'X1' });
  r.tracker.applySlot(slot, {
    kind: 'FILL',
    fill: { orderId: sell, tradeId: 't1', venue: 'v2', priceTicks: 60002, qtyLots: 5, fee: '0.01', feeCurrency: 'USDT', liquidity: 'MAKER', ts: 1, venueTs: 0 },
  });
  const buy = r.ids.next();
  r.tracker.create(buy, newOrderFields(r.store, { strategy: 'alpha', symbol: 'BTC-USDT', side: 'BUY', type: 'LIMIT', priceTicks: 6_000_000, qtyLots: 1000 }));
  await journal.close();
  return { dir, sell, buy };
}

function run(argv: string[]): { code: number; lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = runJournalCli(argv, (l) => lines.push(l), (l) => errors.push(l), recordDescriber());
  return { code, lines, errors };
}

describe('journal inspect speaks names', () => {
  it('strategy, symbol, side, venue, decimal price and quantity, record types by name', async () => {
    const { dir, sell, buy } = await tradedJournal();
    const { code, lines } = run(['inspect', dir]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^seq=1 type=NAMES len=\d+ NAMES /);
    const order = lines.find((l) => l.includes(`ORDER ${sell} `))!;
    expect(order).toMatch(new RegExp(`^seq=\\d+ type=ORDER len=\\d+ ORDER ${sell} beta ETH-USDT SELL LIMIT 0\\.015 @ 3000\\.05 GTC \\{`));
    const fields = JSON.parse(order.slice(order.indexOf('{'))) as Record<string, unknown>;
    expect(fields).toMatchObject({ strategy: 'beta', symbol: 'ETH-USDT', side: 'SELL', type: 'LIMIT', tif: 'GTC', price: '3000.05', qty: '0.015', priceTicks: 60001, qtyLots: 15 });
    const submit = lines.find((l) => l.includes(`UPDATE order ${sell} SUBMIT`))!;
    expect(submit).toContain('"venue":"v2"');
    const fill = lines.find((l) => l.includes(`UPDATE order ${sell} FILL`))!;
    expect(fill).toMatch(/^seq=\d+ type=UPDATE /);
    const f = (JSON.parse(fill.slice(fill.indexOf('{'))) as { fill: Record<string, unknown>; symbol: string }).fill;
    expect(f).toMatchObject({ venue: 'v2', price: '3000.10', qty: '0.005', priceTicks: 60002, qtyLots: 5, liquidity: 'MAKER' });
    expect(lines.find((l) => l.includes(`ORDER ${buy} `))).toContain(`ORDER ${buy} alpha BTC-USDT BUY LIMIT 0.01000 @ 60000.00 GTC`);
  });

  it('from SEQ past the NAMES and ORDER records still names them (learnt from the records before)', async () => {
    const { dir, sell } = await tradedJournal();
    const all = collect(dir).records;
    const fillSeq = all.find((x) => x.type === 2 && run(['inspect', dir]).lines.some((l) => l.startsWith(`seq=${x.seq} `) && l.includes(' FILL ')))!.seq;
    const { code, lines } = run(['inspect', dir, '--from', String(fillSeq), '--limit', '1']);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`UPDATE order ${sell} FILL`);
    expect(lines[0]).toContain('"price":"3000.10"');
    expect(lines[0]).toContain('"venue":"v2"');
    // control: without the records before, the same line has no names and no decimals
    const bare: string[] = [];
    runJournalCli(['inspect', dir, '--from', String(fillSeq), '--limit', '1'], (l) => bare.push(l), () => undefined, (t, p) => recordDescriber()(t, p));
    expect(bare[0]).toContain('"venue":"#1"');
    expect(bare[0]).not.toContain('"price"');
  });

  it('replay counts per record type by name and prints the name table', async () => {
    const { dir } = await tradedJournal();
    const { code, lines } = run(['replay', dir]);
    expect(code).toBe(0);
    expect(lines).toContain('  NAMES: 1');
    expect(lines).toContain('  ORDER: 2');
    expect(lines.some((l) => /^ {2}UPDATE: \d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}\d+: /.test(l) || l.startsWith('  type '))).toBe(false);
    expect(lines.find((l) => l.startsWith('names: '))).toBe('names: strategies alpha, beta; instruments BTC-USDT (tick 0.01, lot 0.00001), ETH-USDT (tick 0.05, lot 0.001), SOL-USDT (tick 0.001, lot 0.01); venues v1, v2');
  });

  it('exit codes as documented: 0 clean, 3 unreadable or bad arguments', async () => {
    const { dir } = await tradedJournal();
    expect(run(['verify', dir]).code).toBe(0);
    expect(run(['inspect', `${dir}/missing`]).code).toBe(3);
    expect(run(['replay', `${dir}/missing`]).code).toBe(3);
    expect(run(['inspect', dir, '--limit', 'x']).code).toBe(3);
    expect(run(['verify', dir, '--from', '1']).code).toBe(3);
    expect(run(['inspect']).code).toBe(3);
  });
});
