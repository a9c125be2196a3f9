/**
 * A latency histogram of bench:load: log-linear buckets (exact below 12.8 µs, then 64 buckets per power of two, so
 * within about 1.6 %), values in units of 0.1 µs up to about 214 s. Fixed memory (one Float64Array), nothing
 * allocated per sample, mergeable and serializable (sparse [index, count] pairs) so worker strategies can hand
 * theirs back through a file.
 */
const SUB = 64;
const LINEAR = 2 * SUB; // units below this are their own bucket
const MAX_UNITS = 2 ** 31 - 1;
const BUCKETS = LINEAR + 25 * SUB;

function bucketOf(units: number): number {
  if (units < LINEAR) return units;
  const msb = 31 - Math.clz32(units);
  const shift = msb - 6;
  return LINEAR + (shift - 1) * SUB + ((units >>> shift) - SUB);
}

/** The middle of a bucket, in µs. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR) return bucket / 10;
  const k = bucket - LINEAR;
  const shift = Math.floor(k / SUB) + 1;
  const mantissa = (k % SUB) + SUB;
  const low = mantissa * 2 ** shift;
  return (low + 2 ** shift / 2) / 10;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  maxUs = 0;

  /** One sample in µs (negative values count as 0, values past the range as the last bucket). */
  record(us: number): void {
    let units = Math.round(us * 10);
    if (!(units > 0)) units = 0;
    if (units > MAX_UNITS) units = MAX_UNITS;
    this.counts[bucketOf(units)]!++;
    this.count++;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /** The value (µs) at quantile q (0..1): the middle of the bucket holding the ceil(q x count)-th sample; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.maxUs);
    }
    return this.maxUs;
  }

  toJSON(): { pairs: number[]; maxUs: number } {
    const pairs: number[] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) pairs.push(i, this.counts[i]!);
    return { pairs, maxUs: this.maxUs };
  }

  static fromJSON(j: { pairs: number[]; maxUs: number }): LatencyHistogram {
    const h = new LatencyHistogram();
    for (let k = 0; k + 1 < j.pairs.length; k += 2) {
      const i = j.pairs[k]!;
      const n = j.pairs[k + 1]!;
      if (!Number.isInteger(i) || i < 0 || i >= BUCKETS || !(n >= 0)) throw new RangeError('bad histogram pair');
      h.counts[i]! += n;
      h.count += n;
    }
    h.maxUs = j.maxUs;
    return h;
  }
}
