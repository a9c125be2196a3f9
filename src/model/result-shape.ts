/**
 * How an answer about an order names it (the `result` of a request: `?result=` on the HTTP API and the stream, the
 * `result` field of a Redis command): `order`, the default, its whole view; `ids` its orderId and clientOrderId only,
 * for a client that follows its orders on the events (less for the daemon to make and send and for it to read).
 */
export const RESULT_SHAPES = ['order', 'ids'] as const;
export type ResultShape = (typeof RESULT_SHAPES)[number];

/** What a refused value is told: the values there are. */
export const RESULT_SHAPE_EXPECTED = 'result must be order or ids';

export function isResultShape(v: unknown): v is ResultShape {
  return v === 'order' || v === 'ids';
}
