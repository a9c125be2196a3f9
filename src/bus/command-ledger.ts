/**
 * The record of the commands executed from the Redis command streams (command-intake.ts): per strategy, the last
 * `window` request ids with their outcome. A command delivered again (after a crash, a lost reply or ack, a claim
 * from another consumer) is found here and answered from its record, never executed twice.
 *
 * A journal state part (src/core/state-parts.ts): each new outcome is an EVENT record
 * `{"event":"redis-command", strategy, requestId, op, ok, orderId?, code?, message?, canceling?, refused?, entry, client,
 * result?, again?}` written through `record` (the JournalRecorder's `event()`), and the whole ledger is a section of
 * every snapshot;
 * replay (import, then onEvent) rebuilds it. Without a journal (`record` absent) it is memory only. Bounded: per strategy the oldest request ids are
 * forgotten beyond the window (`forgottenCount` counts them); the newest stream entry among them is kept (in the
 * snapshot section too, under `@forgotten`), so that a command of an entry up to it that is delivered again and not
 * remembered is known to be one that may have been executed (forgotten()), never executed a second time.
 *
 * A command sent again by its client under a new stream entry (same request id) is answered from its record; the new
 * entry is added to the record (delivered(): `again`, the newest MAX_AGAIN kept, the first `entry` never replaced) and
 * the record written again, so that either entry, trimmed from its stream while pending, is still found (byEntry()).
 * Records written before `result` and `again` were kept load as they were (no `again`; answers by the order's view).
 */
import type { JournalStatePart } from '../core/state-parts.js';
import { COMMAND_OPS, compareEntryIds, WIRE_ID_RE, type CommandOp } from './protocol.js';

/** An order a cancel-all could not cancel (as its answer names it). */
export interface CancelRefusal {
  readonly orderId: number;
  readonly code: string;
  readonly message: string;
}

/** The shape a command's answer names its order in: absent, its view; `ids`, its orderId and clientOrderId (result-shape.ts). */
export type AnswerShape = 'ids' | undefined;

/** A delivery of a command under another stream entry than its first (its client sent it again). */
export interface Delivery {
  readonly entry: string;
  readonly client?: string | undefined;
  readonly result?: 'ids' | undefined;
}

/**
 * What a command came to. `orderId`: the order it made or touched (absent for a cancel-all and most refusals).
 * `canceling` and `refused`: what a cancel-all that was carried out answered (a replay answers them again).
 */
export interface CommandOutcome {
  readonly op: CommandOp;
  readonly ok: boolean;
  readonly orderId?: number | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly canceling?: readonly number[] | undefined;
  readonly refused?: readonly CancelRefusal[] | undefined;
  /** The command stream entry id of the command (absent in records written before it was kept). */
  readonly entry?: string | undefined;
  /**
   * The client the command named (its reply stream): a command whose entry was trimmed from its stream before it was
   * acknowledged is still answered (see byEntry()). Absent in records written before it was kept.
   */
  readonly client?: string | undefined;
  /** `ids`: the command asked for its answer by the order's ids (absent: by its view; and in records written before). */
  readonly result?: 'ids' | undefined;
  /** Later deliveries of the command under other stream entries, oldest first (at most MAX_AGAIN: the newest). */
  readonly again?: readonly Delivery[] | undefined;
}

/** What byEntry() finds: the command, and the client and answer shape of the delivery under the entry asked for. */
export interface EntryRecord {
  readonly requestId: string;
  readonly outcome: CommandOutcome;
  readonly client: string | undefined;
  readonly result: AnswerShape;
}

/** Deliveries under other entries kept per command (the newest): a client sends a command again a few times at most. */
export const MAX_AGAIN = 4;

/** The longest message kept per outcome (characters). */
const MAX_MESSAGE = 500;

export const COMMAND_LEDGER_PART = 'redis-command';

/** The key of the snapshot section that holds `forgottenUpTo` (not a strategy id: those are letters, digits, _ and -). */
const FORGOTTEN_KEY = '@forgotten';

export class CommandLedger implements JournalStatePart {
  readonly name = COMMAND_LEDGER_PART;
  private readonly byStrategy = new Map<string, Map<string, CommandOutcome>>();
  /** Outcomes dropped because the window was full (oldest first). */
  forgottenCount = 0;
  /** Per strategy, the newest command stream entry id among the outcomes dropped (see forgotten()). */
  private readonly forgottenUpTo = new Map<string, string>();
  /** Per strategy, the newest command stream entry id among the outcomes recorded (see newestEntry()). */
  private readonly newest = new Map<string, string>();
  /** Per strategy, the command stream entry id of the outcome recorded last (see latestEntry()). */
  private readonly latest = new Map<string, string>();

  constructor(
    /** Request ids remembered per strategy (`daemon.redis.commands.dedupeWindow`). */
    readonly window: number,
    /** Writes an EVENT record (JournalRecorder.event); absent: memory only. */
    private readonly record?: (event: Record<string, unknown>) => unknown,
  ) {
    if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, not ${window}`);
  }

  /** The recorded outcome of a request id of a strategy, if it is remembered. */
  get(strategy: string, requestId: string): CommandOutcome | undefined {
    return this.byStrategy.get(strategy)?.get(requestId);
  }

  /** Request ids remembered for a strategy (every strategy without one). */
  size(strategy?: string): number {
    if (strategy !== undefined) return this.byStrategy.get(strategy)?.size ?? 0;
    let n = 0;
    for (const m of this.byStrategy.values()) n += m.size;
    return n;
  }

  /**
   * Whether a command stream entry of a strategy is no later than an entry whose outcome was dropped: a command of that
   * entry that is not remembered may have been executed and forgotten (entries are read in id order; an entry is
   * delivered again only while unacknowledged, or when its group was made again from the start).
   */
  forgotten(strategy: string, entry: string): boolean {
    const upTo = this.forgottenUpTo.get(strategy);
    return upTo !== undefined && compareEntryIds(entry, upTo) <= 0;
  }

  /** The newest command stream entry of a strategy among the outcomes dropped (see forgotten()); undefined: none. */
  forgottenEntry(strategy: string): string | undefined {
    return this.forgottenUpTo.get(strategy);
  }

  /**
   * Every command stream entry of a strategy remembered (each command's first and those it was sent again under): a
   * set made anew at each call, for a scan of many entries at once (a consumer group found made again), never per
   * command.
   */
  entries(strategy: string): Set<string> {
    const out = new Set<string>();
    const m = this.byStrategy.get(strategy);
    if (m === undefined) return out;
    for (const o of m.values()) {
      if (o.entry !== undefined) out.add(o.entry);
      if (o.again !== undefined) for (const d of o.again) out.add(d.entry);
    }
    return out;
  }

  /**
   * Every command stream entry of a strategy remembered, each with what byEntry() finds for it: a map made anew at each
   * call, for a scan of many entries at once (a consumer group found made again at the start), never per command.
   */
  entryRecords(strategy: string): Map<string, EntryRecord> {
    const out = new Map<string, EntryRecord>();
    const m = this.byStrategy.get(strategy);
    if (m === undefined) return out;
    for (const [requestId, outcome] of m) {
      if (outcome.entry !== undefined && !out.has(outcome.entry)) out.set(outcome.entry, { requestId, outcome, client: outcome.client, result: outcome.result });
      if (outcome.again !== undefined) {
        for (const d of outcome.again) if (!out.has(d.entry)) out.set(d.entry, { requestId, outcome, client: d.client, result: d.result });
      }
    }
    return out;
  }

  /**
   * The newest command stream entry of a strategy whose command's outcome was recorded (remembered or dropped since):
   * the entries up to it were read (where a consumer group made again starts: command-intake.ts).
   */
  newestEntry(strategy: string): string | undefined {
    const n = this.newest.get(strategy);
    const f = this.forgottenUpTo.get(strategy);
    return n === undefined || (f !== undefined && compareEntryIds(f, n) > 0) ? f : n;
  }

  /**
   * The command stream entry of a strategy whose command's outcome was recorded last (in the order recorded, not of
   * ids): the stream's entries up to it were read from the stream read last. Unlike newestEntry(), it follows a stream
   * made again with ids below the old ones (Redis lost its data; another clock) once a command of it was executed.
   */
  latestEntry(strategy: string): string | undefined {
    return this.latest.get(strategy);
  }

  /**
   * The request id and outcome recorded for a command stream entry of a strategy, if remembered. A scan of the
   * strategy's window: for an entry that is no longer in its stream (trimmed or deleted before it was acknowledged),
   * which is rare, never per command.
   */
  byEntry(strategy: string, entry: string): EntryRecord | undefined {
    const m = this.byStrategy.get(strategy);
    if (m === undefined) return undefined;
    for (const [requestId, outcome] of m) {
      if (outcome.entry === entry) return { requestId, outcome, client: outcome.client, result: outcome.result };
      if (outcome.again !== undefined) {
        for (const d of outcome.again) if (d.entry === entry) return { requestId, outcome, client: d.client, result: d.result };
      }
    }
    return undefined;
  }

  /**
   * A remembered command delivered again under stream entry `entry` (its client sent it again), by `client`, asking
   * for answers in shape `result`: when the entry is not yet in its record, it is added (the oldest of `again` dropped
   * past MAX_AGAIN) and the record journaled again (an EVENT record as add() writes, with `again`). Nothing when the
   * request id is not remembered, or the entry is known.
   */
  delivered(strategy: string, requestId: string, entry: string, client: string | undefined, result: AnswerShape): void {
    const o = this.get(strategy, requestId);
    if (o === undefined || o.entry === entry || o.again?.some((d) => d.entry === entry) === true) return;
    const d: { -readonly [K in keyof Delivery]: Delivery[K] } = { entry };
    if (client !== undefined) d.client = client;
    if (result !== undefined) d.result = result;
    const again = o.again === undefined ? [d] : [...o.again.slice(Math.max(0, o.again.length - MAX_AGAIN + 1)), d];
    this.write(strategy, requestId, { ...o, again });
  }

  /**
   * Record an outcome (of the command of stream entry `entry`, sent by `client`): journaled (an EVENT record), then
   * remembered.
   */
  add(strategy: string, requestId: string, outcome: CommandOutcome, entry?: string, client?: string, result?: AnswerShape): void {
    this.write(strategy, requestId, clean(outcome, entry, client, result));
  }

  /** Journal a cleaned outcome (an EVENT record), then remember it. */
  private write(strategy: string, requestId: string, o: CommandOutcome): void {
    if (this.record !== undefined) {
      // the outcome's fields after the ids, in its order (no spread of a literal: one per command)
      const e: Record<string, unknown> = { event: COMMAND_LEDGER_PART, strategy, requestId, op: o.op, ok: o.ok };
      if (o.orderId !== undefined) e.orderId = o.orderId;
      if (o.code !== undefined) e.code = o.code;
      if (o.message !== undefined) e.message = o.message;
      if (o.canceling !== undefined) e.canceling = o.canceling;
      if (o.refused !== undefined) e.refused = o.refused;
      if (o.entry !== undefined) e.entry = o.entry;
      if (o.client !== undefined) e.client = o.client;
      if (o.result !== undefined) e.result = o.result;
      if (o.again !== undefined) e.again = o.again;
      this.record(e);
    }
    this.remember(strategy, requestId, o);
  }

  // ---- journal state part ----

  export(): unknown {
    const out: Record<string, unknown> = {};
    for (const [strategy, m] of this.byStrategy) out[strategy] = [...m];
    if (this.forgottenUpTo.size > 0) out[FORGOTTEN_KEY] = Object.fromEntries(this.forgottenUpTo);
    return out;
  }

  import(section: unknown): void {
    this.byStrategy.clear();
    this.forgottenUpTo.clear();
    this.newest.clear();
    this.latest.clear();
    if (typeof section !== 'object' || section === null || Array.isArray(section)) return;
    const upTo = (section as Record<string, unknown>)[FORGOTTEN_KEY];
    if (typeof upTo === 'object' && upTo !== null) {
      for (const [strategy, entry] of Object.entries(upTo as Record<string, unknown>)) {
        if (typeof entry === 'string' && ENTRY_ID_RE.test(entry)) this.forgottenUpTo.set(strategy, entry);
      }
    }
    for (const [strategy, rows] of Object.entries(section as Record<string, unknown>)) {
      if (!Array.isArray(rows)) continue;
      for (const row of rows) {
        if (!Array.isArray(row) || typeof row[0] !== 'string') continue;
        const o = parseOutcome(row[1]);
        if (o !== undefined) this.remember(strategy, row[0], o);
      }
    }
  }

  onEvent(e: Readonly<Record<string, unknown>>): void {
    if (typeof e.strategy !== 'string' || typeof e.requestId !== 'string') return;
    const o = parseOutcome(e);
    if (o !== undefined) this.remember(e.strategy, e.requestId, o);
  }

  private remember(strategy: string, requestId: string, o: CommandOutcome): void {
    let m = this.byStrategy.get(strategy);
    if (m === undefined) this.byStrategy.set(strategy, (m = new Map()));
    // a re-recorded id moves to the newest end (a new one, the common case, is one look-up: the set alone)
    const size = m.size;
    m.set(requestId, o);
    if (m.size === size) {
      m.delete(requestId);
      m.set(requestId, o);
    }
    // the entry delivered last (a delivery again is recorded when it comes), and the newest of its entries
    const last = o.again !== undefined && o.again.length > 0 ? o.again[o.again.length - 1]!.entry : o.entry;
    if (last !== undefined) {
      this.latest.set(strategy, last);
      const top = newestOf(o)!;
      const n = this.newest.get(strategy);
      if (n === undefined || compareEntryIds(top, n) > 0) this.newest.set(strategy, top);
    }
    while (m.size > this.window) {
      const oldest = m.keys().next().value!;
      const entry = newestOf(m.get(oldest)!);
      m.delete(oldest);
      this.forgottenCount++;
      if (entry !== undefined) {
        const upTo = this.forgottenUpTo.get(strategy);
        if (upTo === undefined || compareEntryIds(entry, upTo) > 0) this.forgottenUpTo.set(strategy, entry);
      }
    }
  }
}

const ENTRY_ID_RE = /^\d{1,20}-\d{1,20}$/;

/** The newest stream entry a command was delivered under (undefined: none recorded). */
function newestOf(o: CommandOutcome): string | undefined {
  let top = o.entry;
  if (o.again !== undefined) for (const d of o.again) if (top === undefined || compareEntryIds(d.entry, top) > 0) top = d.entry;
  return top;
}

/**
 * The outcome with only the fields it has (and `entry`, `client`, `result` when given), its message cut to MAX_MESSAGE,
 * its deliveries again to the newest MAX_AGAIN.
 */
function clean(o: CommandOutcome, entry: string | undefined = o.entry, client: string | undefined = o.client,
  result: AnswerShape = o.result): CommandOutcome {
  const c: { -readonly [K in keyof CommandOutcome]: CommandOutcome[K] } = { op: o.op, ok: o.ok };
  if (o.orderId !== undefined) c.orderId = o.orderId;
  if (o.code !== undefined) c.code = o.code;
  if (o.message !== undefined) c.message = cut(o.message);
  if (o.canceling !== undefined) c.canceling = o.canceling;
  if (o.refused !== undefined) c.refused = o.refused.map((r) => ({ orderId: r.orderId, code: r.code, message: cut(r.message) }));
  if (entry !== undefined) c.entry = entry;
  if (client !== undefined) c.client = client;
  if (result === 'ids') c.result = result;
  if (o.again !== undefined && o.again.length > 0) {
    c.again = o.again.slice(Math.max(0, o.again.length - MAX_AGAIN)).map((d) => {
      const x: { -readonly [K in keyof Delivery]: Delivery[K] } = { entry: d.entry };
      if (d.client !== undefined) x.client = d.client;
      if (d.result === 'ids') x.result = d.result;
      return x;
    });
  }
  return c;
}

function cut(message: string): string {
  return message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) : message;
}

function parseOutcome(v: unknown): CommandOutcome | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (!(COMMAND_OPS as readonly unknown[]).includes(r.op) || typeof r.ok !== 'boolean') return undefined;
  return clean({
    op: r.op as CommandOp,
    ok: r.ok,
    orderId: typeof r.orderId === 'number' ? r.orderId : undefined,
    code: typeof r.code === 'string' ? r.code : undefined,
    message: typeof r.message === 'string' ? r.message : undefined,
    canceling: Array.isArray(r.canceling) && r.canceling.every((id) => typeof id === 'number') ? r.canceling as number[] : undefined,
    refused: Array.isArray(r.refused) && r.refused.every(isCancelRefusal) ? r.refused as CancelRefusal[] : undefined,
    entry: typeof r.entry === 'string' && ENTRY_ID_RE.test(r.entry) ? r.entry : undefined,
    client: typeof r.client === 'string' && WIRE_ID_RE.test(r.client) ? r.client : undefined,
    result: r.result === 'ids' ? 'ids' : undefined,
    again: Array.isArray(r.again) ? r.again.filter(isDelivery) : undefined,
  });
}

/** A delivery again as written: an entry id, and a client and a shape when valid (else not a delivery). */
function isDelivery(v: unknown): v is Delivery {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.entry === 'string' && ENTRY_ID_RE.test(d.entry)
    && (d.client === undefined || (typeof d.client === 'string' && WIRE_ID_RE.test(d.client)))
    && (d.result === undefined || d.result === 'ids');
}

function isCancelRefusal(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.orderId === 'number' && typeof r.code === 'string' && typeof r.message === 'string';
}
