/**
 * Redis as the configuration sets it up (`daemon.redis`, src/bus): the event publisher (events out), the command
 * intake of the strategies with `source: redis` (commands in, its ledger a journal state part), the account leases
 * (one daemon per venue account), the signal feed of the order enhancers, and the `config` key remote strategies
 * read. Nothing connects to Redis unless one of them is on: paper trading needs no Redis.
 *
 * When each part starts and stops is the daemon's start and stop sequence (src/daemon.ts):
 *   construction   the command ledger joins the journal's state parts (replay restores it)
 *   leases()       before any venue starts: a venue whose account lease is another daemon's is not started (its start
 *                  is held back, the gate says who holds it) until the lease is ours; a lease lost later closes the
 *                  venue to new orders at once (its adapter keeps running: reports of our own orders still arrive)
 *   afterRecovery  the publisher catches up from its watermark, then follows the journal live
 *   afterIntake    the `config` key, then the command intake reads its streams (after the API's intake opened)
 *   stopIntake     no more commands are read (those in flight finish; the unanswered stay pending for the next run)
 *   stop           after the journal closed: the publisher writes what it holds, leases released, connections closed
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { strategySource } from '../config/schema.js';
import { OrderCommands } from '../api/order-commands.js';
import { AccountLeases, venueAccountId, venueLeasedReason } from '../bus/account-lease.js';
import { CommandIntake, type CommandIntakeStatus } from '../bus/command-intake.js';
import { CommandLedger } from '../bus/command-ledger.js';
import { EventPublisher, registerPublisherMetrics, type EventPublisherStatus } from '../bus/event-publisher.js';
import { BusKeys } from '../bus/protocol.js';
import { redisConnection, redisSettings, type RedisConnection, type RedisSettings } from '../bus/redis-connection.js';
import { RestartingVenue } from '../execution/venue-supervisor.js';
import type { Journal } from '../journal/journal.js';
import type { Clock } from '../model/clock.js';
import type { Order } from '../model/order.js';
import type { Logger } from '../telemetry/logger.js';
import { daemonInstanceId } from './instance-id.js';
import type { OrderPath } from './order-path.js';

export interface BusParts {
  readonly path: OrderPath;
  readonly clock: Clock;
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly baseDir: string;
  readonly registry: Registry;
  /** Why pre-trade risk denied an order (the message of a DENIED submit), as the API says it. */
  readonly explainDenial: (order: Order) => string | undefined;
  /** The journal directory (the publisher's catch-up reads it). */
  readonly journalDir: string;
}

/** GET /health's `redis` field. */
export interface BusStatus {
  readonly where: string;
  readonly events?: EventPublisherStatus;
  readonly commands?: CommandIntakeStatus;
  readonly leases?: ReturnType<AccountLeases['status']>;
}

export class DaemonBus {
  private readonly settings: RedisSettings;
  private readonly keys: BusKeys;
  private readonly publisher: EventPublisher | undefined;
  private readonly commands: CommandIntake | undefined;
  private readonly leasesOf: AccountLeases | undefined;
  /** Per venue index: its account id when its lease is needed. */
  private readonly accounts: (string | undefined)[];
  private readonly redisStrategies: readonly string[];
  private readonly leaseConn: RedisConnection | undefined;
  private configConn: RedisConnection | undefined;
  /** The journal is open (afterRecovery): lease events are recorded as they come, not held (leaseEvents). */
  private journalOpen = false;
  private readonly leaseEvents: Record<string, unknown>[] = [];

  constructor(private readonly config: Config, private readonly p: BusParts) {
    const r = config.daemon.redis;
    this.settings = redisSettings(r.url, p.env);
    this.keys = new BusKeys(r.keyPrefix);
    const connect = (role: string): RedisConnection => redisConnection(this.settings, { role, log: p.log });
    if (r.events.enabled && p.path.recorder !== undefined) {
      this.publisher = new EventPublisher({
        connection: connect('events'), keys: this.keys, tracker: p.path.tracker, retainFinished: config.daemon.retainFinishedOrders,
        clock: p.clock, log: p.log, maxLen: r.events.maxLen, bufferEvents: r.events.bufferEvents, batchEvents: r.events.batchEvents,
      });
      p.path.recorder.addRecordedListener(this.publisher.onRecorded);
      registerPublisherMetrics(p.registry, () => this.publisher!.status());
    }
    this.redisStrategies = config.strategies.filter((s) => strategySource(s) === 'redis').map((s) => s.id);
    if (this.redisStrategies.length > 0) {
      const recorder = p.path.recorder;
      const ledger = new CommandLedger(r.commands.dedupeWindow, recorder === undefined ? undefined : (e) => recorder.event(e));
      p.path.stateParts.push(ledger); // before recovery: replay restores what was executed
      const durable = p.path.recorder === undefined ? undefined : () => p.path.recorder!.durable();
      // no `durable` here: the intake records the command in its ledger first and then waits for the journal once,
      // for the order's records and the ledger's together (one group commit per command instead of two)
      const commands = new OrderCommands({ intake: p.path.intake, tracker: p.path.tracker, instruments: p.path.store.instruments, explainDenial: p.explainDenial });
      this.commands = new CommandIntake({
        connect: (role) => connect(role), keys: this.keys, group: r.commands.group, consumer: config.daemon.name,
        strategies: this.redisStrategies, commands, ledger, durable, clock: p.clock, log: p.log,
        batch: r.commands.batch, claimIdleMs: r.commands.claimIdleMs, replyMaxLen: r.commands.replyMaxLen,
        onSubmitRefused: (code) => p.path.metrics.edgeReject(code),
      });
      this.commands.registerMetrics(p.registry);
    }
    this.accounts = config.venues.map((v) => (r.leases.enabled ? venueAccountId(v, p.env) : undefined));
    if (this.accounts.some((a) => a !== undefined)) {
      this.leaseConn = connect('leases');
      this.leasesOf = new AccountLeases({
        connection: this.leaseConn, keys: this.keys, daemon: config.daemon.name, host: hostname(), pid: process.pid,
        // an earlier run is one of this data directory's (not a sibling container's with the same hostname and pid)
        instance: daemonInstanceId(resolve(p.baseDir, config.daemon.dataDir)),
        ttlMs: r.leases.ttlMs, renewMs: r.leases.renewMs, clock: p.clock, log: p.log,
        onLost: (account, reason) => this.leaseLost(account, reason),
        onAcquired: (account, token) => this.leaseTaken(account, token),
        onRefused: (account, _holder, reason) => this.forVenuesOf(account, (v) => p.path.gate.setLease(v, false, venueLeasedReason(p.path.venues[v]!.name, account, reason))),
      });
    }
  }

  /** The publisher's journal retention floor (undefined: no publisher). */
  get retentionFloor(): (() => number) | undefined {
    return this.publisher?.retentionFloor;
  }

  /**
   * Before any venue starts: take the lease of every venue account (several venues on one account share it). Returns
   * the venue indexes whose lease is not ours: the daemon does not start them (their gate is closed with the holder);
   * they start once the lease is taken.
   */
  async leases(): Promise<Set<number>> {
    const held = new Set<number>();
    if (this.leasesOf === undefined) return held;
    await this.leaseConn?.connect().catch(() => undefined);
    const asked = new Map<string, Awaited<ReturnType<AccountLeases['acquire']>>>();
    for (let v = 0; v < this.accounts.length; v++) {
      const account = this.accounts[v];
      if (account === undefined) continue;
      let r = asked.get(account);
      if (r === undefined) {
        r = await this.leasesOf.acquire(account);
        asked.set(account, r);
        if (r.ok) {
          this.p.log.info({ account, token: r.token }, 'account lease taken');
          this.journalLease({ event: 'lease-taken', account, token: r.token });
        }
        else this.p.log.error({ code: 'VENUE_LEASED', account, reason: r.reason }, 'account lease refused: the venue is not traded by this daemon until it is free');
      }
      if (!r.ok) {
        held.add(v);
        this.p.path.gate.setLease(v, false, venueLeasedReason(this.p.path.venues[v]!.name, account, r.reason));
        // not started: closed until started and reconciled (lateVenueReady opens it), not merely until the lease is ours
        this.p.path.gate.setOpen(v, false, 'VENUE_UNAVAILABLE: not started (its account lease was not held at start)');
      }
    }
    return held;
  }

  /** After journal recovery: the publisher catches up from its watermark and goes live. */
  afterRecovery(journal: Journal): void {
    const recorder = this.p.path.recorder!;
    // the lease events from before the journal was open (the leases are taken first), then each as it comes
    this.journalOpen = true;
    for (const e of this.leaseEvents.splice(0)) recorder.event(e);
    this.publisher?.start({ dir: this.p.journalDir, lastSeq: () => journal.lastSeq, durableSeq: () => journal.durableSeq, whenDurable: (seq) => recorder.whenDurable(seq) });
  }

  /** After the intake opened: the `config` key for remote strategies, then the command streams are read. */
  async afterIntake(): Promise<void> {
    if (this.commands === undefined) return;
    const conn = (this.configConn = redisConnection(this.settings, { role: 'config', log: this.p.log }));
    try {
      await conn.connect();
      await conn.client.set(this.keys.config, JSON.stringify(this.remoteConfig()));
    } catch (err) {
      // remote strategies cannot start without it; the daemon itself goes on (commands are read when Redis is back)
      this.p.log.warn({ err: err instanceof Error ? err.message : String(err), key: this.keys.config }, 'could not write the remote strategies\' config key to Redis');
    } finally {
      await conn.close().catch(() => undefined);
      this.configConn = undefined;
    }
    this.commands.start();
  }

  /** No more commands read (before the intake closes). */
  async stopIntake(): Promise<void> {
    await this.commands?.stop();
  }

  /** After the journal closed: the publisher writes what it holds; leases released; connections closed. */
  async stop(): Promise<void> {
    await this.commands?.stop();
    await this.publisher?.stop();
    await this.leasesOf?.release().catch(() => undefined);
    await this.leaseConn?.close().catch(() => undefined);
    await this.configConn?.close().catch(() => undefined);
  }

  status(): BusStatus {
    return {
      where: this.settings.url,
      ...(this.publisher === undefined ? {} : { events: this.publisher.status() }),
      ...(this.commands === undefined ? {} : { commands: this.commands.status() }),
      ...(this.leasesOf === undefined ? {} : { leases: this.leasesOf.status() }),
    };
  }

  /** Whether any part is on (GET /health shows `redis` only then). */
  get enabled(): boolean {
    return this.publisher !== undefined || this.commands !== undefined || this.leasesOf !== undefined;
  }

  private remoteConfig(): unknown {
    const c = this.config;
    const strategies: Record<string, { symbols: readonly string[]; params: Record<string, unknown> }> = {};
    for (const s of c.strategies) if (this.redisStrategies.includes(s.id)) strategies[s.id] = { symbols: s.symbols, params: s.params };
    return { daemon: c.daemon.name, instruments: c.instruments, venues: c.venues.map((v) => v.name), strategies };
  }

  private forVenuesOf(account: string, fn: (v: number) => void): void {
    this.accounts.forEach((a, v) => {
      if (a === account) fn(v);
    });
  }

  /**
   * An account lease taken or lost, journaled (EVENT `lease-taken` with its fencing token, `lease-lost` with the
   * reason): the token orders the holders in the journal as in the logs. Held until the journal is open.
   */
  private journalLease(e: Record<string, unknown>): void {
    if (this.journalOpen) this.p.path.recorder?.event(e);
    else if (this.leaseEvents.length < 1024) this.leaseEvents.push(e);
  }

  private leaseLost(account: string, reason: string): void {
    this.p.log.error({ code: 'VENUE_LEASED', account, reason }, 'account lease lost: its venues are closed to new orders');
    this.journalLease({ event: 'lease-lost', account, reason });
    this.forVenuesOf(account, (v) => this.p.path.gate.setLease(v, false, venueLeasedReason(this.p.path.venues[v]!.name, account, reason)));
  }

  private leaseTaken(account: string, token: number): void {
    this.p.log.info({ account, token }, 'account lease taken: its venues start (or reopen)');
    this.journalLease({ event: 'lease-taken', account, token });
    this.forVenuesOf(account, (v) => {
      this.p.path.gate.setLease(v, true);
      const venue = this.p.path.venues[v];
      if (venue instanceof RestartingVenue) venue.startHeld();
    });
  }
}

/** The daemon's bus, or undefined when nothing in `daemon.redis` is on and no strategy has source: redis. */
export function busFromConfig(config: Config, p: BusParts): DaemonBus | undefined {
  const bus = new DaemonBus(config, p);
  return bus.enabled ? bus : undefined;
}
