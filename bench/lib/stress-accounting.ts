/**
 * bench:stress's accounting, order by order: what each producer was told about each of its orders (an AnswerLedger,
 * filled as the answers come, each matched to the order it names), then what the venue was handed (accountProducer).
 * An order is its producer's seq, named by its client order id P<producer>S<seq> (stressClientOrderId).
 */

/**
 * The answers one producer got, each matched to the order it names: accepted once, in the order the daemon accepted
 * them. An answer accepting an order already accepted is a duplicate; one naming an order the producer was not
 * waiting on (another's, out of range, or with no request in flight) is stray. Neither counts as an acceptance.
 */
export class AnswerLedger {
  /** Per seq (1..orders): 1 once accepted. */
  private readonly accepted: Uint8Array;
  /** Accepted seqs, in the order they were accepted (the first `count`). */
  readonly order: Int32Array;
  count = 0;
  duplicates = 0;
  stray = 0;

  constructor(readonly orders: number) {
    this.accepted = new Uint8Array(orders + 1);
    this.order = new Int32Array(orders);
  }

  /**
   * The daemon accepted the order `named` (the seq its answer names; -1: none of this producer's) in answer to the
   * request for `asked` (-1: no request was waiting). True when it is an acceptance of that order, counted once.
   */
  accept(asked: number, named: number): boolean {
    if (named >= 1 && named <= this.orders && this.accepted[named] === 1) {
      this.duplicates++;
      return false;
    }
    if (named !== asked || asked < 1 || asked > this.orders) {
      this.stray++;
      return false;
    }
    this.accepted[named] = 1;
    this.order[this.count++] = named;
    return true;
  }

  /** An answer that matches no request (none was waiting, or it names none): stray. */
  unmatched(): void {
    this.stray++;
  }

  /** The accepted seqs, in acceptance order. */
  acceptedOrder(): Int32Array {
    return this.order.subarray(0, this.count);
  }
}

/** What the venue was handed, as RecordingVenue records it. */
export interface VenueRecord {
  /** Times each (producer, seq) was handed over: index producer * (orders + 1) + seq. */
  readonly counts: Uint16Array;
  /** Per producer, its seqs in handoff order (the first handoffCount[producer], up to the array's length). */
  readonly handoffs: readonly Int32Array[];
  readonly handoffCount: Int32Array;
}

export interface ProducerAccount {
  /** Accepted orders the venue never got. */
  lost: number;
  /** Extra handoffs of an order (handed over n times: n - 1). */
  duplicated: number;
  /** Handed over though never accepted. */
  phantom: number;
  /** Handed over before an order the producer had accepted earlier. */
  fifoViolations: number;
}

/**
 * One producer's orders against the venue: each accepted order (`acceptedOrder`: its seqs in acceptance order, each
 * once) handed over exactly once, none other handed over, and in acceptance order.
 */
export function accountProducer(producer: number, orders: number, acceptedOrder: Int32Array, venue: VenueRecord): ProducerAccount {
  const rank = new Int32Array(orders + 1);
  acceptedOrder.forEach((seq, i) => (rank[seq] = i + 1));
  const out: ProducerAccount = { lost: 0, duplicated: 0, phantom: 0, fifoViolations: 0 };
  const base = producer * (orders + 1);
  for (let s = 1; s <= orders; s++) {
    const c = venue.counts[base + s]!;
    if (rank[s]! > 0) {
      if (c === 0) out.lost++;
    } else if (c > 0) out.phantom++;
    if (c > 1) out.duplicated += c - 1;
  }
  // FIFO at the handoff: each order after the one the producer had accepted before it
  const h = venue.handoffs[producer]!;
  const n = Math.min(venue.handoffCount[producer]!, h.length);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const r = rank[h[i]!]!;
    if (r <= 0) continue;
    if (r < prev) out.fifoViolations++;
    prev = r;
  }
  return out;
}
