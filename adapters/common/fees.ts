/**
 * Fees, one definition per venue. Every path of every adapter (REST answers and polls, ccxt pro streams, native
 * websockets, fillsSince) turns what the venue says about a trade's fee into the same {amount, currency} with
 * one sign convention: positive = paid, negative = rebate, the amount in the fee's own currency, exact text.
 *
 *  - Binance: `commission` + `commissionAsset` (REST fills, myTrades) or `n` + `N` (executionReport). Binance
 *    reports the commission charged as a positive number; the asset is BNB (when paying in BNB) or the asset
 *    received (base for a buy, quote for a sell). A zero commission may come without an asset.
 *  - OKX: `fee` + `feeCcy` (REST orders and fills) or `fillFee` + `fillFeeCcy` (`orders` channel). OKX reports a
 *    charge as a NEGATIVE number and a rebate as a positive one: negated here.
 *  - ccxt: its unified `fee.cost` is not the same on every path (ccxt's OKX REST parser negates the venue's sign,
 *    its pro `orders` parser passes `fillFee` through unchanged, and both go through floats), so for Binance and
 *    OKX the adapter reads the venue's own fields from the trade's raw `info` with the functions below; only
 *    other exchanges fall back to ccxt's unified fee (ccxt's convention: positive = paid).
 *
 * Only when the venue reports no fee at all is one estimated from the configured bps, in the quote currency,
 * and the fill says so (`feeEstimated`).
 */
import { decimalText, feeText, isZeroDecimal, negDecimal } from '../../src/model/decimal.js';
import type { Instrument } from '../../src/model/instrument.js';

/** A fee as the venue stated it: positive = paid, negative = rebate; amount in `currency` (decimal text). */
export interface TradeFee {
  readonly amount: string;
  readonly currency: string;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * The fee from an amount and a currency in the venue's sign convention (`charged` = the sign of a charge).
 * A zero amount without a currency is a zero fee (Binance sends `N: null` with `n: "0"`): in the quote currency,
 * where any currency would do.
 */
function venueFee(amount: unknown, currency: unknown, charged: 1 | -1, inst: Instrument): TradeFee | undefined {
  const a = decimalText(amount);
  if (a === undefined) return undefined;
  const c = nonEmpty(currency);
  if (c === undefined) return isZeroDecimal(a) ? { amount: '0', currency: inst.quote } : undefined;
  return { amount: charged === 1 || isZeroDecimal(a) ? a : negDecimal(a), currency: c };
}

/** Binance: commission is positive when charged. */
export function binanceFee(commission: unknown, asset: unknown, inst: Instrument): TradeFee | undefined {
  return venueFee(commission, asset, 1, inst);
}

/** OKX: a charged fee is negative, a rebate positive (OKX's convention): negated. */
export function okxFee(fee: unknown, currency: unknown, inst: Instrument): TradeFee | undefined {
  return venueFee(fee, currency, -1, inst);
}

/** The parts of a ccxt trade the fee is read from. */
export interface CcxtFeeSource {
  readonly fee?: { cost?: number | undefined; currency?: string | undefined } | undefined;
  readonly info?: Record<string, unknown> | undefined;
}

/**
 * A ccxt trade's fee, by exchange id. Binance and OKX: the venue's own fields in `info` (whatever ccxt path the
 * trade came through: REST fills, myTrades, order answers, pro streams). Others: ccxt's unified fee.
 */
export function ccxtTradeFee(exchangeId: string, t: CcxtFeeSource, inst: Instrument): TradeFee | undefined {
  const info = t.info ?? {};
  if (exchangeId === 'binance') {
    if ('commission' in info) return binanceFee(info['commission'], info['commissionAsset'], inst);
    if ('n' in info) return binanceFee(info['n'], info['N'], inst);
    return undefined;
  }
  if (exchangeId === 'okx') {
    // The orders channel carries both the order's accumulated `fee` and this fill's `fillFee`: the fill's own wins.
    if ('fillFee' in info) return okxFee(info['fillFee'], info['fillFeeCcy'], inst);
    if ('fee' in info) return okxFee(info['fee'], info['feeCcy'], inst);
    return undefined;
  }
  return venueFee(t.fee?.cost, t.fee?.currency, 1, inst);
}

/** Configured fees, used only for a trade whose venue reported no fee. */
export interface FeeRates {
  readonly makerBps: string;
  readonly takerBps: string;
}

/** The fee a FILL carries: the venue's (in its own currency), or an estimate in quote when the venue gave none. */
export interface FillFee {
  readonly fee: string;
  readonly feeCurrency: string;
  readonly feeEstimated: boolean;
}

/**
 * The one rule for the fee of a fill, used by every report path and by fillsSince: the venue's fee as it stated
 * it (never converted with a price); the bps estimate in quote only when the venue reported none.
 */
export function fillFee(
  fee: TradeFee | undefined,
  liquidity: 'MAKER' | 'TAKER',
  inst: Instrument,
  priceTicks: number,
  qtyLots: number,
  rates: FeeRates,
): FillFee {
  if (fee !== undefined) {
    const amount = decimalText(fee.amount);
    if (amount !== undefined && fee.currency !== '') return { fee: amount, feeCurrency: fee.currency, feeEstimated: false };
  }
  return {
    fee: feeText(inst.tick, inst.lot, priceTicks, qtyLots, liquidity === 'MAKER' ? rates.makerBps : rates.takerBps),
    feeCurrency: inst.quote,
    feeEstimated: true,
  };
}
