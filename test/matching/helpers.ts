/** Test helpers for the crossing engine: a sink that records events in the reference book's format. */
import type { CrossingSink } from '../../src/matching/types.js';
import type { Ev } from './reference-book.js';

export class RecordingSink implements CrossingSink {
  events: Ev[] = [];
  onAccept(id: number, owner: number, side: number, type: number, price: number, qty: number, stopPrice: number): void {
    this.events.push(['accept', id, owner, side, type, price, qty, stopPrice]);
  }
  onFill(m: number, t: number, mo: number, to: number, price: number, qty: number, mr: number, tr: number): void {
    this.events.push(['fill', m, t, mo, to, price, qty, mr, tr]);
  }
  onCancel(id: number, owner: number, cancelled: number, remaining: number, reason: number): void {
    this.events.push(['cancel', id, owner, cancelled, remaining, reason]);
  }
  onTrigger(id: number, owner: number, side: number, stopPrice: number): void {
    this.events.push(['trigger', id, owner, side, stopPrice]);
  }
  onRest(id: number, owner: number, side: number, price: number, qty: number): void {
    this.events.push(['rest', id, owner, side, price, qty]);
  }
  take(): Ev[] {
    const e = this.events;
    this.events = [];
    return e;
  }
}
