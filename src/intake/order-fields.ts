/**
 * An order request's fields as one object of a fixed shape: what a byte-level reader (src/api/submit-frame.ts) fills
 * instead of the object JSON.parse would make of the order's JSON text. A field the text does not hold is undefined,
 * which decodeOrder reads as absent (it never tells an absent field from an undefined one, and JSON has no undefined).
 * Its own keys are exactly the fields decodeOrder knows, so decodeOrder skips its unknown-field check for it.
 */
export class OrderFields {
  strategy: unknown = undefined;
  symbol: unknown = undefined;
  side: unknown = undefined;
  type: unknown = undefined;
  timeInForce: unknown = undefined;
  postOnly: unknown = undefined;
  price: unknown = undefined;
  stopPrice: unknown = undefined;
  quantity: unknown = undefined;
  clientOrderId: unknown = undefined;
  priority: unknown = undefined;
  venue: unknown = undefined;
  route: unknown = undefined;
  trailingOffset: unknown = undefined;
  algo: unknown = undefined;
}
