/**
 * Zod schemas of the control API's requests and responses, route by route: the source of the OpenAPI document
 * (GET /v1/openapi.json, see openapi.ts). They describe the wire; they do not decide it. Orders are still decided
 * by the decoders (src/intake/order-decoder.ts through order-commands.ts, order-query.ts for the list and cancel
 * filters, api-replies.ts for the admin bodies): those give every refusal its catalogue code, field and message, and
 * read numbers exactly (json-exact.ts) — a zod pass in front of them would answer with other codes, or round.
 * Response objects are open (more fields may come); request objects are closed (an unknown field is UNKNOWN_FIELD).
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../model/errors.js';
import { RESULT_SHAPES } from '../model/result-shape.js';

const codes = Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]];

/** Decimal text ("0.015"); JSON numbers are read at their exact text, and refused when a double cannot hold them. */
const decimal = z.union([z.string().regex(/^-?\d+(\.\d+)?$/), z.number()]).describe('a decimal: "0.015" (a string keeps every digit) or a JSON number a double holds exactly');
const decimalOut = z.string().describe('exact decimal text');

export const ErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.enum(codes),
    message: z.string(),
    retryable: z.boolean(),
    field: z.string().optional(),
    errors: z.array(z.string()).optional().describe('CONFIG_INVALID: every error of the configuration'),
  }),
  orderId: z.number().int().optional().describe('the order the refusal is about (a denied order exists, in state DENIED)'),
});

export const OrderFeeView = z.looseObject({ currency: z.string(), amount: decimalOut });

const orderViewShape = {
  orderId: z.number().int(),
  clientOrderId: z.string(),
  strategy: z.string(),
  symbol: z.string(),
  side: z.enum(['BUY', 'SELL']),
  type: z.string(),
  timeInForce: z.string(),
  postOnly: z.boolean(),
  priority: z.string(),
  price: decimalOut.nullable(),
  stopPrice: decimalOut.nullable(),
  quantity: decimalOut,
  filledQty: decimalOut,
  filledNotional: decimalOut,
  avgPrice: decimalOut.nullable(),
  state: z.string(),
  venue: z.string().nullable(),
  venueOrderId: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  route: z.enum(['table', 'best', 'sweep']),
  parentOrderId: z.number().int().nullable(),
  arrivalMid: z.string().nullable(),
  slippageBps: z.number().nullable(),
  fees: z.array(OrderFeeView),
  trailingOffset: z.string().optional(),
  algo: z.union([
    z.looseObject({ type: z.literal('TWAP'), horizonMs: z.number().int(), intervalMs: z.number().int() }),
    z.looseObject({ type: z.literal('ICEBERG'), displayQuantity: z.string() }),
  ]).optional(),
};

export const OrderView = z.looseObject(orderViewShape);
export const OrderWithChildren = z.looseObject({ ...orderViewShape, children: z.array(OrderView).optional().describe('a sweep parent: its children, in the order sent') });

export const OrderRequest = z.strictObject({
  strategy: z.string(),
  symbol: z.string(),
  side: z.string().describe('BUY or SELL (any case)'),
  type: z.string().optional().describe('LIMIT (default), MARKET, STOP, STOP_LIMIT, TRAILING_STOP'),
  timeInForce: z.string().optional().describe('GTC (default), IOC, FOK'),
  postOnly: z.boolean().optional(),
  price: decimal.optional(),
  stopPrice: decimal.optional(),
  quantity: decimal,
  clientOrderId: z.string().optional().describe('1 to 32 ASCII letters and digits'),
  priority: z.string().optional(),
  venue: z.string().optional().describe('pin the order to one venue'),
  route: z.string().optional().describe('table, best or sweep'),
  trailingOffset: decimal.optional(),
  algo: z.looseObject({ type: z.string() }).optional().describe('TWAP {horizonMs, intervalMs} or ICEBERG {displayQuantity}'),
});

export const AmendRequest = z.strictObject({
  price: decimal.optional(),
  quantity: decimal.optional().describe('the new total, fills included'),
});

export const OrderIdParams = z.strictObject({ id: z.string().describe('the order id, or its client order id') });
/** `?result=` of POST /v1/orders, PATCH and DELETE /v1/orders/:id (and of the stream). */
export const ResultQuery = z.looseObject({
  result: z.enum(RESULT_SHAPES).optional().describe('what the answer names the order with: order (default) its whole view, ids its orderId and clientOrderId only'),
});
/** `?by=` of GET, PATCH and DELETE /v1/orders/:id: what `:id` is. */
const ORDER_KEY_BY = z.enum(['id', 'clientOrderId']).optional()
  .describe('what :id is: id its order id, clientOrderId its client order id; absent, either (a key of digits that is one order\'s id and another\'s client order id is refused INVALID_FIELD)');
export const OrderKeyQuery = z.looseObject({ by: ORDER_KEY_BY });
/** PATCH and DELETE /v1/orders/:id: `?by=` and `?result=`. */
export const OrderKeyResultQuery = ResultQuery.extend({ by: ORDER_KEY_BY });
/** An order named by its ids (`?result=ids`). */
export const OrderIds = z.strictObject({ orderId: z.number().int(), clientOrderId: z.string() });
export const SymbolParams = z.strictObject({ symbol: z.string() });
export const WebAssetParams = z.strictObject({ '*': z.string() });

const csv = z.string().describe('one name, or several separated by commas');
export const ListQuery = z.strictObject({
  state: z.string().optional().describe('all (default), open, or an order state (any case)'),
  strategy: csv.optional(),
  symbol: csv.optional(),
  venue: csv.optional(),
  side: z.string().optional(),
  from: z.string().optional().describe('created at or after (epoch ms)'),
  to: z.string().optional().describe('created before (epoch ms)'),
  limit: z.string().optional(),
  cursor: z.string().optional(),
});
export const CancelAllQuery = z.strictObject({
  strategy: z.string().optional(),
  symbol: z.string().optional(),
  venue: z.string().optional(),
  side: z.string().optional(),
  all: z.literal('true').optional().describe('every open order (when no other filter is given)'),
});
export const PositionsQuery = z.strictObject({ strategy: z.string().optional(), symbol: z.string().optional(), venue: z.string().optional() });
export const FillsQuery = z.looseObject({}).describe('filters and cursor of the fill history (see the README)');
export const StreamQuery = z.strictObject({
  since: z.string().optional().describe('resume after this event seq'),
  strategy: csv.optional(),
  symbol: csv.optional(),
  event: csv.optional().describe('only events of these lifecycle events (SUBMIT, DENY, ACCEPT, REJECT, PARTIAL_FILL, FILL, CANCEL_REQUEST, CANCELED, CANCEL_REJECT, EXPIRE, TRIGGER, ROUTE, AMEND_REQUEST, AMENDED, AMEND_REJECT)'),
  result: z.enum(RESULT_SHAPES).optional().describe('what a request\'s result names its order with: order (default) its whole view, ids its orderId and clientOrderId only'),
  batch: z.enum(['0', '1']).optional().describe('1: each event-loop turn\'s messages come as ONE frame holding a JSON array of them (in order); default 0: one frame per message'),
  token: z.string().optional().describe('the token, for clients that cannot set the Authorization header'),
  auth: z.literal('message').optional().describe('the token comes in the first message: {"op":"auth","token":"..."}'),
});

export const OrderList = z.looseObject({ orders: z.array(OrderView), nextCursor: z.string().nullable() });
export const CancelAllResult = z.looseObject({
  canceling: z.array(z.unknown()).describe('the orders asked to cancel'),
  refused: z.array(z.unknown()).describe('the orders that could not be'),
});
export const Health = z.looseObject({ status: z.literal('ok'), accepting: z.boolean() });
export const Fees = z.looseObject({
  fees: z.array(z.looseObject({ strategy: z.string(), venue: z.string(), currency: z.string(), amount: decimalOut, fills: z.number().int(), estimatedFills: z.number().int() })),
});
const level = z.tuple([z.string(), z.string()]);
export const Book = z.looseObject({
  symbol: z.string(),
  depth: z.number().int(),
  venues: z.array(z.looseObject({ venue: z.string(), status: z.string(), usable: z.boolean(), ageMs: z.number().nullable(), updates: z.number().int(), bids: z.array(level), asks: z.array(level) })),
  consolidated: z.looseObject({
    bids: z.array(z.looseObject({ price: z.string(), qty: z.string(), venue: z.string(), feeAdjustedPrice: z.string() })),
    asks: z.array(z.looseObject({ price: z.string(), qty: z.string(), venue: z.string(), feeAdjustedPrice: z.string() })),
  }),
});
export const RouteSlots = z.looseObject({
  symbol: z.string(),
  slots: z.record(z.string(), z.number().int()).describe('slots per venue, out of total'),
  total: z.literal(256),
  weights: z.record(z.string(), z.number()).describe('the weights per venue the slots come from'),
});
const stateRow = z.looseObject({ scope: z.enum(['daemon', 'strategy', 'venue', 'symbol']), name: z.string().optional(), state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']), reason: z.string().optional(), since: z.number().int() });
export const States = z.looseObject({ states: z.array(stateRow) });
export const StateChangeRequest = z.strictObject({
  scope: z.enum(['daemon', 'strategy', 'venue', 'symbol']),
  name: z.string().optional(),
  state: z.string().describe('ACTIVE, REDUCING or HALTED (any case)'),
  reason: z.string().max(200).optional(),
});
export const StateChangeResult = z.looseObject({ changed: z.boolean(), state: stateRow, states: z.array(stateRow) });
export const KillRequest = z.strictObject({ timeoutMs: z.number().int().min(1).max(600_000).optional() });
export const KillResult = z.looseObject({}).describe('what the kill switch did: orders canceled, confirmed, left open');
export const Reloaded = z.looseObject({ reloaded: z.literal(true) });
export const Positions = z.looseObject({ positions: z.array(z.looseObject({ strategy: z.string(), symbol: z.string(), venue: z.string(), quantity: decimalOut })) });
export const Balances = z.looseObject({ balances: z.array(z.looseObject({ venue: z.string(), currency: z.string(), total: decimalOut, free: decimalOut, source: z.enum(['config', 'venue']) })) });
export const Fills = z.looseObject({}).describe('a page of fills (see the README)');
export const OpenApiDoc = z.looseObject({ openapi: z.string() });
