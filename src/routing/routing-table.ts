/**
 * The 256-slot routing table of one symbol: slot -> venue index.
 *
 * Each venue gets a number of slots proportional to its YAML weight, by largest-remainder apportionment of 256
 * (exact arithmetic, so equal quotas tie exactly and the tie-break is deterministic: larger remainder first,
 * then lower venue index). The slots are interleaved in smooth weighted round-robin order, not laid out in
 * contiguous blocks, so neighbouring slots (nearby quantities) spread over the venues.
 * Built once at start or reload; nothing here is on the hot path.
 */
import { decimalTextFromNumber, parseDecimal } from '../model/decimal.js';

export const SLOT_COUNT = 256;

/** Venue indices are stored in a Uint8Array, so at most 256 venues. */
export const MAX_VENUES = 256;

/** Weights as exact integers on a common decimal scale (what the YAML said, not its binary float). */
function exactWeights(weights: readonly number[]): bigint[] {
  const parsed = weights.map((w, v) => {
    const text = decimalTextFromNumber(w);
    const p = text === undefined ? undefined : parseDecimal(text);
    if (p === undefined) throw new RangeError(`weight of venue ${v} must be a finite number >= 0, got ${w}`);
    return p;
  });
  const scale = parsed.reduce((m, p) => Math.max(m, p.scale), 0);
  return parsed.map((p) => p.units * 10n ** BigInt(scale - p.scale));
}

/**
 * Slot counts per venue: largest-remainder apportionment of 256 by weight. Counts sum to exactly 256; each is
 * the floor or the ceiling of the exact quota 256 * w / sum(w); a zero weight gets zero slots.
 */
export function apportion(weights: readonly number[]): number[] {
  if (weights.length > MAX_VENUES) throw new RangeError(`at most ${MAX_VENUES} venues, got ${weights.length}`);
  const w = exactWeights(weights);
  const total = w.reduce((a, b) => a + b, 0n);
  if (total === 0n) throw new RangeError('at least one venue must have a weight > 0');
  const counts: number[] = new Array<number>(w.length);
  const remainders: bigint[] = new Array<bigint>(w.length);
  let assigned = 0;
  for (let v = 0; v < w.length; v++) {
    const num = BigInt(SLOT_COUNT) * w[v]!;
    counts[v] = Number(num / total);
    remainders[v] = num % total;
    assigned += counts[v]!;
  }
  // Seats left over go to the largest remainders; ties to the lower venue index. Zero weights never qualify.
  const order = w
    .map((_, v) => v)
    .filter((v) => w[v]! > 0n)
    .sort((a, b) => (remainders[a]! === remainders[b]! ? a - b : remainders[a]! > remainders[b]! ? -1 : 1));
  for (let k = 0; k < SLOT_COUNT - assigned; k++) counts[order[k]!]! += 1;
  return counts;
}

/**
 * The routing table for one symbol: a Uint8Array(256) of venue indices. `weights[v]` is the YAML weight of venue
 * v (0: the venue does not list the symbol, or has no weight, and gets no slot). Throws RangeError when every
 * weight is zero, a weight is negative or not finite, or there are more than 256 venues.
 */
export function buildSlots(weights: readonly number[]): Uint8Array {
  const counts = apportion(weights);
  const table = new Uint8Array(SLOT_COUNT);
  // Smooth weighted round robin (as in nginx) over the slot counts: over one cycle of 256 picks, venue v is
  // picked exactly counts[v] times, and its picks are spread as evenly as the counts allow.
  const current = new Array<number>(counts.length).fill(0);
  for (let s = 0; s < SLOT_COUNT; s++) {
    let best = -1;
    for (let v = 0; v < counts.length; v++) {
      if (counts[v] === 0) continue;
      current[v]! += counts[v]!;
      if (best < 0 || current[v]! > current[best]!) best = v;
    }
    current[best]! -= SLOT_COUNT;
    table[s] = best;
  }
  return table;
}

/** Slots per venue index in a routing table (venues 0..venueCount-1). */
export function slotCounts(table: Uint8Array, venueCount: number): number[] {
  const counts = new Array<number>(venueCount).fill(0);
  for (let s = 0; s < table.length; s++) {
    const v = table[s]!;
    if (v < venueCount) counts[v]! += 1;
  }
  return counts;
}
