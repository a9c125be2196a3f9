/**
 * Account balances from the venues' own answers (native adapters and ccxt's raw `info` alike), as canonical decimal
 * texts: never through a float. Binance GET /api/v3/account: balances[{asset, free, locked}] (total = free +
 * locked). OKX GET /api/v5/account/balance: data[0].details[{ccy, availBal, frozenBal, cashBal, eq}] (a spot cash
 * account: total = cashBal, else eq, else availBal + frozenBal; free = availBal, else total - frozenBal).
 */
import type { VenueBalance } from '../../src/execution/venue.js';

export type { VenueBalance } from '../../src/execution/venue.js';
import { addDecimal, decimalText, negDecimal } from '../../src/model/decimal.js';

type Json = Record<string, unknown>;

export function binanceBalances(account: unknown): Map<string, VenueBalance> {
  const out = new Map<string, VenueBalance>();
  const list = (account as Json | null)?.['balances'];
  if (!Array.isArray(list)) throw new Error('binance account: no balances in the answer');
  for (const b of list as Json[]) {
    const asset = b['asset'];
    const free = decimalText(b['free']);
    const locked = decimalText(b['locked']);
    if (typeof asset !== 'string' || free === undefined || locked === undefined) continue;
    out.set(asset, { free, total: addDecimal(free, locked) });
  }
  return out;
}

/** `data` of the answer (the array), or the answer itself when it is that array. */
export function okxBalances(data: unknown): Map<string, VenueBalance> {
  const out = new Map<string, VenueBalance>();
  const rows = Array.isArray(data) ? data : (data as Json | null)?.['data'];
  if (!Array.isArray(rows)) throw new Error('okx account/balance: no data in the answer');
  for (const account of rows as Json[]) {
    const details = account['details'];
    if (!Array.isArray(details)) continue;
    for (const d of details as Json[]) {
      const ccy = d['ccy'];
      if (typeof ccy !== 'string') continue;
      const avail = decimalText(d['availBal']);
      const frozen = decimalText(d['frozenBal']);
      const total = decimalText(d['cashBal']) ?? decimalText(d['eq']) ?? (avail !== undefined && frozen !== undefined ? addDecimal(avail, frozen) : undefined);
      if (total === undefined) continue;
      const free = avail ?? (frozen !== undefined ? addDecimal(total, negDecimal(frozen)) : total);
      out.set(ccy, { free, total });
    }
  }
  return out;
}
