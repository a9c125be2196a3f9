/**
 * The paper venue's requests on their way to it (its one-way latency), oldest first, in a ring that grows by doubling.
 * Each request still has its own timer, or its own immediate when the latency is 0 (the next event-loop turn, as
 * before: requests interleave with the daemon's other callbacks exactly as one timer per request does), but all run
 * through one callback made once, and a request is a kind and a payload in the ring: no closure per request, no set
 * of handles. Every request has the same delay, and Node runs immediates, and timers of equal delay, in the order they
 * were set, so the callback that fires is always the oldest request's: it takes the ring's head.
 */
export class InFlightRequests<P> {
  private kinds = new Uint8Array(16);
  private payloads: (P | undefined)[] = new Array<P | undefined>(16).fill(undefined);
  private handles: (NodeJS.Timeout | NodeJS.Immediate | undefined)[] = new Array<NodeJS.Timeout | NodeJS.Immediate | undefined>(16).fill(undefined);
  private head = 0;
  private count = 0;
  /** The one callback of every timer and immediate: runs the oldest request. */
  private readonly fire = (): void => {
    const mask = this.kinds.length - 1;
    const slot = this.head;
    const kind = this.kinds[slot]!;
    const payload = this.payloads[slot]!;
    this.payloads[slot] = undefined;
    this.handles[slot] = undefined;
    this.head = (slot + 1) & mask;
    this.count--;
    this.run(kind, payload);
  };

  /** `latencyMs` 0: each request runs in the next event-loop turn (an immediate, not a timer Node holds 1 ms). */
  constructor(private readonly latencyMs: number, private readonly run: (kind: number, payload: P) => void) {}

  /** Requests on their way. */
  get size(): number {
    return this.count;
  }

  /** Sends a request: `run(kind, payload)` after the latency, after every request sent before it. */
  add(kind: number, payload: P): void {
    if (this.count === this.kinds.length) this.grow();
    const slot = (this.head + this.count) & (this.kinds.length - 1);
    const ms = this.latencyMs;
    this.kinds[slot] = kind;
    this.payloads[slot] = payload;
    this.handles[slot] = ms === 0 ? setImmediate(this.fire) : setTimeout(this.fire, ms);
    this.count++;
  }

  /** Drops every request on its way (none runs). */
  clear(): void {
    const mask = this.kinds.length - 1;
    for (let k = 0; k < this.count; k++) {
      const slot = (this.head + k) & mask;
      const h = this.handles[slot];
      if (this.latencyMs === 0) clearImmediate(h as NodeJS.Immediate);
      else clearTimeout(h as NodeJS.Timeout);
      this.handles[slot] = undefined;
      this.payloads[slot] = undefined;
    }
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const n = this.kinds.length;
    const kinds = new Uint8Array(2 * n);
    const payloads = new Array<P | undefined>(2 * n).fill(undefined);
    const handles = new Array<NodeJS.Timeout | NodeJS.Immediate | undefined>(2 * n).fill(undefined);
    for (let k = 0; k < this.count; k++) {
      const slot = (this.head + k) & (n - 1);
      kinds[k] = this.kinds[slot]!;
      payloads[k] = this.payloads[slot];
      handles[k] = this.handles[slot];
    }
    this.kinds = kinds;
    this.payloads = payloads;
    this.handles = handles;
    this.head = 0;
  }
}
