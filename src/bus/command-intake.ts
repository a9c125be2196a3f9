/**
 * Commands in: the strategies configured with `source: redis` send submit, cancel, amend and cancel-all commands to
 * their own stream `P commands:{strategy}`, read here through a consumer group (the consumer is the daemon's name);
 * each answer goes to `P replies:{client}` (wire format: protocol.ts). Exactly once across crashes:
 *
 *   execute (OrderCommands, as the HTTP handlers do) -> record the outcome in the ledger (a journal EVENT)
 *   -> await durable (the journal) -> XADD the reply -> XACK.
 *
 * An entry is acknowledged only once its outcome is durable. An entry left pending (a crash, a Redis failure at the
 * reply or the ack) is read again (XREADGROUP ... 0) after a (re)start or a reconnect, or claimed (XAUTOCLAIM) from
 * another consumer once idle past claimIdleMs; its request id is then found in the ledger and its recorded outcome
 * answered again (`replayed: '1'`) without executing it. A submit must carry a clientOrderId: when the crash fell
 * between the order's journal record and the ledger's, the submit again meets DUPLICATE_CLIENT_ORDER_ID from an order
 * of the same strategy, and that order is the answer (nothing is executed twice).
 *
 * Refused without executing anything: a malformed entry (bad requestId, client, op or body, a field given twice, a
 * field or name that is not UTF-8 — entries are read as bytes, never decoded with U+FFFD in place of what was sent:
 * answered when its client is usable, counted, logged, acknowledged — never retried forever), a command naming another strategy
 * (STRATEGY_MISMATCH), a submit without clientOrderId (INVALID_FIELD). An entry gone from its stream while pending
 * (trimmed, deleted) is answered from the ledger when it was executed, else counted lost and logged (lostEntry()).
 * Entries gone before the group ever delivered them (trimmed by a sender's XADD MAXLEN while the daemon was down or
 * behind, or deleted) are never read at all: found from the stream's and the group's counters (Redis 7) at start,
 * after each reconnect and every claimIdleMs / 2, counted lost (or flagged when Redis cannot tell how many) and
 * logged (checkUnread()).
 *
 * Commands of one strategy execute in stream order: each entry's intake call is made synchronously as it is read (an
 * OrderCommands method calls the intake before its first await), so a submit and a cancel of the same order in one
 * batch both work; the awaiting (dispatch decision, venue's amend answer, journal) runs concurrently, at most
 * `maxInFlight` commands at once (reading pauses beyond). Replies and acks go out in pipelines of whatever is ready.
 * All Redis I/O is async and off the dispatch path; blocking reads use a connection of their own.
 */
import { isUtf8 } from 'node:buffer';
import type { Registry } from 'prom-client';
import { ClientClosedError, ClientOfflineError, RESP_TYPES } from 'redis';
import { Counter, Gauge } from 'prom-client';
import type { CommandError, OrderCommands } from '../api/order-commands.js';
import { DuplicateKeyError, parseJsonExact } from '../intake/json-exact.js';
import type { Clock } from '../model/clock.js';
import type { Order, OrderIntent } from '../model/order.js';
import { isResultShape, RESULT_SHAPE_EXPECTED } from '../model/result-shape.js';
import type { CommandLedger, CommandOutcome, EntryRecord } from './command-ledger.js';
import { COMMAND_OPS, compareEntryIds, WIRE_ID_RE, type BusKeys, type CommandOp } from './protocol.js';
import { GroupMark, type GroupReplaced } from './group-mark.js';
import { GroupPendingWatch, type PendingLook } from './group-pending-watch.js';
import { LuaScript } from './lua-script.js';
import { PackedStrings } from './packed-strings.js';
import type { RedisConnection } from './redis-connection.js';

/** Largest command body accepted (bytes), as the HTTP API's MAX_BODY_BYTES. */
export const MAX_COMMAND_BODY_BYTES = 16 * 1024;

export interface CommandIntakeLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CommandIntakeOptions {
  /**
   * Makes a connection (redis-connection.ts `redisConnection(settings, {role, log})`). Called twice at construction:
   * 'commands' (replies, acks, claims, group creation) and 'command-reads' (the blocking reads). The intake owns them:
   * stop() closes them.
   */
  readonly connect: (role: 'commands' | 'command-reads') => RedisConnection;
  readonly keys: BusKeys;
  /** daemon.redis.commands.group. */
  readonly group: string;
  /** The consumer's name in the group: the daemon's name. */
  readonly consumer: string;
  /** Ids of the strategies with source: redis. */
  readonly strategies: readonly string[];
  readonly commands: OrderCommands;
  readonly ledger: CommandLedger;
  /** Resolves when every journal record so far is durable (JournalRecorder.durable); absent: no journal. */
  readonly durable?: (() => Promise<void>) | undefined;
  readonly clock: Clock;
  readonly log: CommandIntakeLog;
  /** Entries per XREADGROUP (daemon.redis.commands.batch). */
  readonly batch: number;
  /** Claim entries idle this long at another consumer (ms). */
  readonly claimIdleMs: number;
  /** Approximate MAXLEN of each reply stream. */
  readonly replyMaxLen: number;
  /** BLOCK of the reads (ms); default 1000. stop() may wait this long for a read in progress. */
  readonly blockMs?: number;
  /** Commands awaiting their outcome at once; default 4 x batch. */
  readonly maxInFlight?: number;
  /**
   * How often the entries pending at the group's other consumers are looked at (ms; default 1000): a group that
   * vanishes gets back those of the last look (group-pending-watch.ts).
   */
  readonly pendingWatchMs?: number;
  /**
   * A submit refused before it made an order (switchyard_rejects_total, as the API edges count theirs): refused by its
   * checks here (an entry whose op is `submit` but that is malformed too) or by the order path's; once per entry, not
   * again when it is read again (its reply or ack failed, or a group made again by someone else while the intake runs
   * had it read from the stream again). Not a submit answered again (delivered again), nor an order denied by risk.
   * Counted again — after a restart only — when a group made again while the daemon was down has an entry refused
   * before the stop read and refused again: refusals are not journaled, so which were answered cannot be known then.
   */
  readonly onSubmitRefused?: (code: string) => void;
}

export interface CommandIntakeStatus {
  /** Both connections ready and every group created. */
  readonly up: boolean;
  /** Commands executed (outcome recorded in the ledger). */
  readonly processed: number;
  /** Well-formed commands refused without executing anything (STRATEGY_MISMATCH, a submit without clientOrderId). */
  readonly refused: number;
  /** Entries that are not commands (acknowledged, answered when they name a usable client). */
  readonly malformed: number;
  /** Commands delivered again, answered from the ledger (or from their order) without executing them. */
  readonly replayed: number;
  /** Commands that failed with an error of the daemon's (answered INTERNAL, acknowledged, logged). */
  readonly failed: number;
  /**
   * Entries gone from their stream before they were handled (trimmed by a sender's XADD MAXLEN, or deleted) — delivered
   * and gone before they were handled, or gone before the consumer group ever delivered them (checkUnread): neither
   * their command nor their client can be known, so no reply could be sent (their clients time out); logged. (One
   * whose command had been executed is answered from the ledger and counted as replayed.)
   */
  readonly lost: number;
  /**
   * Times entries the consumer group had not delivered were found gone from a command stream in a number Redis's
   * counters cannot tell: deleted by XDEL (at least one command lost), or trimmed past the group's last delivered
   * entry while its read counter was unknown (perhaps none of them unread), or trimmed from the range a group made
   * again by someone else skipped, above the last entry known read (perhaps none unread); logged.
   */
  readonly lostUnknown: number;
  /** Commands read and not yet acknowledged by this intake. */
  readonly pending: number;
  /** Reconnects of the two connections. */
  readonly reconnects: number;
  /** Replies and acks that failed (their entries stay pending and are answered again). */
  readonly replyFailures: number;
  /**
   * Times a consumer group found missing (XGROUP DESTROY, its stream deleted) was made again after commands had been
   * read from it (logged, with where it was made again and the entries given back to other consumers), or was found
   * made again by someone else — while the intake ran, or while the daemon was down (found at the start) — and the
   * commands it skipped were read from the stream (groupReplaced()).
   */
  readonly groupsMadeAgain: number;
  /** Entries pending at the group's other consumers (a consumer that died: claimed once idle), as last looked at. */
  readonly pendingElsewhere: number;
}

/** The answer to one entry. */
interface Answer {
  /** Where the reply goes (absent: an entry without a usable client, acknowledged only). */
  readonly client: string | undefined;
  readonly requestId: string;
  readonly body: Record<string, unknown>;
  readonly replayed: boolean;
  /** Acknowledge the entry once the reply is sent (false: leave it pending, e.g. the journal failed). */
  readonly ack: boolean;
}

interface Outgoing {
  readonly key: string;
  readonly id: string;
  /** Its key in inFlight (released once the flush that carries it is done). */
  readonly tag: string;
  readonly answer: Answer;
}

type Counts = {
  processed: number; refused: number; malformed: number; replayed: number; failed: number; lost: number; lostUnknown: number; replyFailures: number;
  groupsMadeAgain: number;
};

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CommandIntake {
  private readonly cmd: RedisConnection;
  private readonly reads: RedisConnection;
  private readonly keyOf = new Map<string, string>();
  private readonly strategyOfKey = new Map<string, string>();
  /** Per strategy, the check of a submit's intent (made once, not per command): it must name that strategy. */
  private readonly strategyCheck = new Map<string, (intent: OrderIntent) => CommandError | undefined>();
  private readonly blockMs: number;
  private readonly maxInFlight: number;
  private readonly counts: Counts = { processed: 0, refused: 0, malformed: 0, replayed: 0, failed: 0, lost: 0, lostUnknown: 0, replyFailures: 0, groupsMadeAgain: 0 };
  /**
   * Entries being handled (`key id`), each until the flush that answers it is done: a re-read or a claim of one of
   * them is passed over.
   */
  private readonly inFlight = new Set<string>();
  /** stop() waiting for inFlight to empty. */
  private idleWaiters: (() => void)[] = [];
  /**
   * Commands executing, per strategy by request id (no key made per command): the same request id again waits for the
   * first's answer.
   */
  private readonly executing = new Map<string, Map<string, FirstCommand & { readonly run: Promise<Answer> }>>();
  private outbox: Outgoing[] = [];
  /** A flush's values, written into one argument (reused). */
  private readonly packed = new PackedStrings();
  /** The client replied to last and its reply stream (replyKey()). */
  private lastReplyClient = '';
  private lastReplyKey = '';
  private flushing: Promise<void> | undefined;
  private roomWaiters: (() => void)[] = [];
  private running: Promise<void> | undefined;
  private stopping = false;
  /** stop() was called: the connections are closed, start() does nothing (make a new intake to read again). */
  private ended = false;
  /** Resolves at stop(): a connect that never comes ends the wait. */
  private stopped: Promise<void> = Promise.resolve();
  private signalStop: () => void = () => undefined;
  private groupsReady = false;
  /** Per command stream, the newest entry id read by this intake (where its group is made again when it vanishes). */
  private readonly lastRead = new Map<string, string>();
  /**
   * Per command stream, this intake's entries left pending after they were handled (their reply or ack failed, or
   * the journal failed under them): the group's pending list holds them, and a group that vanishes takes that list
   * with it — made again after the newest entry read, it would not deliver them again, so they are read from the
   * stream and answered here (createGroups). Empty but for failures.
   */
  private readonly leftPending = new Map<string, Set<string>>();
  /**
   * Per command stream, entries of leftPending whose group vanished: in no pending list any more, they are read from
   * the stream and answered at each pass over the pending entries until one answer goes out.
   */
  private readonly orphans = new Map<string, Set<string>>();
  /**
   * Per command stream whose pending entries are being read (readPending()), the entries acknowledged since that read
   * began. Reads and acks go on two connections: Redis may list an entry before its ack, and the ack's answer may come
   * (the entry no longer in flight) before the list's. Such an entry was answered: passed over, never answered again.
   */
  private readonly ackedWhileListing = new Map<string, Set<string>>();
  /** Read this consumer's pending entries before new ones (start, reconnect, a failed reply or ack). */
  private needPending = true;
  private seenReconnects = 0;
  private lastClaimMs = -Infinity;
  private lastUnreadCheckMs = -Infinity;
  /** The entries pending at the other consumers (given back to them when the group is made again). */
  private readonly pendingWatch: GroupPendingWatch;
  private readonly pendingWatchMs: number;
  private lastPendingWatchMs = -Infinity;
  /** Whether each group is still the one read from (one made again by someone else is never seen missing). */
  private readonly groupMark: GroupMark;
  private groupMarkFailed = false;
  /** Per command stream, a group found made again whose skipped commands are not yet all read (recoverSkipped()). */
  private readonly skipped = new Map<string, GroupReplaced>();
  /** Per command stream, a group being made: what it is made with, kept until Redis's answer to the create came. */
  private readonly creating = new Map<string, { readonly from: string; readonly look: PendingLook | undefined }>();
  /** Per command stream, a group made again whose other consumers' entries are not yet given back (madeAgain()). */
  private readonly remade = new Map<string, { readonly from: string; readonly look: PendingLook | undefined }>();
  private pendingWatchFailed = false;
  /** Per command stream, the newest max-deleted-entry-id reported as deleted unread (reported once). */
  private readonly deletedReported = new Map<string, string>();
  private unreadCheckFailed = false;
  private lastMalformedLogMs = -Infinity;
  private lastLostLogMs = -Infinity;
  /**
   * Per command stream, the entries counted lost (lostEntry()), malformed or refused (and in rejects_total) whose ack
   * has not gone out yet: one read again (its reply or ack failed) is not counted, nor logged, a second time
   * (firstCount()). An entry leaves once acknowledged.
   */
  private readonly counted = new Map<string, Set<string>>();
  /**
   * Per command stream, the entries of `counted` acknowledged since the last check of the group marks began (their
   * refusal answered, counted): a group found made again by someone else at the next check has the range above its last
   * delivered id at the check before read from the stream, which holds them — they are passed over there, neither
   * answered nor counted again (groupReplaced()). Turned at each check (checkMarks()); only refused, malformed and lost
   * entries: nothing per command.
   */
  private answeredCounted = new Map<string, Set<string>>();
  /** Per command stream, answeredCounted as it was at the check that found the group made again (groupReplaced()). */
  private readonly skippedAnswered = new Map<string, Set<string>>();
  private outage = false;

  constructor(private readonly o: CommandIntakeOptions) {
    this.cmd = o.connect('commands');
    this.reads = o.connect('command-reads');
    for (const s of o.strategies) {
      const key = o.keys.commands(s);
      this.keyOf.set(s, key);
      this.strategyOfKey.set(key, s);
      this.strategyCheck.set(s, (intent) => (intent.strategy !== s
        ? { ok: false, code: 'STRATEGY_MISMATCH', message: `the order names strategy ${intent.strategy} on the stream of ${s}`, field: 'strategy' }
        : undefined));
    }
    this.blockMs = o.blockMs ?? 1000;
    this.maxInFlight = o.maxInFlight ?? 4 * o.batch;
    this.pendingWatch = new GroupPendingWatch(o.group, o.consumer, [...this.keyOf.values()]);
    this.pendingWatchMs = o.pendingWatchMs ?? 1000;
    this.groupMark = new GroupMark(o.group, o.consumer, [...this.keyOf.values()]);
  }

  /** Start reading (returns at once; the intake connects and retries in the background). Once per intake. */
  start(): void {
    if (this.running !== undefined || this.ended || this.o.strategies.length === 0) return;
    this.stopping = false;
    this.stopped = new Promise((resolve) => (this.signalStop = resolve));
    this.running = this.loop();
  }

  /**
   * Stop reading; commands in flight finish (their replies and acks are sent when Redis answers, else they stay
   * pending and are answered from the ledger after the next start). Closes the connections.
   */
  async stop(): Promise<void> {
    this.ended = true;
    this.stopping = true;
    this.signalStop();
    const running = this.running;
    this.running = undefined;
    for (const w of this.roomWaiters.splice(0)) w();
    await running;
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.flushing;
    await Promise.allSettled([this.reads.close(), this.cmd.close()]);
    this.groupsReady = false;
  }

  status(): CommandIntakeStatus {
    return {
      up: this.groupsReady && this.cmd.up && this.reads.up,
      ...this.counts,
      pendingElsewhere: this.pendingWatch.pendingElsewhere(),
      pending: this.inFlight.size,
      reconnects: this.cmd.reconnects + this.reads.reconnects,
    };
  }

  /** Counters and gauges on the daemon's registry. */
  registerMetrics(registry: Registry): void {
    const status = (): CommandIntakeStatus => this.status();
    new Counter({
      name: 'switchyard_redis_commands_total', help: 'Redis command stream entries by result: processed, refused, malformed, replayed (answered from the ledger), failed (INTERNAL), lost (gone from the stream before it was handled or read: unanswerable). A refused or malformed entry counts once, also when read again; only after a restart that found its consumer group made again while the daemon was down may one answered before the stop count again (refusals are not journaled).',
      labelNames: ['result'], registers: [registry],
      collect() {
        this.reset();
        const s = status();
        this.inc({ result: 'processed' }, s.processed);
        this.inc({ result: 'refused' }, s.refused);
        this.inc({ result: 'malformed' }, s.malformed);
        this.inc({ result: 'replayed' }, s.replayed);
        this.inc({ result: 'failed' }, s.failed);
        this.inc({ result: 'lost' }, s.lost);
      },
    });
    new Counter({
      name: 'switchyard_redis_commands_lost_unknown_total', help: 'Times commands were found gone from a command stream before the consumer group read them in a number Redis cannot tell: deleted (at least one lost), or trimmed while the group\'s read counter was unknown (perhaps none).', registers: [registry],
      collect() {
        this.reset();
        this.inc(status().lostUnknown);
      },
    });
    new Gauge({
      name: 'switchyard_redis_commands_in_flight', help: 'Redis commands read and not yet acknowledged by this daemon.', registers: [registry],
      collect() {
        this.set(status().pending);
      },
    });
    new Counter({
      name: 'switchyard_redis_command_reconnects_total', help: 'Reconnects of the command intake\'s Redis connections.', registers: [registry],
      collect() {
        this.reset();
        this.inc(status().reconnects);
      },
    });
    new Counter({
      name: 'switchyard_redis_command_reply_failures_total', help: 'Replies and acks that failed (their commands stay pending and are answered again).', registers: [registry],
      collect() {
        this.reset();
        this.inc(status().replyFailures);
      },
    });
    new Counter({
      name: 'switchyard_redis_command_groups_made_again_total', help: 'Times a command consumer group found missing (XGROUP DESTROY, its stream deleted) was made again after commands had been read from it, or was found made again by someone else (its commands skipped were read from the stream).', registers: [registry],
      collect() {
        this.reset();
        this.inc(status().groupsMadeAgain);
      },
    });
    new Gauge({
      name: 'switchyard_redis_commands_pending_elsewhere', help: 'Command stream entries pending at the consumer group\'s other consumers (one that died: claimed once idle past claimIdleMs), as last looked at.', registers: [registry],
      collect() {
        this.set(status().pendingElsewhere);
      },
    });
    new Gauge({
      name: 'switchyard_redis_commands_up', help: '1 when the command intake is connected and its groups exist.', registers: [registry],
      collect() {
        this.set(status().up ? 1 : 0);
      },
    });
  }

  // ---- reading ----

  private async loop(): Promise<void> {
    let backoff = 50;
    while (!this.stopping) {
      try {
        // node-redis retries a first connection in the background; stop() must not wait for it
        await Promise.race([Promise.all([this.cmd.connect(), this.reads.connect()]), this.stopped]);
        if (this.stopping) break;
        if (!this.groupsReady) await this.createGroups();
        const reconnects = this.cmd.reconnects + this.reads.reconnects;
        if (reconnects !== this.seenReconnects) {
          this.seenReconnects = reconnects;
          this.needPending = true;
        }
        if (this.needPending) {
          this.needPending = false;
          await this.checkUnread();
          await this.readPending();
        }
        const now = this.o.clock.monoMs();
        if (now - this.lastClaimMs >= this.o.claimIdleMs / 2) {
          this.lastClaimMs = now;
          if (now - this.lastUnreadCheckMs >= this.o.claimIdleMs / 2) await this.checkUnread();
          await this.claimIdle();
        }
        if (now - this.lastPendingWatchMs >= this.pendingWatchMs) await this.watchPending();
        await this.room();
        if (this.stopping) break;
        // raw, as every read: an entry's fields as sent (a field given twice is seen, not one of its values kept), as
        // bytes (one that is not UTF-8 is seen, not decoded with U+FFFD in its place)
        const res = await this.reads.client.sendCommand(['XREADGROUP', 'GROUP', this.o.group, this.o.consumer, 'COUNT', String(this.o.batch),
          'BLOCK', String(this.blockMs), 'STREAMS', ...this.keyOf.values(), ...this.o.strategies.map(() => '>')], AS_BYTES);
        this.take(res);
        if (this.outage) this.o.log.info({ consumer: this.o.consumer }, 'redis command intake reading again');
        this.outage = false;
        backoff = 50;
      } catch (err) {
        if (this.stopping) break;
        this.needPending = true;
        if (String(err).includes('NOGROUP')) this.groupsReady = false; // a stream deleted under us: made again
        if (!this.outage) this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis command intake: read failed, retrying');
        this.outage = true;
        await Promise.race([pause(backoff), this.stopped]);
        backoff = Math.min(2000, backoff * 2);
      }
    }
  }

  /**
   * Make each stream's group where missing: at the stream's start ('0': the commands sent before the daemon first read
   * them) — or, for a group that vanished (XGROUP DESTROY, the stream deleted, Redis restarted without its data), after
   * the newest entry read from that stream (by this intake, or executed as the journaled ledger holds, or pending at
   * another consumer when last looked at), when the stream still is the one read (its ids went that far): from '0' the
   * group would deliver every command still in the stream again as new, and those the ledger no longer remembers (more
   * than its window) would execute a second time. The entries pending at other consumers when last looked at are given
   * back to them (group-pending-watch.ts): claimed once idle, as they would have been; those gone from the stream are
   * handled as entries gone while pending (lostEntry()). Told: a warning, and groupsMadeAgain.
   */
  private async createGroups(): Promise<void> {
    const madeNow = new Set<string>();
    for (const [strategy, key] of this.keyOf) {
      // a create whose answer was lost (the connection cut): Redis may have carried it out — the group found there now
      // is the one it made, from where it made it
      const unanswered = this.creating.get(key);
      const look = unanswered !== undefined ? unanswered.look : this.pendingWatch.look(key);
      let from: string;
      if (unanswered !== undefined) from = unanswered.from;
      else {
        let elsewhere: string | undefined;
        if (look !== undefined) for (const e of look.entries) if (elsewhere === undefined || compareEntryIds(e.id, elsewhere) > 0) elsewhere = e.id;
        from = await this.groupStart(key, elsewhere);
      }
      this.creating.set(key, { from, look });
      let made: boolean;
      try {
        await this.cmd.client.xGroupCreate(key, this.o.group, from, { MKSTREAM: true });
        made = true;
      } catch (err) {
        if (!String(err).includes('BUSYGROUP')) {
          // never sent (the connection down): nothing was made; else kept in `creating`: carried out or not, the next
          // pass tells
          if (err instanceof ClientOfflineError || err instanceof ClientClosedError) this.creating.delete(key);
          throw err;
        }
        made = unanswered !== undefined;
      }
      this.creating.delete(key);
      if (made) {
        madeNow.add(key);
        // made again (it was there while this intake ran, or the ledger holds commands read from it): told once the
        // entries of its other consumers are given back (madeAgain)
        if (from !== '0' || this.lastRead.has(key) || look !== undefined) this.remade.set(key, { from, look });
        // the group delivers what comes after `from` as new: an entry above it was not read before
        if (from === '0') this.lastRead.delete(key);
        else this.lastRead.set(key, from);
        this.orphanLeftPending(key);
        this.needPending = true;
      } else {
        // the group there is the one read before (this run's, or the journaled ledger's): an entry it delivers as new
        // at or below the last one read was delivered before (a Redis restarted from an older save, a failover to a
        // replica behind): handled as one delivered again (see take()). The ledger's last recorded, not its newest id:
        // after a stream made again with lower ids, the newest is of the old stream, which the new one is below
        const executed = this.o.ledger.latestEntry(this.strategyOfKey.get(key)!);
        const read = this.lastRead.get(key);
        if (executed !== undefined && (read === undefined || compareEntryIds(executed, read) > 0)) this.lastRead.set(key, executed);
      }
      // after a failure here (Redis down) the group is there at the next pass: given back then
      if (this.remade.has(key)) await this.madeAgain(strategy, key);
    }
    // these groups are the ones read from now: marked, and where they are noted (group-mark.ts). One found (not made)
    // without its mark was made again by someone else: since the check before, or while no intake ran (at a start: its
    // skipped commands are read when this daemon's ledger holds commands of the stream — see groupReplaced())
    await this.checkMarks(madeNow);
    this.groupsReady = true;
    await this.recoverSkipped();
  }

  /**
   * A group made again: the entries pending at other consumers when last looked at are pending at them again; those
   * gone from the stream are handled as entries gone while pending (lostEntry(): answered from the ledger when it knows
   * them, else counted lost). Counted and logged.
   */
  private async madeAgain(strategy: string, key: string): Promise<void> {
    const { from, look } = this.remade.get(key)!;
    const { restored, missing } = await this.pendingWatch.restore(this.cmd.client, key, look, this.o.clock.monoMs());
    this.remade.delete(key);
    this.counts.groupsMadeAgain++;
    this.o.log.warn({
      strategy, stream: key, group: this.o.group, from, restored: restored.length, restoredTo: [...new Set(restored.map((e) => e.consumer))],
      goneFromStream: missing.length,
    }, 'redis command group was missing (XGROUP DESTROY, or its stream deleted): made again after the newest entry read; the entries pending at other consumers when last looked at are pending at them again (claimed once idle), those gone from the stream are answered from the ledger or counted lost');
    for (const e of missing) this.entry(strategy, key, { id: e.id, message: null, fields: 0 }, true);
  }

  /**
   * A stream's group vanished or was made again: its pending list, and this intake's entries left pending there, went
   * with it. Those entries become orphans (answerOrphans()). Returns them (undefined: none).
   */
  private orphanLeftPending(key: string): ReadonlySet<string> | undefined {
    const left = this.leftPending.get(key);
    if (left === undefined) return undefined;
    this.leftPending.delete(key);
    const o = this.orphans.get(key);
    if (o === undefined) this.orphans.set(key, new Set(left));
    else for (const id of left) o.add(id);
    return left;
  }

  /**
   * The entries this intake left pending in a group that vanished (orphans): no group delivers them again, so each is
   * read from the stream and handled as delivered again (answered from the ledger; one gone from the stream as
   * lostEntry() says). Its ack then finds no pending entry (the new group never delivered it): harmless.
   */
  private async answerOrphans(key: string): Promise<void> {
    const ids = this.orphans.get(key);
    if (ids === undefined || ids.size === 0) return;
    const strategy = this.strategyOfKey.get(key)!;
    for (const id of [...ids]) {
      await this.room();
      if (this.stopping) return;
      const found = rawEntryList(await this.cmd.client.sendCommand(['XRANGE', key, id, id], AS_BYTES));
      const e = found[0] ?? { id, message: null, fields: 0 };
      this.o.log.info({ stream: key, entry: id }, 'redis command left pending in a consumer group that vanished: answered again');
      this.entry(strategy, key, e, true);
    }
  }

  /**
   * Entries that left a command stream before the consumer group delivered them: trimmed by a sender's XADD MAXLEN
   * (the daemon down, or behind, while more than MAXLEN commands came) or deleted. No read ever returns them, so
   * nothing else would tell. Found (UNREAD_SCRIPT, atomic) from Redis 7's counters: nothing is reported for a stream
   * from which nothing was ever removed, nor when the only entries removed after the group's last delivered one are
   * known to be none. Counted lost when Redis can tell how many, else counted in lostUnknown; logged each time with
   * what to do. (Redis before 7 has no such counters: nothing is found.)
   */
  private async checkUnread(): Promise<void> {
    this.lastUnreadCheckMs = this.o.clock.monoMs();
    let found: unknown;
    try {
      const args = UNREAD_SCRIPT.call(0);
      args.push(this.o.group, ...this.keyOf.values());
      found = await UNREAD_SCRIPT.run(this.cmd.client, args);
      this.unreadCheckFailed = false;
    } catch (err) {
      // never in the way of reading: a failure of the connection fails the read that comes next
      if (!this.unreadCheckFailed) this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis command intake: could not check the command streams for commands trimmed before they were read');
      this.unreadCheckFailed = true;
      return;
    }
    if (!Array.isArray(found)) return;
    for (const row of found as unknown[]) {
      if (!Array.isArray(row)) continue;
      const [key, kind, count, groupAt, upTo, removed] = row.map(String) as [string, string, string, string, string, string];
      const strategy = this.strategyOfKey.get(key);
      if (strategy === undefined) continue;
      if (kind === 'deleted') {
        // the same deletion is found again until the group reads past it: reported once
        const reported = this.deletedReported.get(key);
        if (reported !== undefined && compareEntryIds(upTo, reported) <= 0) continue;
        this.deletedReported.set(key, upTo);
      }
      const lost = Number(count);
      if (lost > 0) this.counts.lost += lost;
      else this.counts.lostUnknown++;
      const obj = { strategy, stream: key, group: this.o.group, lost: lost > 0 ? lost : 'unknown', groupLastDelivered: groupAt, removedFromStream: Number(removed) };
      if (kind === 'deleted') {
        this.o.log.warn({ ...obj, maxDeletedEntry: upTo },
          'redis commands lost: entries of the command stream were deleted (XDEL) before the consumer group read them: never executed, never answered (their clients time out); find what deletes them');
      } else {
        const what = lost > 0
          ? `redis commands lost: ${lost} entries of the command stream were trimmed before the consumer group read them`
          : 'redis commands may have been lost: entries of the command stream were trimmed up to one above the last the consumer group delivered, and Redis cannot tell whether any of them were trimmed before the consumer group read them (its read counter is unknown)';
        this.o.log.warn({ ...obj, firstEntry: upTo },
          `${what} (a sender's XADD MAXLEN, while the daemon was down or behind): never executed, never answered (their clients time out); raise the senders' MAXLEN on this stream far above what can come while the daemon is down, or fix the sender that trims it`);
      }
    }
  }

  /**
   * Where a group made now starts (see createGroups): after the newest entry read, executed, or pending at another
   * consumer (`elsewhere`: given back to it, never delivered again as new).
   */
  private async groupStart(key: string, elsewhere: string | undefined): Promise<string> {
    const read = this.lastRead.get(key);
    const executed = this.o.ledger.newestEntry(this.strategyOfKey.get(key)!);
    let seen = read === undefined || (executed !== undefined && compareEntryIds(executed, read) > 0) ? executed : read;
    if (elsewhere !== undefined && (seen === undefined || compareEntryIds(elsewhere, seen) > 0)) seen = elsewhere;
    if (seen === undefined) return '0';
    let info: unknown;
    try {
      info = await this.cmd.client.sendCommand(['XINFO', 'STREAM', key]);
    } catch (err) {
      if (String(err).includes('no such key')) return '0'; // the stream is gone: whatever comes is new
      throw err;
    }
    const last = Array.isArray(info) ? info[info.indexOf('last-generated-id') + 1] : undefined;
    // a stream whose ids never reached the one read is another stream (made again since): all of it is new
    return typeof last === 'string' && compareEntryIds(last, seen) >= 0 ? seen : '0';
  }

  /** Look at the entries pending at the other consumers (see createGroups); a failure is never in the way of reading. */
  private async watchPending(): Promise<void> {
    const now = this.o.clock.monoMs();
    this.lastPendingWatchMs = now;
    // before the pending list is looked at again: the last look is the old group's, given back in the new one
    await this.checkGroupMarks();
    try {
      await this.pendingWatch.refresh(this.cmd.client, now);
      this.pendingWatchFailed = false;
    } catch (err) {
      if (!this.pendingWatchFailed) this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis command intake: could not look at the entries pending at other consumers');
      this.pendingWatchFailed = true;
    }
  }

  /** Whether each group is still the one read from (group-mark.ts); a failure is never in the way of reading. */
  private async checkGroupMarks(): Promise<void> {
    try {
      await this.checkMarks(NONE_MADE);
      this.groupMarkFailed = false;
    } catch (err) {
      if (!this.groupMarkFailed) this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis command intake: could not check that the command consumer groups are the ones read from');
      this.groupMarkFailed = true;
      return;
    }
    await this.recoverSkipped();
  }

  /**
   * The marks checked (group-mark.ts `made`: the groups made now), each group found made again noted with the refused,
   * malformed and lost entries answered since the check before (answeredCounted: a generation turned here — those
   * answered before that check lie at or below the last delivered id it saw, outside any range read later). A failed
   * check leaves the check before the one a range starts at: what was answered since is kept.
   */
  private async checkMarks(made: ReadonlySet<string>): Promise<void> {
    const older = this.answeredCounted;
    this.answeredCounted = new Map();
    let replaced: GroupReplaced[];
    try {
      replaced = await this.groupMark.check(this.cmd.client, made);
    } catch (err) {
      for (const [key, ids] of older) {
        const now = this.answeredCounted.get(key);
        if (now === undefined) this.answeredCounted.set(key, ids);
        else for (const id of ids) now.add(id);
      }
      throw err;
    }
    for (const r of replaced) this.noteSkipped(r, older.get(r.stream));
  }

  /**
   * A group found made again, kept until what it skipped is read (a failure on the way: read again at the next check).
   * Found again before that, the range kept is both's: from the older last delivered id to the newer group's.
   */
  private noteSkipped(r: GroupReplaced, answered: ReadonlySet<string> | undefined): void {
    if (answered !== undefined) {
      const was = this.skippedAnswered.get(r.stream);
      if (was === undefined) this.skippedAnswered.set(r.stream, new Set(answered));
      else for (const id of answered) was.add(id);
    }
    const kept = this.skipped.get(r.stream);
    if (kept === undefined) this.skipped.set(r.stream, r);
    else this.skipped.set(r.stream, { stream: r.stream, before: kept.before, now: compareEntryIds(r.now, kept.now) > 0 ? r.now : kept.now });
  }

  /** Read what each group found made again skipped (groupReplaced()); each is forgotten once done. */
  private async recoverSkipped(): Promise<void> {
    for (const [key, r] of [...this.skipped]) {
      if (await this.groupReplaced(this.strategyOfKey.get(key)!, r)) {
        this.skipped.delete(key);
        this.skippedAnswered.delete(key);
      }
      if (this.stopping) return;
    }
  }

  /**
   * A group destroyed and made again by someone else, never seen missing (group-mark.ts): it delivers only what came
   * after its creation. What it skipped is read from the stream — every entry above the old group's last delivered id
   * at the check before, up to the new group's last delivered id — and handled as delivered again (answered from the
   * ledger when executed, never executed twice: by request id and client order id); those this daemon handled under
   * that entry (the ledger holds it by entry id) or is handling are left alone, as are the refused, malformed and lost
   * entries it answered since the check before (checkMarks(): neither answered nor counted again). The entries pending
   * at other consumers when last looked at are pending at them again (as madeAgain()); this intake's own left pending
   * are answered from the stream (orphans). Counted in groupsMadeAgain and logged. Returns false when it could not finish (stopped).
   *
   * Made again while no intake ran (`before` undefined: found unmarked at the start, without this consumer): when the
   * journaled ledger holds no command of the stream (latestEntry()), it is a first start — nothing read before, nothing
   * skipped, nothing told. Else the old group's last delivered id is not known, nor which entries it held pending at
   * this daemon (delivered and not executed when it stopped or was killed: they may lie below the ledger's newest
   * entry, commands finishing out of order): the range read starts above the newest entry the ledger forgot
   * (forgottenEntry(): one not remembered up to it is refused COMMAND_OUTCOME_FORGOTTEN, as any delivered again), or
   * at the stream's start when it forgot none — commands the ledger does not hold are executed once (deduplicated by
   * request id and client order id as any delivered again); a refused or malformed entry answered before is answered
   * again (the same refusal: nothing is executed). Entries the ledger holds were executed, but the ledger cannot tell
   * one answered from one whose reply had not gone out when the daemon stopped: each is answered again from the ledger
   * (replayed, nothing executed) unless its reply is found in its client's reply stream (answerUnsent(): at least once,
   * a client may get a second reply to a request it had its answer to). A stream whose ids never reached the ledger's latest
   * entry is another stream (deleted and made again): all of it up to the group's last delivered id is new, read as
   * new (the old stream's entry ids and forgotten outcomes say nothing of it), and what the group delivers next is not
   * taken for delivered before. The same holds for a daemon upgraded from a version without marks whose consumer was
   * deleted from the group (group-mark.ts): the group is the same, and taking it for one made again is harmless (read
   * again, answered from the ledger, none executed twice).
   *
   * Entries of the range trimmed from the stream (its first entry above the last one known read, entries removed) may
   * have been commands never read: counted in lostUnknown and logged (how many is not known).
   */
  private async groupReplaced(strategy: string, r: GroupReplaced): Promise<boolean> {
    const key = r.stream;
    const atStart = r.before === undefined;
    let from = r.before === undefined ? '-' : `(${r.before}`;
    /** The newest entry known read from this stream (entries trimmed above it were perhaps never read). */
    let readUpTo = r.before;
    let sameStream = true;
    if (r.before === undefined) {
      const latest = this.o.ledger.latestEntry(strategy);
      if (latest === undefined) return true; // a first start: nothing read from this stream before
      const made = streamField(await this.streamInfo(key), 'last-generated-id');
      if (typeof made === 'string' && compareEntryIds(made, latest) < 0) {
        // another stream: its ids never reached the one executed last
        sameStream = false;
        readUpTo = '0-0';
      } else {
        readUpTo = latest;
        const upTo = this.o.ledger.forgottenEntry(strategy);
        if (upTo !== undefined && compareEntryIds(upTo, latest) <= 0) from = `(${upTo}`;
      }
    }
    const look = this.pendingWatch.look(key);
    const { restored, missing } = await this.pendingWatch.restore(this.cmd.client, key, look, this.o.clock.monoMs());
    const left = this.orphanLeftPending(key);
    if (left !== undefined) this.needPending = true;
    const elsewhere = new Set(look?.entries.map((e) => e.id));
    // the entries this daemon handled (of this stream only: another stream's ids say nothing of it)
    const known = sameStream ? this.o.ledger.entryRecords(strategy) : undefined;
    /** At the start: the range's entries the ledger holds, whose replies may not have gone out (answerUnsent()). */
    const held: { id: string; rec: EntryRecord }[] = [];
    // refused, malformed and lost entries answered (and counted) since the check before: passed over (checkMarks())
    const answeredBefore = this.skippedAnswered.get(key);
    let recovered = 0;
    let after = from;
    for (;;) {
      await this.room();
      if (this.stopping) return false;
      const page = rawEntryList(await this.cmd.client.sendCommand(['XRANGE', key, after, r.now, 'COUNT', String(this.o.batch)], AS_BYTES));
      for (const m of page) {
        if (elsewhere.has(m.id) || this.inFlight.has(`${key} ${m.id}`) || answeredBefore?.has(m.id) === true
          || this.answeredCounted.get(key)?.has(m.id) === true) continue;
        const rec = known?.get(m.id);
        if (rec !== undefined) {
          // handled by this daemon: while it ran, answered (or left pending: an orphan, answered above); at the start,
          // perhaps stopped before its reply went out
          if (atStart) held.push({ id: m.id, rec });
          continue;
        }
        recovered++;
        this.entry(strategy, key, m, sameStream);
      }
      this.noteRead(key, page);
      if (page.length < this.o.batch) break;
      after = `(${page[page.length - 1]!.id}`;
    }
    const answeredAgain = held.length > 0 ? await this.answerUnsent(key, held) : 0;
    if (this.stopping) return false;
    // the group delivers what comes after its last delivered id as new (in another stream, none was read before)
    if (!sameStream) {
      if (r.now === '0-0') this.lastRead.delete(key);
      else this.lastRead.set(key, r.now);
    }
    const trimmed = readUpTo !== undefined && this.trimmedAbove(await this.streamInfo(key), readUpTo);
    if (trimmed) this.counts.lostUnknown++;
    this.counts.groupsMadeAgain++;
    const obj = {
      strategy, stream: key, group: this.o.group, lastDeliveredBefore: r.before, lastDeliveredNow: r.now, readFrom: from, recovered, answeredAgain,
      orphans: left?.size ?? 0, restored: restored.length, restoredTo: [...new Set(restored.map((e) => e.consumer))], goneFromStream: missing.length,
      trimmedUnread: trimmed ? 'unknown' : 0,
    };
    if (atStart) {
      this.o.log.warn({ ...obj, sameStream }, sameStream
        ? 'redis command group was made again while the daemon was down (found without its mark, though this daemon read from the stream before): the commands it skipped, and those this daemon had been delivered and not executed, were read from the stream and handled (none executed twice); those executed before whose reply is not in their client\'s reply stream were answered again from the ledger (replayed)'
        : 'redis command stream and group were made again while the daemon was down (the stream\'s ids never reached those read before): the commands of the new stream the group skipped were read and handled as new');
    } else {
      this.o.log.warn(obj, 'redis command group was made again by someone else (XGROUP DESTROY then CREATE, never seen missing): the commands it skipped were read from the stream and handled (those executed before answered from the ledger, none executed twice); the entries pending at other consumers when last looked at are pending at them again');
    }
    if (trimmed) {
      this.o.log.warn({ strategy, stream: key, group: this.o.group, readUpTo },
        'redis commands may have been lost: entries of the command stream above the last one known read were trimmed (a sender\'s XADD MAXLEN) while its consumer group was made again; whether any was never read cannot be told; raise the senders\' MAXLEN on this stream far above what can come while the daemon is down');
    }
    for (const e of missing) this.entry(strategy, key, { id: e.id, message: null, fields: 0 }, true);
    return true;
  }

  /**
   * At the start, a group found made again (groupReplaced()): the range's commands the ledger holds were executed, but
   * their replies may not have gone out when the daemon stopped (its journal durable, the reply not yet written), and
   * the old group's pending list, which held them, is gone. Each one's reply is looked for in its client's reply stream
   * (its request id, in a reply that is not JOURNAL_IO's: that one is no outcome, its entry had stayed pending to be
   * answered later): one found was answered, passed over. Every other one is answered again from the ledger — the
   * ledger's outcome, flagged replayed, nothing executed. Its reply may have gone out and left the reply stream since
   * (trimmed at replyMaxLen, deleted, expired after its client closed, or past what is read of it: repliedIn()): a client may
   * then get a second reply to a request it had its answer to, which the client library drops (a reply to a request it
   * no longer waits for: unmatchedReplies). So replies here are at least once, each entry of the range answered again at
   * most once per start (the range holds at most the ledger's window). A client's reply stream is read from the oldest
   * of its commands' entries on (a reply is written after its command's entry, on the same Redis clock; a clock gone
   * back: not found, answered again). A command recorded without its client (a record of a version that did not keep
   * it) cannot be answered: passed over, as before. Returns how many were answered again.
   */
  private async answerUnsent(key: string, held: readonly { id: string; rec: EntryRecord }[]): Promise<number> {
    const byClient = new Map<string, { id: string; rec: EntryRecord }[]>();
    for (const h of held) {
      if (h.rec.client === undefined) continue;
      let list = byClient.get(h.rec.client);
      if (list === undefined) byClient.set(h.rec.client, (list = []));
      list.push(h);
    }
    let answered = 0;
    for (const [client, list] of byClient) {
      // held is in id order: list[0] is the client's oldest entry of the range
      const replied = await this.repliedIn(client, list[0]!.id, new Set(list.map((h) => h.rec.requestId)));
      for (const { id, rec } of list) {
        if (replied.has(rec.requestId)) continue;
        await this.room();
        if (this.stopping) return answered;
        if (this.inFlight.has(`${key} ${id}`)) continue;
        answered++;
        this.counts.replayed++;
        // acknowledged: a no-op (the new group never delivered it)
        this.track(key, id, null, () => this.afterDurable({
          client, requestId: rec.requestId, body: this.replayBody(rec.outcome, rec.result === 'ids'), replayed: true, ack: true,
        }));
      }
    }
    return answered;
  }

  /**
   * Which of `wanted` (request ids) have a reply in `client`'s reply stream from entry id `from` on (at most
   * twice replyMaxLen and a page read), a JOURNAL_IO reply not counted. A reply key that is not a stream holds none.
   */
  private async repliedIn(client: string, from: string, wanted: ReadonlySet<string>): Promise<Set<string>> {
    const found = new Set<string>();
    const rkey = this.o.keys.replies(client);
    let start = from;
    let read = 0;
    // twice a reply stream's length (replyMaxLen, trimmed approximately) and a page: only a stream someone else filled
    // is cut short (the rest of its commands answered again)
    const most = 2 * this.o.replyMaxLen + REPLY_SCAN_PAGE;
    while (read < most && found.size < wanted.size) {
      let page: unknown;
      try {
        page = await this.cmd.client.sendCommand(['XRANGE', rkey, start, '+', 'COUNT', String(REPLY_SCAN_PAGE)]);
      } catch (err) {
        if (String(err).includes('WRONGTYPE')) return found;
        throw err;
      }
      if (!Array.isArray(page) || page.length === 0) break;
      for (const e of page as unknown[]) {
        if (!Array.isArray(e) || !Array.isArray(e[1])) continue;
        const flat = e[1] as unknown[];
        let requestId: string | undefined;
        let body: string | undefined;
        for (let i = 0; i + 1 < flat.length; i += 2) {
          if (flat[i] === 'requestId') requestId = String(flat[i + 1]);
          else if (flat[i] === 'body') body = String(flat[i + 1]);
        }
        if (requestId !== undefined && wanted.has(requestId) && !isJournalIoReply(body)) found.add(requestId);
      }
      read += page.length;
      if (page.length < REPLY_SCAN_PAGE) break;
      start = `(${String((page[page.length - 1] as unknown[])[0])}`;
    }
    return found;
  }

  /** XINFO STREAM of a command stream as a flat list (undefined: no such stream). */
  private async streamInfo(key: string): Promise<unknown[] | undefined> {
    try {
      const info = await this.cmd.client.sendCommand(['XINFO', 'STREAM', key]);
      return Array.isArray(info) ? info : undefined;
    } catch (err) {
      if (String(err).includes('no such key')) return undefined;
      throw err;
    }
  }

  /**
   * Whether entries above `readUpTo` were removed from a stream: some removed (entries-added above length: Redis 7) and
   * its first entry (none: every one) above it.
   */
  private trimmedAbove(info: unknown[] | undefined, readUpTo: string): boolean {
    if (info === undefined) return false;
    const added = streamField(info, 'entries-added');
    const length = streamField(info, 'length');
    if (typeof added !== 'number' || typeof length !== 'number' || added <= length) return false;
    const first = streamField(info, 'first-entry');
    const firstId = Array.isArray(first) ? String(first[0]) : undefined;
    return firstId === undefined || compareEntryIds(firstId, readUpTo) > 0;
  }

  /**
   * This consumer's pending entries (delivered before, never acknowledged), oldest first, page by page. An entry kept
   * as left pending (leftPending) that the whole list no longer holds, and that is not being handled, was acknowledged
   * after all — a flush Redis carried out whose answer was lost with the connection —: it is no longer kept (else the
   * group, made again, would have it read from the stream and answered a second time: createGroups).
   */
  private async readPending(): Promise<void> {
    for (const key of this.keyOf.values()) {
      await this.answerOrphans(key);
      const left = this.leftPending.get(key);
      const listed = left === undefined ? undefined : new Set<string>();
      const acked = new Set<string>();
      this.ackedWhileListing.set(key, acked);
      try {
        let after = '0';
        for (;;) {
          await this.room();
          if (this.stopping) return;
          // raw: an entry deleted after it was delivered comes back without fields, which node-redis's parser refuses
          const raw = await this.reads.client.sendCommand(['XREADGROUP', 'GROUP', this.o.group, this.o.consumer, 'COUNT', String(this.o.batch), 'STREAMS', key, after], AS_BYTES);
          const messages = rawStreams(raw)[0]?.entries ?? [];
          const strategy = this.strategyOfKey.get(key)!;
          for (const m of messages) {
            if (acked.has(m.id)) continue;
            listed?.add(m.id);
            this.entry(strategy, key, m, true);
          }
          this.noteRead(key, messages);
          if (messages.length < this.o.batch) break;
          after = messages[messages.length - 1]!.id;
        }
      } finally {
        this.ackedWhileListing.delete(key);
      }
      if (left !== undefined && listed !== undefined && this.leftPending.get(key) === left) {
        // not listed: acknowledged after all — or the list read was a group's made again by someone else, which never
        // had them (then they are kept, as orphans: groupReplaced)
        let unlisted = false;
        for (const id of left) if (!listed.has(id) && !this.inFlight.has(`${key} ${id}`)) unlisted = true;
        if (unlisted) await this.checkGroupMarks();
      }
      if (left !== undefined && listed !== undefined && this.leftPending.get(key) === left) {
        for (const id of [...left]) if (!listed.has(id) && !this.inFlight.has(`${key} ${id}`)) left.delete(id);
        if (left.size === 0) this.leftPending.delete(key);
      }
    }
  }

  /** Entries idle past claimIdleMs at any consumer (one that died under another name) become this one's. */
  private async claimIdle(): Promise<void> {
    for (const [strategy, key] of this.keyOf) {
      let cursor = '0-0';
      for (let round = 0; round < 100; round++) {
        await this.room();
        if (this.stopping) return;
        // raw: [next cursor, [[id, [field, value, ...] | nil], ...], [ids deleted (Redis 7)]]
        const r = await this.cmd.client.sendCommand(['XAUTOCLAIM', key, this.o.group, this.o.consumer, String(this.o.claimIdleMs), cursor,
          'COUNT', String(this.o.batch)], AS_BYTES);
        if (!Array.isArray(r)) break;
        // an entry deleted from the stream (nil on Redis 6.2) stays this consumer's: read again as such by readPending
        const claimed = rawEntryList(r[1]);
        for (const m of claimed) if (m.message !== null) this.entry(strategy, key, m, true);
        this.noteRead(key, claimed);
        // Redis 7 lists the entries deleted from the stream apart, and drops them from the pending entries itself:
        // answered from the ledger when it knows them, else counted lost (lostEntry)
        if (Array.isArray(r[2])) for (const id of r[2] as unknown[]) this.entry(strategy, key, { id: String(id), message: null, fields: 0 }, true);
        cursor = String(r[0]);
        if (cursor === '0-0') break;
      }
    }
  }

  /** The newest entry id read from a stream so far (a read's entries come in id order: its last is its newest). */
  private noteRead(key: string, entries: readonly RawEntry[]): void {
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    const seen = this.lastRead.get(key);
    if (seen === undefined || compareEntryIds(last.id, seen) > 0) this.lastRead.set(key, last.id);
  }

  private take(res: unknown): void {
    for (const stream of rawStreams(res)) {
      const strategy = this.strategyOfKey.get(stream.key);
      if (strategy === undefined) continue;
      // a group delivers new entries in id order, each once: one at or below the newest read from this stream came
      // before — the group went back (Redis restarted from an older save, a failover to a replica behind) — and may
      // have been executed: handled as delivered again (the ledger's answer, or COMMAND_OUTCOME_FORGOTTEN), never as new
      // (a read's entries come in id order: once one is above it, every one after it is too — compared no further)
      let seen = this.lastRead.get(stream.key);
      for (const m of stream.entries) {
        const before = seen !== undefined && compareEntryIds(m.id, seen) <= 0;
        if (!before) seen = undefined;
        this.entry(strategy, stream.key, m, before);
      }
      this.noteRead(stream.key, stream.entries);
    }
  }

  /** Resolves when fewer than maxInFlight commands are in flight (or at stop). */
  private room(): Promise<void> {
    if (this.inFlight.size < this.maxInFlight || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  // ---- one entry ----

  /**
   * Handle one entry (not awaited: its intake call is made now, synchronously). `redelivered`: read from the pending
   * entries (this consumer's, or claimed from another): it may have been executed before a crash.
   */
  private entry(strategy: string, key: string, e: RawEntry, redelivered: boolean): void {
    this.track(key, e.id, e.message, () => this.handle(strategy, e.id, e.message, e, redelivered));
  }

  /**
   * An entry's answer made (`make`, called now unless the entry is being handled), sent and acknowledged; the entry in
   * flight until then. A fault of the daemon's on the way is answered INTERNAL (`fields`: whom to answer).
   */
  private track(key: string, id: string, fields: Record<string, string> | null, make: () => Promise<Answer>): void {
    const tag = `${key} ${id}`;
    if (this.inFlight.has(tag)) return;
    let answer: Promise<Answer>;
    try {
      answer = make();
    } catch (err) {
      answer = Promise.reject(err);
    }
    this.inFlight.add(tag);
    // one reaction per entry: the answer goes into the outbox, and the flush that carries it releases the entry
    answer.then((a) => this.send(key, id, tag, a), (err: unknown) => {
      // a fault of the daemon's (as the HTTP API's INTERNAL): answered and acknowledged, never retried forever
      this.counts.failed++;
      this.o.log.error({ err, stream: key, id }, 'redis command failed');
      const client = typeof fields?.client === 'string' && WIRE_ID_RE.test(fields.client) ? fields.client : undefined;
      const requestId = typeof fields?.requestId === 'string' ? fields.requestId.slice(0, 64) : '';
      this.send(key, id, tag, { client, requestId, body: errorBody({ code: 'INTERNAL', message: 'internal error' }), replayed: false, ack: true });
    });
  }

  /** An entry handled: out of inFlight, a waiting read (room()) let go, stop() told once none is left. */
  private release(tag: string): void {
    this.inFlight.delete(tag);
    const w = this.roomWaiters.shift();
    w?.();
    if (this.inFlight.size === 0 && this.idleWaiters.length > 0) for (const idle of this.idleWaiters.splice(0)) idle();
  }

  /**
   * What the entry comes to. Synchronous up to the command's intake call (validation, ledger lookup, execution start):
   * the caller handles entries in stream order.
   */
  private handle(strategy: string, entryId: string, fields: Record<string, string> | null, e: RawEntry, redelivered: boolean): Promise<Answer> {
    const f = fields ?? {};
    const { fields: fieldCount, twice, notUtf8, nameNotUtf8 } = e;
    // a client or request id that is not UTF-8 was decoded with U+FFFD in its place: not the sender's, never echoed
    const client = typeof f.client === 'string' && WIRE_ID_RE.test(f.client) ? f.client : undefined;
    const rawId = typeof f.requestId === 'string' && notUtf8 !== 'requestId' ? f.requestId.slice(0, 64) : '';
    if (fields === null) return this.lostEntry(strategy, entryId);
    // bytes that are not UTF-8 were decoded with U+FFFD in their place: the text judged would not be what was sent
    if (nameNotUtf8 === true) return this.malformed(strategy, entryId, e, client, rawId, 'BAD_REQUEST', 'a field name of the entry is not UTF-8');
    if (notUtf8 !== undefined) return this.malformed(strategy, entryId, e, client, rawId, 'BAD_REQUEST', `${notUtf8.slice(0, 64)} is not UTF-8`, notUtf8.slice(0, 64));
    if (twice !== undefined) return this.malformed(strategy, entryId, e, client, rawId, 'BAD_REQUEST', `the entry has field ${twice.slice(0, 64)} more than once`, twice.slice(0, 64));
    // a field the protocol does not have (a misspelt `result`, say) would be ignored without a word: refused (counted
    // first: the names are looked at only when there are more fields than the entry's known ones)
    if (fieldCount > knownFields(f)) {
      for (const name in f) {
        if (!ENTRY_FIELDS.has(name)) return this.malformed(strategy, entryId, e, client, rawId, 'UNKNOWN_FIELD', `the entry has field ${name.slice(0, 64)}, which a command does not have (${[...ENTRY_FIELDS].join(', ')})`, name.slice(0, 64));
      }
    }
    if (client === undefined) return this.malformed(strategy, entryId, e, client, rawId, 'INVALID_FIELD', 'client must be 1 to 64 of A-Z a-z 0-9 _ . : -', 'client');
    if (!WIRE_ID_RE.test(rawId) || rawId !== f.requestId) return this.malformed(strategy, entryId, e, client, rawId, 'INVALID_FIELD', 'requestId must be 1 to 64 of A-Z a-z 0-9 _ . : -', 'requestId');
    const requestId = rawId;
    const op = f.op as CommandOp;
    if (!(COMMAND_OPS as readonly string[]).includes(op)) return this.malformed(strategy, entryId, e, client, rawId, 'INVALID_FIELD', `op must be one of ${COMMAND_OPS.join(', ')}`, 'op');
    if (typeof f.strategy !== 'string' || f.strategy === '') return this.malformed(strategy, entryId, e, client, rawId, 'INVALID_FIELD', 'strategy is missing', 'strategy');
    // (a UTF-16 unit is at most 3 bytes of UTF-8: a body of at most a third of the limit in units is not counted)
    if (typeof f.body !== 'string' || (3 * f.body.length > MAX_COMMAND_BODY_BYTES && Buffer.byteLength(f.body) > MAX_COMMAND_BODY_BYTES)) return this.malformed(strategy, entryId, e, client, rawId, 'PAYLOAD_TOO_LARGE', `body must be JSON text of at most ${MAX_COMMAND_BODY_BYTES} bytes`, 'body');
    let body: Record<string, unknown>;
    try {
      const parsed = parseJsonExact(f.body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return this.malformed(strategy, entryId, e, client, rawId, 'BAD_REQUEST', 'body must be a JSON object', 'body');
      body = parsed as Record<string, unknown>;
    } catch (err) {
      // a key given twice, the value dropped holding a number a double cannot hold: named (its path in the body), as
      // the API names it
      if (err instanceof DuplicateKeyError) return this.malformed(strategy, entryId, e, client, rawId, 'BAD_REQUEST', err.message, err.path);
      return this.malformed(strategy, entryId, e, client, rawId, 'BAD_REQUEST', 'body is not valid JSON', 'body');
    }
    const result = f.result;
    if (result !== undefined && !isResultShape(result)) return this.malformed(strategy, entryId, e, client, rawId, 'INVALID_FIELD', RESULT_SHAPE_EXPECTED, 'result');
    const ids = result === 'ids';
    if (f.strategy !== strategy) return this.refuse(strategy, entryId, op, client, requestId, 'STRATEGY_MISMATCH', `the command names strategy ${f.strategy.slice(0, 64)} on the stream of ${strategy}`, 'strategy');
    if (op === 'submit' && body.strategy !== undefined && body.strategy !== strategy) {
      return this.refuse(strategy, entryId, op, client, requestId, 'STRATEGY_MISMATCH', `the order names strategy ${String(body.strategy).slice(0, 64)} on the stream of ${strategy}`, 'strategy');
    }
    if (op === 'submit' && body.clientOrderId === undefined) {
      return this.refuse(strategy, entryId, op, client, requestId, 'INVALID_FIELD', 'a submit over Redis must carry a clientOrderId (it makes a submit recognisable after a restart)', 'clientOrderId');
    }

    // delivered again: answered from the ledger, or from the first delivery still executing — unless the request id
    // is plainly another command's (another op, a submit of another client order id, a cancel or amend of another
    // order): that is a reused request id, not a delivery again, and answering it with the other command's outcome
    // would report as done what never ran
    const recorded = this.o.ledger.get(strategy, requestId);
    if (recorded !== undefined) {
      const made = recorded.op === 'submit' && recorded.orderId !== undefined ? this.o.commands.get(recorded.orderId) : undefined;
      const firstWas: FirstCommand = { op: recorded.op, clientOrderId: made?.clientOrderId, target: recorded.op === 'submit' ? undefined : recorded.orderId };
      const reused = this.reusedRequestId(requestId, firstWas, op, body, strategy);
      if (reused !== undefined) return this.refuse(strategy, entryId, op, client, requestId, 'INVALID_FIELD', reused, 'requestId');
      this.counts.replayed++;
      // sent again under a new entry: the entry joins the record (journaled before the answer goes), so that it is
      // found by its id too once trimmed from the stream while pending (lostEntry())
      this.o.ledger.delivered(strategy, requestId, entryId, client, ids ? 'ids' : undefined);
      return this.afterDurable({ client, requestId, body: this.replayBody(recorded, ids), replayed: true, ack: true });
    }
    let executing = this.executing.get(strategy);
    if (executing === undefined) this.executing.set(strategy, (executing = new Map()));
    const first = executing.get(requestId);
    if (first !== undefined) {
      const reused = this.reusedRequestId(requestId, first, op, body, strategy);
      if (reused !== undefined) return this.refuse(strategy, entryId, op, client, requestId, 'INVALID_FIELD', reused, 'requestId');
      this.counts.replayed++;
      return first.run.then((a) => {
        if (!a.ack) return { ...a, replayed: true };
        // the first's outcome recorded: this entry joins its record (as above)
        this.o.ledger.delivered(strategy, requestId, entryId, client, ids ? 'ids' : undefined);
        return this.afterDurable({ ...a, replayed: true });
      });
    }
    // delivered again, not remembered, and no later than a command whose outcome the ledger forgot (pending while
    // more commands than it remembers were executed): it may have been executed, and executing it again could repeat
    // a cancel-all or undo a later amend. (A first delivery above the newest entry read never ran: a stream made again
    // after Redis lost its data may have ids below the old ones. One at or below it — a group gone back — is handled
    // as delivered again: take().)
    if (redelivered && this.o.ledger.forgotten(strategy, entryId)) {
      return this.refuse(strategy, entryId, op, client, requestId, 'COMMAND_OUTCOME_FORGOTTEN', `command ${requestId} was delivered again after the daemon forgot the outcomes of commands up to it (more than daemon.redis.commands.dedupeWindow were executed since): it may have been executed, so it is not executed again; follow its order's events`, 'requestId');
    }

    const run = this.execute(strategy, entryId, requestId, client, op, body, ids, redelivered);
    executing.set(requestId, { run, op, clientOrderId: typeof body.clientOrderId === 'string' ? body.clientOrderId : undefined, target: this.targetOf(op, body, strategy) });
    const forget = (): void => {
      executing.delete(requestId);
    };
    run.then(forget, forget);
    return run;
  }

  /**
   * A malformed entry's answer, acknowledged (nothing executed). Counted once (not again when read again: its reply or
   * ack failed); a submit's refusal in rejects_total too, as the API edges count a submit refused before it made an
   * order (an entry whose op is not `submit` names no order). A method, not a closure made per entry.
   */
  private malformed(strategy: string, entryId: string, e: RawEntry, client: string | undefined, requestId: string, code: CommandError['code'],
    message: string, field?: string): Promise<Answer> {
    const first = this.firstCount(strategy, entryId);
    if (first) {
      this.counts.malformed++;
      if (e.message?.op === 'submit' && e.notUtf8 !== 'op' && e.twice !== 'op') this.o.onSubmitRefused?.(code);
    }
    const now = this.o.clock.monoMs();
    if (first && now - this.lastMalformedLogMs >= 1000) {
      this.lastMalformedLogMs = now;
      this.o.log.warn({ strategy, code, field, malformed: this.counts.malformed }, 'redis command malformed: refused and acknowledged');
    }
    return Promise.resolve({ client, requestId, body: errorBody({ code, message, field }), replayed: false, ack: true });
  }

  /** A well-formed command refused without executing anything (counted once, as malformed()), acknowledged. */
  private refuse(strategy: string, entryId: string, op: CommandOp, client: string, requestId: string, code: CommandError['code'], message: string,
    field?: string): Promise<Answer> {
    if (this.firstCount(strategy, entryId)) {
      this.counts.refused++;
      if (op === 'submit') this.o.onSubmitRefused?.(code);
    }
    return Promise.resolve({ client, requestId, body: errorBody({ code, message, field }), replayed: false, ack: true });
  }

  /**
   * Execute (the intake call happens before the first await), record, make durable. `ids`: answers name the order by its
   * ids. `redelivered`: the entry came from the pending entries (see entry()).
   */
  private execute(strategy: string, entryId: string, requestId: string, client: string, op: CommandOp, body: Record<string, unknown>, ids: boolean,
    redelivered: boolean): Promise<Answer> {
    let result: Promise<Executed>;
    if (op === 'submit') {
      const cid = typeof body.clientOrderId === 'string' ? body.clientOrderId : undefined;
      // The dispatcher's decision without the journal's: finish() records the outcome in the ledger right after it
      // and waits once for both (the ledger's record comes after the order's in the journal, so it is never durable
      // without the order's). Waiting here as well put a second journal write between each submit and its reply.
      const queued = this.o.commands.enqueue(body, this.strategyCheck.get(strategy));
      result = (queued.ok ? this.o.commands.decided(queued.order) : Promise.resolve(queued)).then((r): Executed | Promise<Executed> => {
        if (!r.ok && r.code === 'DUPLICATE_CLIENT_ORDER_ID' && cid !== undefined && redelivered) {
          // a pending entry executed before the crash that lost its ledger record: the order it made is the answer. A
          // new entry (first delivery) that reuses a client order id is refused as the HTTP API refuses it: answering
          // it with the other order would tell its client that a command nothing executed had made an order
          const existing = this.o.commands.byClientOrderId(cid, strategy);
          if (existing !== undefined) return this.o.commands.settled(existing).then((again) => this.orderAnswer(op, again, ids, true));
        }
        if (!queued.ok) this.o.onSubmitRefused?.(queued.code);
        return this.orderAnswer(op, r, ids, false);
      });
    } else if (op === 'cancel') {
      const ref = orderRef(body, []);
      const found = 'ok' in ref ? ref : this.findOrder(ref, strategy);
      if (!found.ok) result = Promise.resolve(this.orderAnswer(op, found, ids, false));
      else {
        const r = this.o.commands.cancelById(found.order.id);
        result = Promise.resolve(this.orderAnswer(op, r, ids, false));
      }
    } else if (op === 'amend') {
      const ref = orderRef(body, ['price', 'quantity']);
      if ('ok' in ref) result = Promise.resolve(this.orderAnswer(op, ref, ids, false));
      else {
        const found = this.findOrder(ref, strategy);
        if (!found.ok) result = Promise.resolve(this.orderAnswer(op, found, ids, false));
        else {
          const terms: Record<string, unknown> = {};
          if (body.price !== undefined) terms.price = body.price;
          if (body.quantity !== undefined) terms.quantity = body.quantity;
          result = this.o.commands.amend(found.order.id, terms, strategy).then((r) => {
            const a = this.orderAnswer(op, r, ids, false);
            if (r.ok) a.body.pending = r.pending;
            return a;
          });
        }
      }
    } else {
      for (const k of Object.keys(body)) {
        if (k !== 'symbol' && k !== 'side') {
          return this.finish(strategy, entryId, requestId, client, ids, Promise.resolve(this.orderAnswer(op, { ok: false, code: 'UNKNOWN_FIELD', message: `unknown field ${k} (a cancel-all takes symbol and side)`, field: k }, ids, false)));
        }
      }
      if ((body.symbol !== undefined && typeof body.symbol !== 'string') || (body.side !== undefined && typeof body.side !== 'string')) {
        return this.finish(strategy, entryId, requestId, client, ids, Promise.resolve(this.orderAnswer(op, { ok: false, code: 'INVALID_FIELD', message: 'symbol and side must be strings' }, ids, false)));
      }
      const r = this.o.commands.cancelStrategy(strategy, body.symbol as string | undefined, body.side as string | undefined);
      result = Promise.resolve(r.ok
        ? { outcome: { op, ok: true, canceling: r.canceling, refused: r.refused }, body: { ok: true, canceling: r.canceling, refused: r.refused }, replayed: false }
        : this.orderAnswer(op, r, ids, false));
    }
    return this.finish(strategy, entryId, requestId, client, ids, result);
  }

  /**
   * An entry delivered (pending at this consumer, or claimed) that is no longer in its stream: trimmed (a sender's
   * XADD MAXLEN ~ went past it while it was pending) or deleted. Its fields are gone; what the ledger recorded for the
   * entry id is all that is left (the first entry of a command, or one its client sent it again under). Executed before
   * (its reply or ack failed): its recorded outcome is sent to the client that entry named, in the shape it asked
   * (`result`), as any command delivered again (replayed). Otherwise neither the command nor its client
   * can be known (it may even have been executed before a crash that lost its record): nothing can be answered, so it
   * is acknowledged, counted (`lost`, switchyard_redis_commands_total{result="lost"}) and logged with its stream and
   * entry id — its client times out; once, however often it is read again before its ack goes out (firstCount()).
   */
  private lostEntry(strategy: string, entryId: string): Promise<Answer> {
    const known = this.o.ledger.byEntry(strategy, entryId);
    if (known !== undefined && known.client !== undefined) {
      this.counts.replayed++;
      return this.afterDurable({ client: known.client, requestId: known.requestId, body: this.replayBody(known.outcome, known.result === 'ids'), replayed: true, ack: true });
    }
    // handled before (its ack did not go out: it was read again): counted and logged once
    const again = !this.firstCount(strategy, entryId);
    if (!again) this.counts.lost++;
    const now = this.o.clock.monoMs();
    if (!again && now - this.lastLostLogMs >= 1000) {
      this.lastLostLogMs = now;
      this.o.log.warn({ strategy, stream: this.o.keys.commands(strategy), entry: entryId, requestId: known?.requestId, lost: this.counts.lost },
        'redis command lost: its entry left the command stream (trimmed by XADD MAXLEN, or deleted) before the daemon handled it; its client cannot be known and gets no reply (it times out): give the command stream a MAXLEN far above what can wait unacknowledged');
    }
    return Promise.resolve({ client: undefined, requestId: known?.requestId ?? '', body: errorBody({ code: 'BAD_REQUEST', message: 'the entry left the stream before it was handled' }), replayed: false, ack: true });
  }

  /**
   * Whether this is the first time an entry is counted (lost, malformed, refused) since its ack last went out: false
   * for one read again because its reply or ack failed (see `counted`).
   */
  private firstCount(strategy: string, entryId: string): boolean {
    const key = this.keyOf.get(strategy)!;
    let counted = this.counted.get(key);
    if (counted === undefined) this.counted.set(key, (counted = new Set()));
    if (counted.has(entryId)) return false;
    counted.add(entryId);
    return true;
  }

  /**
   * Why a command cannot be a delivery again of the command first seen under its request id (undefined: it can be):
   * another op, a submit naming another client order id, or a cancel or amend of another order (what is not known of
   * either is not compared).
   */
  private reusedRequestId(requestId: string, first: FirstCommand, op: CommandOp, body: Record<string, unknown>, strategy: string): string | undefined {
    const again = (what: string): string => `requestId ${requestId} was used before for ${what}: a new command needs a new requestId (nothing was executed)`;
    if (first.op !== op) return again(`a ${first.op}`);
    if (op === 'submit' && first.clientOrderId !== undefined && body.clientOrderId !== first.clientOrderId) return again(`the submit of clientOrderId ${first.clientOrderId}`);
    if (op !== 'submit' && first.target !== undefined) {
      const target = this.targetOf(op, body, strategy);
      if (target !== undefined && target !== first.target) return again(`the ${op} of order ${first.target}`);
    }
    return undefined;
  }

  /** The order id a cancel or amend names (undefined: another op, or none found). */
  private targetOf(op: CommandOp, body: Record<string, unknown>, strategy: string): number | undefined {
    if (op !== 'cancel' && op !== 'amend') return undefined;
    const ref = orderRef(body, op === 'amend' ? ['price', 'quantity'] : []);
    if ('ok' in ref) return undefined;
    const found = this.findOrder(ref, strategy);
    return found.ok ? found.order.id : undefined;
  }

  /** The strategy's order a cancel or amend names, by the field it names it with (never one taken for the other). */
  private findOrder(ref: OrderRef, strategy: string): { ok: true; order: Order } | CommandError {
    return ref.orderId !== undefined
      ? this.o.commands.findOrError(String(ref.orderId), strategy, 'id')
      : this.o.commands.findOrError(ref.clientOrderId, strategy, 'clientOrderId');
  }

  /** Record the outcome (unless the journal failed under the command), make it durable, answer. */
  private finish(strategy: string, entryId: string, requestId: string, client: string, ids: boolean,
    result: Promise<Executed>): Promise<Answer> {
    // a chain, not an async function: one per command, and what an async frame would add to it is garbage
    return result.then((r) => {
      if (r.outcome.code === 'JOURNAL_IO') return { client, requestId, body: r.body, replayed: false, ack: false };
      if (r.replayed) this.counts.replayed++;
      else this.counts.processed++;
      this.o.ledger.add(strategy, requestId, r.outcome, entryId, client, ids ? 'ids' : undefined);
      return this.afterDurable({ client, requestId, body: r.body, replayed: r.replayed, ack: true });
    });
  }

  /** The answer once the journal holds everything so far; when it cannot, a JOURNAL_IO answer and no ack. */
  private afterDurable(a: Answer): Promise<Answer> {
    const durable = this.o.durable;
    if (durable === undefined) return Promise.resolve(a);
    let wait: Promise<void>;
    try {
      wait = durable();
    } catch {
      return Promise.resolve(notDurable(a));
    }
    return wait.then(() => a, () => notDurable(a));
  }

  /**
   * The outcome to record and the answer: the order named by its view, or (`ids`) by its orderId and clientOrderId;
   * `replayed`: the answer is a recorded one given again.
   */
  private orderAnswer(op: CommandOp, r: { ok: true; order: Order } | CommandError, ids: boolean, replayed: boolean): Executed {
    if (r.ok) return { outcome: { op, ok: true, orderId: r.order.id }, body: this.withOrder({ ok: true }, r.order, ids), replayed };
    const body = errorBody(r);
    if (r.order !== undefined) this.withOrder(body, r.order, ids);
    return { outcome: { op, ok: false, orderId: r.order?.id, code: r.code, message: r.message }, body, replayed };
  }

  /** `body` naming `order`: its view as `order`, or (`ids`) its `orderId` and `clientOrderId`. */
  private withOrder(body: Record<string, unknown>, order: Order, ids: boolean): Record<string, unknown> {
    if (ids) {
      body.orderId = order.id;
      body.clientOrderId = order.clientOrderId;
    } else {
      body.order = this.orderJson(order);
    }
    return body;
  }

  /** A recorded outcome as a reply: the order as it is now (`ids`: its orderId and clientOrderId). */
  private replayBody(o: CommandOutcome, ids: boolean): Record<string, unknown> {
    const order = o.orderId === undefined ? undefined : this.o.commands.get(o.orderId);
    if (o.ok) {
      if (o.op === 'cancel-all') return { ok: true, canceling: o.canceling ?? [], refused: o.refused ?? [] };
      return order === undefined ? { ok: true, orderId: o.orderId } : this.withOrder({ ok: true }, order, ids);
    }
    const body: Record<string, unknown> = { ok: false, error: { code: o.code ?? 'INTERNAL', message: o.message ?? '' } };
    if (order !== undefined) this.withOrder(body, order, ids);
    return body;
  }

  /** The order as the API shows it, as of now, as JSON text (written into the reply as it is: bodyJson). */
  private orderJson(order: Order): JsonText {
    return new JsonText(this.o.commands.viewJson(order));
  }

  // ---- replies and acks ----

  /** A client's reply stream (the last one's name kept: the replies of a flush are mostly to one client). */
  private replyKey(client: string): string {
    if (client !== this.lastReplyClient) {
      this.lastReplyClient = client;
      this.lastReplyKey = this.o.keys.replies(client);
    }
    return this.lastReplyKey;
  }

  /** The answer to the outbox (sent by the flush under way, or the next); the flush releases its entry (release()). */
  private send(key: string, id: string, tag: string, answer: Answer): void {
    this.outbox.push({ key, id, tag, answer });
    if (this.flushing === undefined) this.flushing = this.flushAll();
  }

  private async flushAll(): Promise<void> {
    try {
      while (this.outbox.length > 0) await this.flush();
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Which entries of a flushed batch stay pending (their reply failed — `all`: the call itself failed, else those at the
   * 1-based positions `failedAt` — or they were not to be acknowledged) and which were acknowledged (leftPending).
   * Entries acknowledged while their stream's pending list is being read are noted (ackedWhileListing). Nothing is
   * done per entry unless something failed, now or before, or a pending list is being read.
   */
  private notePending(batch: readonly Outgoing[], failedAt: readonly unknown[] | undefined, all: boolean): void {
    const anyLeft = all || failedAt !== undefined || this.leftPending.size > 0 || this.orphans.size > 0 || this.counted.size > 0
      || this.ackedWhileListing.size > 0 || batch.some((o) => !o.answer.ack);
    if (!anyLeft) return;
    const failed = failedAt === undefined ? undefined : new Set(failedAt.map(Number));
    for (let i = 0; i < batch.length; i++) {
      const out = batch[i]!;
      const stays = all || !out.answer.ack || (failed?.has(i + 1) ?? false);
      if (!stays) {
        this.ackedWhileListing.get(out.key)?.add(out.id);
        const lost = this.counted.get(out.key);
        if (lost?.delete(out.id) === true) {
          if (lost.size === 0) this.counted.delete(out.key);
          let answered = this.answeredCounted.get(out.key);
          if (answered === undefined) this.answeredCounted.set(out.key, (answered = new Set()));
          answered.add(out.id);
        }
      }
      const orphans = this.orphans.get(out.key);
      if (orphans?.has(out.id) === true) {
        // read from the stream, not from a pending list: answered once its reply is out
        if (!stays) {
          orphans.delete(out.id);
          if (orphans.size === 0) this.orphans.delete(out.key);
        }
        continue;
      }
      let ids = this.leftPending.get(out.key);
      if (stays) {
        if (ids === undefined) this.leftPending.set(out.key, (ids = new Set()));
        ids.add(out.id);
      } else if (ids !== undefined) {
        ids.delete(out.id);
        if (ids.size === 0) this.leftPending.delete(out.key);
      }
    }
  }

  /**
   * Every ready reply (XADD MAXLEN ~), then the acks of the entries whose reply went out, in one script call (one
   * command for the whole batch, however many replies). A reply that fails (its key holds another type...) leaves its
   * entry pending (it is read again and answered from the ledger); an entry is never acknowledged before its reply is
   * in Redis. When the call itself fails (Redis down), every entry of the batch stays pending.
   */
  private async flush(): Promise<void> {
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    try {
      const v = this.packed;
      v.begin();
      for (const out of batch) {
        const a = out.answer;
        v.push(out.key);
        v.push(out.id);
        v.push(a.client === undefined ? '' : this.replyKey(a.client));
        v.push(a.requestId);
        v.push(a.body.ok === true ? '1' : '0');
        v.push(bodyJson(a.body));
        v.push(a.replayed ? '1' : '0');
        v.push(a.ack ? '1' : '0');
      }
      const args = REPLY_SCRIPT.call(0);
      args.push(String(this.o.replyMaxLen), this.o.group, v.finish());
      let failed = 0;
      let firstError: unknown;
      let failedAt: readonly unknown[] | undefined;
      try {
        const r = await REPLY_SCRIPT.run(this.cmd.client, args);
        if (Array.isArray(r) && r.length > 0) {
          failed = r.length;
          failedAt = r;
          firstError = `replies not written for ${r.length} command(s) (their reply key holds another type?)`;
        }
      } catch (err) {
        failed = batch.length;
        firstError = err;
      }
      this.notePending(batch, failedAt, failed > 0 && failedAt === undefined);
      if (failed > 0) {
        this.counts.replyFailures += failed;
        this.needPending = true;
        this.o.log.warn({ err: firstError instanceof Error ? firstError.message : String(firstError), failed }, 'redis command replies or acks not sent: those commands stay pending');
      }
    } finally {
      for (const out of batch) this.release(out.tag);
    }
  }
}

/**
 * One flush of replies and acks: ARGV[1] MAXLEN of the reply streams, ARGV[2] the group, ARGV[3] the batch packed
 * (packed-strings.ts), 8 values per command: its stream, its entry id, its reply stream ('' for none), requestId, ok,
 * body, replayed, ack ('1': acknowledge once replied). Returns the positions (1-based) of the replies that could not
 * be written (those are not acknowledged).
 */
const REPLY_SCRIPT = new LuaScript(`
local failed = {}
local acks = {}
local order = {}
local v = cmsgpack.unpack(ARGV[3])
local n = #v
local i = 1
local at = 0
while i <= n do
  at = at + 1
  local sent = true
  if v[i + 2] ~= '' then
    local r = redis.pcall('XADD', v[i + 2], 'MAXLEN', '~', ARGV[1], '*', 'requestId', v[i + 3], 'ok', v[i + 4], 'body', v[i + 5], 'replayed', v[i + 6])
    if type(r) == 'table' and r.err then
      sent = false
      failed[#failed + 1] = at
    end
  end
  if sent and v[i + 7] == '1' then
    local k = v[i]
    if acks[k] == nil then
      acks[k] = {}
      order[#order + 1] = k
    end
    local ids = acks[k]
    ids[#ids + 1] = v[i + 1]
  end
  i = i + 8
end
for _, k in ipairs(order) do
  local ids = acks[k]
  for s = 1, #ids, 500 do
    redis.call('XACK', k, ARGV[2], unpack(ids, s, math.min(s + 499, #ids)))
  end
end
return failed
`);

/**
 * Entries removed from command streams before the group delivered them (checkUnread). ARGV[1] the group, ARGV[2..]
 * the streams. Per stream, from XINFO STREAM and the group's XINFO GROUPS entry (Redis 7: entries-added, entries-read,
 * max-deleted-entry-id; earlier versions have none: nothing found):
 *
 * - nothing ever removed (entries-added = length): nothing;
 * - the first entry (none: the last id made) above the group's last delivered one: every entry up to it is gone, and
 *   those above the group's are entries-added - length - entries-read (the group's counter: the entries up to its last
 *   delivered one; 0 at 0-0), unknown when the counter is. None (a sender's trim of what was read only): nothing.
 *   Else the group is moved to just below the first entry (nothing is left between: nothing is skipped) with its
 *   counter set to the entries before it: a read across the gap would leave it short by the gap (Redis 7.0 counts one
 *   per entry delivered), and the next gap would be counted with this one;
 * - else an entry above the group's last delivered one deleted (max-deleted-entry-id above it): lost, how many not
 *   known.
 *
 * Returns {stream, 'trimmed' | 'deleted', lost (-1: unknown), the group's last delivered id, the first entry (or the
 * last id made) | the newest deleted id, entries removed from the stream in all} per stream where some were found.
 */
const UNREAD_SCRIPT = new LuaScript(`
local function field(a, name)
  for i = 1, #a - 1, 2 do
    if a[i] == name then return a[i + 1] end
  end
  return nil
end
local function cmpNum(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end
local function cmp(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  local c = cmpNum(am, bm)
  if c ~= 0 then return c end
  return cmpNum(as, bs)
end
local function minusOne(d)
  local digits = {}
  for k = 1, #d do digits[k] = string.byte(d, k) - 48 end
  local k = #digits
  while digits[k] == 0 do
    digits[k] = 9
    k = k - 1
  end
  digits[k] = digits[k] - 1
  local r = table.concat(digits):gsub('^0+(%d)', '%1')
  return r
end
local function before(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if seq ~= '0' then return ms .. '-' .. minusOne(seq) end
  return minusOne(ms) .. '-18446744073709551615'
end
local group = ARGV[1]
local out = {}
for k = 2, #ARGV do
  local key = ARGV[k]
  local s = redis.pcall('XINFO', 'STREAM', key)
  if type(s) == 'table' and not s.err then
    local added = field(s, 'entries-added')
    local length = field(s, 'length')
    if type(added) == 'number' and type(length) == 'number' and added > length then
      local g
      for _, x in ipairs(redis.call('XINFO', 'GROUPS', key)) do
        if field(x, 'name') == group then g = x end
      end
      if g then
        local last = field(g, 'last-delivered-id')
        local read = field(g, 'entries-read')
        if last == '0-0' then read = 0 end
        local first = field(s, 'first-entry')
        local firstId = type(first) == 'table' and first[1] or nil
        local made = field(s, 'last-generated-id')
        local deleted = field(s, 'max-deleted-entry-id') or '0-0'
        local head = firstId or made
        if cmp(head, last) > 0 then
          local known = type(read) == 'number'
          local lost = known and added - length - read or -1
          if not known or lost > 0 then
            if firstId == nil then
              redis.call('XGROUP', 'SETID', key, group, made, 'ENTRIESREAD', string.format('%.0f', added))
            elseif cmp(deleted, firstId) < 0 then
              redis.call('XGROUP', 'SETID', key, group, before(firstId), 'ENTRIESREAD', string.format('%.0f', added - length))
            else
              redis.call('XGROUP', 'SETID', key, group, before(firstId))
            end
            out[#out + 1] = {key, 'trimmed', lost, last, head, added - length}
          end
        elseif cmp(deleted, last) > 0 then
          out[#out + 1] = {key, 'deleted', -1, last, deleted, added - length}
        end
      end
    end
  end
end
return out
`);

/** Reply stream entries read per XRANGE when looking for replies that went out (answerUnsent()). */
const REPLY_SCAN_PAGE = 1000;

/** Whether a reply's body is the JOURNAL_IO refusal (no outcome: its command's entry stayed pending). */
function isJournalIoReply(body: string | undefined): boolean {
  if (body === undefined || !body.includes('JOURNAL_IO')) return false;
  try {
    const b = JSON.parse(body) as { ok?: unknown; error?: { code?: unknown } };
    return b.ok === false && b.error?.code === 'JOURNAL_IO';
  } catch {
    return false;
  }
}

/** No group made now (a check of the marks while reading: group-mark.ts). */
const NONE_MADE: ReadonlySet<string> = new Set();

/** A field of a flat XINFO STREAM reply (undefined: absent). */
function streamField(info: readonly unknown[] | undefined, name: string): unknown {
  if (info === undefined) return undefined;
  for (let i = 0; i + 1 < info.length; i += 2) if (info[i] === name) return info[i + 1];
  return undefined;
}

/** The fields a command entry may have (src/bus/protocol.ts CommandFields). */
const ENTRY_FIELDS: ReadonlySet<string> = new Set(['requestId', 'client', 'op', 'strategy', 'body', 'result']);

/** How many of the fields a command entry may have `f` has. */
function knownFields(f: Record<string, string>): number {
  return (f.requestId !== undefined ? 1 : 0) + (f.client !== undefined ? 1 : 0) + (f.op !== undefined ? 1 : 0) + (f.strategy !== undefined ? 1 : 0)
    + (f.body !== undefined ? 1 : 0) + (f.result !== undefined ? 1 : 0);
}

/** A stream entry as read: its fields (null: deleted from the stream after delivery) and a field name given twice. */
interface RawEntry {
  readonly id: string;
  readonly message: Record<string, string> | null;
  /** The first field name that appears more than once (its values are then not to be chosen between). */
  readonly twice?: string | undefined;
  /** How many fields it has. */
  readonly fields: number;
  /** The first field whose value is not UTF-8 (its text in `message` has U+FFFD in place of the bytes sent). */
  readonly notUtf8?: string | undefined;
  /** A field's name is not UTF-8. */
  readonly nameNotUtf8?: boolean | undefined;
}

/**
 * The options of a read of entries: bulk strings as Buffers (node-redis would decode them as UTF-8, with U+FFFD in
 * place of bytes that are not), each checked (isUtf8) and decoded by rawEntryList.
 */
const AS_BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/**
 * A value read as bytes (AS_BYTES) as text; undefined when it is not UTF-8. Anything else as String() makes it. The
 * bytes are looked at only when their text has a U+FFFD (what decoding puts in place of bytes that are not UTF-8, and
 * a character a sender may send): a scan of the text costs less than isUtf8's call on every value.
 */
function utf8Text(v: unknown): string | undefined {
  if (!Buffer.isBuffer(v)) return String(v);
  const text = v.toString('utf8');
  return text.indexOf('\uFFFD') < 0 || isUtf8(v) ? text : undefined;
}

/** A raw XREADGROUP reply: [[key, [[id, [field, value, ...] | nil], ...]], ...] | nil. */
function rawStreams(raw: unknown): { key: string; entries: RawEntry[] }[] {
  if (!Array.isArray(raw)) return [];
  const out: { key: string; entries: RawEntry[] }[] = [];
  for (const stream of raw as unknown[]) {
    if (!Array.isArray(stream)) continue;
    out.push({ key: String(stream[0]), entries: rawEntryList(stream[1]) });
  }
  return out;
}

/** The names of ENTRY_FIELDS as bytes, by length (how a field name read as bytes is told without decoding it). */
const ENTRY_FIELD_BYTES: readonly (readonly { name: string; bytes: Buffer }[])[] = (() => {
  const byLength: { name: string; bytes: Buffer }[][] = [];
  for (const name of ENTRY_FIELDS) (byLength[name.length] ??= []).push({ name, bytes: Buffer.from(name, 'latin1') });
  return byLength;
})();

/** The field of ENTRY_FIELDS whose name these bytes are, or undefined (another name, or not bytes). */
function entryFieldName(v: unknown): string | undefined {
  if (!Buffer.isBuffer(v)) return undefined;
  const candidates = ENTRY_FIELD_BYTES[v.length];
  if (candidates === undefined) return undefined;
  for (const c of candidates) {
    let i = 0;
    while (i < v.length && v[i] === c.bytes[i]) i++;
    if (i === v.length) return c.name;
  }
  return undefined;
}

/**
 * A command entry's fields when every name is one of ENTRY_FIELDS (the entries senders write): the names told by
 * their bytes (none decoded), the values as utf8Text makes them, in an object of one shape. Undefined when a name is
 * another one (rawEntryList then makes the entry as it makes any: every name decoded).
 */
function knownEntry(id: string, flat: readonly unknown[]): RawEntry | undefined {
  const message = { requestId: undefined, client: undefined, op: undefined, strategy: undefined, body: undefined, result: undefined } as Record<string, string | undefined>;
  let twice: string | undefined;
  let notUtf8: string | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = entryFieldName(flat[i]);
    if (name === undefined) return undefined;
    if (twice === undefined && message[name] !== undefined) twice = name;
    const value = utf8Text(flat[i + 1]);
    if (value === undefined) notUtf8 ??= name;
    message[name] = value ?? String(flat[i + 1]);
  }
  return { id, message: message as Record<string, string>, twice, fields: flat.length >> 1, notUtf8 };
}

/** [[id, [field, value, ...] | nil], ...] as entries. */
function rawEntryList(list: unknown): RawEntry[] {
  if (!Array.isArray(list)) return [];
  const out: RawEntry[] = [];
  for (const e of list as unknown[]) {
    if (!Array.isArray(e)) continue;
    const id = String(e[0]);
    const flat = e[1];
    if (!Array.isArray(flat)) {
      out.push({ id, message: null, fields: 0 });
      continue;
    }
    const known = knownEntry(id, flat);
    if (known !== undefined) {
      out.push(known);
      continue;
    }
    const message: Record<string, string> = Object.create(null) as Record<string, string>; // a field named __proto__ is a field
    let twice: string | undefined;
    let notUtf8: string | undefined;
    let nameNotUtf8: boolean | undefined;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      let name = utf8Text(flat[i]);
      if (name === undefined) {
        name = String(flat[i]);
        nameNotUtf8 = true;
      }
      if (twice === undefined && Object.prototype.hasOwnProperty.call(message, name)) twice = name;
      const value = utf8Text(flat[i + 1]);
      if (value === undefined) notUtf8 ??= name;
      message[name] = value ?? String(flat[i + 1]);
    }
    out.push({ id, message, twice, fields: flat.length >> 1, notUtf8, nameNotUtf8 });
  }
  return out;
}

/** What a command came to: the outcome to record, the answer's body, and whether it is a recorded one given again. */
interface Executed {
  readonly outcome: CommandOutcome;
  readonly body: Record<string, unknown>;
  readonly replayed: boolean;
}

/** An answer whose outcome the journal could not make durable: JOURNAL_IO, and its entry left pending. */
function notDurable(a: Answer): Answer {
  return { ...a, ack: false, body: errorBody({ code: 'JOURNAL_IO', message: 'the journal could not be written: the command\'s outcome is not durable' }) };
}

/** JSON text made already (an order's view: orderViewJson), a value of a reply body. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * A reply body's JSON: what JSON.stringify gives of it, each JsonText value written as its text (an order's view is
 * made as text once, not as an object stringified again).
 */
export function bodyJson(body: Record<string, unknown>): string {
  // most bodies hold no JsonText (every answer by ids, every refusal): JSON.stringify's own text, made in one go
  let hasText = false;
  for (const k in body) {
    if (body[k] instanceof JsonText) {
      hasText = true;
      break;
    }
  }
  if (!hasText) return JSON.stringify(body);
  let out = '{';
  for (const k of Object.keys(body)) {
    const v = body[k];
    const text = v instanceof JsonText ? v.text : JSON.stringify(v) as string | undefined;
    if (text === undefined) continue; // undefined, a function: left out, as JSON.stringify does
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${text}`;
  }
  return `${out}}`;
}

function errorBody(e: Pick<CommandError, 'code' | 'message' | 'field'>): Record<string, unknown> {
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.field !== undefined) error.field = e.field;
  return { ok: false, error };
}

/** What is known of the command first seen under a request id (to tell a delivery again from a reused request id). */
interface FirstCommand {
  readonly op: CommandOp;
  /** A submit's client order id. */
  readonly clientOrderId: string | undefined;
  /** The order a cancel or amend named. */
  readonly target: number | undefined;
}

/** The order a cancel or amend names, as it names it. */
type OrderRef = { readonly orderId: number; readonly clientOrderId?: undefined } | { readonly orderId?: undefined; readonly clientOrderId: string };

/** The order a cancel or amend names: { orderId } (number or string) or { clientOrderId }, and the other allowed fields. */
function orderRef(body: Record<string, unknown>, others: readonly string[]): OrderRef | CommandError {
  for (const k of Object.keys(body)) {
    if (k !== 'orderId' && k !== 'clientOrderId' && !others.includes(k)) return { ok: false, code: 'UNKNOWN_FIELD', message: `unknown field ${k}`, field: k };
  }
  if ((body.orderId === undefined) === (body.clientOrderId === undefined)) {
    return { ok: false, code: 'INVALID_FIELD', message: 'name the order by orderId or by clientOrderId (one of them)', field: 'orderId' };
  }
  if (body.orderId !== undefined) {
    if (typeof body.orderId === 'number' && Number.isSafeInteger(body.orderId) && body.orderId > 0) return { orderId: body.orderId };
    if (typeof body.orderId === 'string' && /^\d{1,15}$/.test(body.orderId) && Number(body.orderId) > 0) return { orderId: Number(body.orderId) };
    return { ok: false, code: 'INVALID_FIELD', message: 'orderId must be a positive whole number', field: 'orderId' };
  }
  if (typeof body.clientOrderId !== 'string' || body.clientOrderId === '') return { ok: false, code: 'INVALID_FIELD', message: 'clientOrderId must be a string', field: 'clientOrderId' };
  return { clientOrderId: body.clientOrderId };
}
