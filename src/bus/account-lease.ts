/**
 * One daemon per venue account (`daemon.redis.leases`): before it trades an exchange account a daemon takes a lease
 * on it in Redis, renews it while it trades, and stops trading the account the moment it can no longer be sure the
 * lease is its own. A second daemon configured with the same account (whatever it names the venue) is refused and
 * told who holds it; it keeps trying and takes the lease when it is released or expires.
 *
 * Keys (src/bus/protocol.ts): P lease:{account} holds the holder JSON {daemon, host, pid, token, since} with a TTL of
 * `ttlMs`; P lease-fence:{account} is a counter INCRemented on every acquisition: its value is the holder's fencing
 * token, strictly greater than every token handed out before for the account (as long as Redis keeps its data; a
 * holder also never takes a token at or below one it has seen, so its own tokens increase across a Redis that lost
 * its data). Every change is one Lua script, so check-and-set is atomic:
 *  - acquire: SET the lease when there is none, or when it holds exactly the value the caller names (its own lease
 *    of before, see "restarts" below); INCR the fence; PX ttlMs.
 *  - renew: PEXPIRE only when the lease holds exactly our value (our token).
 *  - release: DEL only when the lease holds exactly our value (compare-and-delete).
 *
 * Loss. The lease is LOST — `onLost(account, reason)` at once, the daemon closes the venue — when a renewal finds
 * another value (or none) in the key, or when no renewal has succeeded for `ttlMs - renewMs` since the last one that
 * did was SENT (Redis unreachable or not answering). The key expires at the earliest `ttlMs` after that send (Redis
 * set its TTL after receiving it), so the holder gives up at least one renewal interval before any other daemon can
 * take the account: that interval is the margin for a late timer. A late reply of a renewal or an acquisition never
 * brings a lost lease back; the lease is taken again (with a new token) by the retry.
 *
 * Retry. A refused or lost lease, or one that could not be asked for (Redis down), is tried again every `renewMs`;
 * `onAcquired(account, token)` when a retry takes it (not for the acquisition `acquire()` itself returns), and
 * `onRefused(account, holder)` when a retry is refused by a holder other than the last one reported.
 *
 * Restarts. A daemon that restarts after kill -9 finds its own old lease in Redis under a token it no longer knows.
 * Another holder's lease is respected until it expires, with one exception: when the holder is the SAME daemon name
 * on the SAME host with the SAME instance id (its data directory's, `instance`: the same installation) and its pid is
 * not running there any more (or is our own pid: a container restarted as pid 1), it is a dead earlier run of this
 * daemon, and the lease is taken over at once (compare-and-set on the exact value seen, new token) — only while this
 * process has not held the lease yet: once it has, whoever holds it later is not an earlier run. Two live processes
 * with one name on one host do not take over from each other: the pid of the holder is alive, or (two containers
 * sharing a hostname, both pid 1) its instance id is another, so the second waits like any other daemon. Two that
 * share one data directory cannot both run: the journal's lock refuses the second. Use one AccountLeases per process.
 *
 * Nothing here throws out of a timer or waits on the dispatch path: every Redis call is async, at most one call per
 * account is in flight (a tick that finds one still running is skipped and counted), the accounts tracked are those
 * `acquire()` was asked for (at most MAX_ACCOUNTS), and the callbacks' own errors are caught, logged and counted.
 * The fencing token cannot stop a venue from taking orders (exchanges know nothing of it): it orders the holders in
 * logs and the journal (the daemon journals `lease-taken` with it and `lease-lost`: src/compose/bus-from-config.ts),
 * and it makes renew and release exact.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { isPureEnvRef, substituteEnv, type Env } from '../config/env.js';
import type { VenueConfig } from '../config/venue-schema.js';
import type { Clock } from '../model/clock.js';
import { SwitchyardError } from '../model/errors.js';
import type { BusKeys } from './protocol.js';
import type { RedisConnection } from './redis-connection.js';

// ---------------------------------------------------------------------------------------------------------------
// account ids

/** Hex characters of the SHA-256 of the API key kept in an account id (64 bits: no two keys of one operator collide). */
const KEY_HASH_HEX = 16;

/**
 * The account a venue trades, as the lease names it: `{exchange}:{environment}:{hash}`, environment live, testnet
 * (Binance sandbox) or sandbox (OKX demo trading), hash the first 16 hex digits of SHA-256("switchyard:account:" +
 * API key) — never the key itself. Two venues with the same exchange, environment and key are the same account
 * whatever their names and adapters (ccxt and binance-ws on one key collide). The venue's URLs are not part of it:
 * a proxy in front of the exchange is still the same account. undefined = no lease: paper venues and `trading: false`
 * venues (public market data only). The credentials of a loaded configuration are already resolved; a value still
 * written as `${NAME}` is resolved from `env` as the configuration loader does (src/config/env.ts).
 */
export function venueAccountId(venue: VenueConfig, env: Env): string | undefined {
  if (venue.adapter === 'paper' || !venue.trading) return undefined;
  if (venue.exchange === undefined) throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: adapter ${venue.adapter} needs an exchange`);
  const apiKey = venue.credentials === undefined ? undefined : resolveSecret(venue.credentials.apiKey, env, venue.name);
  if (apiKey === undefined || apiKey === '') {
    throw new SwitchyardError('CONFIG_INVALID', `venue ${venue.name}: adapter ${venue.adapter} needs credentials.apiKey to name its account`);
  }
  const environment = !venue.sandbox ? 'live' : venue.exchange === 'binance' ? 'testnet' : 'sandbox';
  const hash = createHash('sha256').update(`switchyard:account:${apiKey}`).digest('hex').slice(0, KEY_HASH_HEX);
  return `${venue.exchange}:${environment}:${hash}`;
}

function resolveSecret(value: string, env: Env, venue: string): string {
  if (!isPureEnvRef(value)) return value;
  const r = substituteEnv(value, env);
  // the errors name the variable, never a value
  if (!r.ok) throw new SwitchyardError('CONFIG_INVALID', `venue ${venue}: credentials.apiKey: ${r.errors.join('; ')}`);
  return r.value;
}

// ---------------------------------------------------------------------------------------------------------------
// leases

/** Who holds a lease (the value of P lease:{account}). */
export interface LeaseHolder {
  readonly daemon: string;
  readonly host: string;
  readonly pid: number;
  /** The holder's installation: its data directory's instance id (AccountLeasesOptions.instance); absent in old values. */
  readonly instance?: string;
  /** Fencing token: strictly greater than every earlier holder's. */
  readonly token: number;
  /** When this holder took the lease (epoch ms, its own clock). */
  readonly since: number;
}

export type AcquireResult =
  | { readonly ok: true; readonly token: number }
  /** holder: undefined when Redis could not be asked (reason says why) or holds a value that is not a holder. */
  | { readonly ok: false; readonly holder: LeaseHolder | undefined; readonly reason: string };

export interface LeaseStatus {
  readonly held: boolean;
  /** Our token while held. */
  readonly token: number | undefined;
  /** Us while held; else the other holder last seen (undefined: none seen, or Redis unreachable). */
  readonly holder: LeaseHolder | undefined;
  /** When the last successful renewal (or the acquisition) was sent (epoch ms); undefined when never held. */
  readonly lastRenewedAt: number | undefined;
  /** Why it is not held (refused by whom, lost why, Redis unreachable); undefined while held. */
  readonly reason: string | undefined;
}

export interface LeaseCounters {
  acquisitions: number;
  refusals: number;
  /** Of which: earlier runs of this daemon (dead pid) whose lease was taken over. */
  takeovers: number;
  renewals: number;
  /** Renewals and acquisitions that failed (Redis unreachable, script error). */
  failures: number;
  lost: number;
  /** Ticks skipped because the account's previous Redis call was still in flight. */
  skippedTicks: number;
  /** Errors thrown by the onLost / onAcquired / onRefused callbacks (caught). */
  callbackErrors: number;
}

export interface LeaseLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LeaseTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: LeaseTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Whether a pid runs on this host (signal 0: ESRCH = no such process; EPERM = runs, as another user). */
export function localPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface AccountLeasesOptions {
  readonly connection: RedisConnection;
  readonly keys: BusKeys;
  /** This daemon's name (`daemon.name`). */
  readonly daemon: string;
  /** Default os.hostname(). */
  readonly host?: string;
  /** Default process.pid. */
  readonly pid?: number;
  /**
   * What this daemon's runs have in common and another daemon's do not: its data directory's instance id
   * (src/compose/instance-id.ts). With it, an earlier run is recognised only by the same instance (a sibling container
   * with the same hostname and pid but its own data directory is not one); without it, by name, host and pid alone.
   */
  readonly instance?: string;
  readonly ttlMs: number;
  /** At most ttlMs / 3. */
  readonly renewMs: number;
  readonly clock: Clock;
  readonly log: LeaseLog;
  /** The lease is no longer ours (taken, expired, or not renewed in time): stop trading the account now. */
  readonly onLost?: (account: string, reason: string) => void;
  /** A retry took the lease (after a refusal, a loss, or Redis unreachable at acquire()). */
  readonly onAcquired?: (account: string, token: number) => void;
  /** A retry was refused by a holder other than the last one reported (acquire()'s own refusal is its result). */
  readonly onRefused?: (account: string, holder: LeaseHolder | undefined, reason: string) => void;
  /** Default: real timers, unref'd. */
  readonly timers?: LeaseTimers;
  /** Whether a pid runs on this host (the take-over of a dead earlier run). Default localPidAlive. */
  readonly pidAlive?: (pid: number) => boolean;
}

/** Accounts one AccountLeases tracks at most (one per configured exchange venue). */
export const MAX_ACCOUNTS = 1024;

/**
 * KEYS lease, fence; ARGV holder JSON before the token, after it, ttlMs, the value we may replace ('' = none), the
 * lowest token we may hand out minus one. Returns {1, token} or {0, current value}.
 */
const ACQUIRE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[4] then return {0, cur} end
local t = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[5])
if t <= floor then
  t = floor + 1
  redis.call('SET', KEYS[2], string.format('%d', t))
end
redis.call('SET', KEYS[1], ARGV[1] .. string.format('%d', t) .. ARGV[2], 'PX', ARGV[3])
return {1, t}
`;

/** KEYS lease; ARGV our value, ttlMs. Returns 1 (renewed), the other value, or 0 (no lease). */
const RENEW_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return cur end
return 0
`;

/** KEYS lease; ARGV our value. Returns 1 (deleted) or 0 (not ours: left alone). */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

type LeaseState = 'acquiring' | 'held' | 'waiting' | 'released';

interface Lease {
  readonly account: string;
  state: LeaseState;
  token: number | undefined;
  /** The exact value we stored (while held, and after a loss: it may still be there, and it is ours to replace). */
  ownValue: string | undefined;
  holder: LeaseHolder | undefined;
  reason: string | undefined;
  /** Monotonic ms at which the last successful renewal / the acquisition was sent. */
  renewSentMono: number;
  lastRenewedAt: number | undefined;
  /** The highest token seen for the account (ours or a holder's). */
  maxToken: number;
  /** The token of the holder last reported by onRefused (or acquire()'s result). */
  reportedHolderToken: number | undefined;
  /** This process has held the lease: a holder it finds later is never an earlier run of it (no take-over). */
  everHeld: boolean;
  busy: Promise<void> | undefined;
  tick: unknown;
  deadline: unknown;
}

/** The leases of the venue accounts one daemon trades. */
export class AccountLeases {
  readonly counters: LeaseCounters = { acquisitions: 0, refusals: 0, takeovers: 0, renewals: 0, failures: 0, lost: 0, skippedTicks: 0, callbackErrors: 0 };
  private readonly leases = new Map<string, Lease>();
  private readonly host: string;
  private readonly pid: number;
  private readonly timers: LeaseTimers;
  private readonly pidAlive: (pid: number) => boolean;
  private closed = false;

  constructor(private readonly o: AccountLeasesOptions) {
    if (!(o.renewMs > 0 && o.renewMs * 3 <= o.ttlMs)) {
      throw new SwitchyardError('CONFIG_INVALID', `account leases: renewMs (${o.renewMs}) must be positive and at most a third of ttlMs (${o.ttlMs})`);
    }
    this.host = o.host ?? hostname();
    this.pid = o.pid ?? process.pid;
    this.timers = o.timers ?? realTimers;
    this.pidAlive = o.pidAlive ?? localPidAlive;
  }

  /**
   * Takes the lease of `account`, or says who holds it. Whatever the answer, the account is tracked from now on: a
   * held lease is renewed every renewMs, one that is not held is tried again every renewMs (onAcquired). Called again
   * for an account already tracked: the current state (held: its token; else the last refusal, no new attempt).
   */
  async acquire(account: string): Promise<AcquireResult> {
    if (this.closed) throw new SwitchyardError('INTERNAL', 'account leases: acquire() after release()');
    const known = this.leases.get(account);
    if (known !== undefined) {
      await known.busy;
      if (known.state === 'held') return { ok: true, token: known.token! };
      return { ok: false, holder: known.holder, reason: known.reason ?? 'not held' };
    }
    if (this.leases.size >= MAX_ACCOUNTS) throw new SwitchyardError('CONFIG_INVALID', `account leases: more than ${MAX_ACCOUNTS} accounts`);
    const lease: Lease = {
      account, state: 'acquiring', token: undefined, ownValue: undefined, holder: undefined, reason: undefined,
      renewSentMono: 0, lastRenewedAt: undefined, maxToken: 0, reportedHolderToken: undefined, everHeld: false, busy: undefined, tick: undefined, deadline: undefined,
    };
    this.leases.set(account, lease);
    const result = await this.run(lease, () => this.tryAcquire(lease, false));
    this.schedule(lease);
    return result ?? { ok: false, holder: undefined, reason: lease.reason ?? 'not held' };
  }

  /**
   * Stops tracking `account` (or every account, and then this AccountLeases: no more acquire()) and deletes our
   * leases — only where the key still holds our own value; another holder's lease is never touched. Waits for a
   * Redis call in flight first. Never throws: a lease Redis could not be asked to delete expires after ttlMs.
   */
  async release(account?: string): Promise<void> {
    const targets = account === undefined ? [...this.leases.values()] : [this.leases.get(account)].filter((l): l is Lease => l !== undefined);
    if (account === undefined) this.closed = true;
    await Promise.all(targets.map(async (lease) => {
      lease.state = 'released';
      this.clearTimers(lease);
      this.leases.delete(lease.account);
      await lease.busy;
      await this.deleteOwn(lease);
    }));
  }

  /** Per account: held or not, our token, the holder, the last renewal, and why it is not held. */
  status(): Record<string, LeaseStatus> {
    const out: Record<string, LeaseStatus> = {};
    for (const l of this.leases.values()) {
      const held = l.state === 'held';
      out[l.account] = { held, token: held ? l.token : undefined, holder: l.holder, lastRenewedAt: l.lastRenewedAt, reason: held ? undefined : l.reason };
    }
    return out;
  }

  /** Whether the lease of `account` is held now (false for an account not tracked). */
  holds(account: string): boolean {
    return this.leases.get(account)?.state === 'held';
  }

  // -------------------------------------------------------------------------------------------------------------

  /** Runs one Redis exchange for the lease (at most one at a time per account); never rejects. */
  private run<T>(lease: Lease, fn: () => Promise<T>): Promise<T | undefined> {
    const p = fn().catch((err: unknown) => {
      this.o.log.warn({ account: lease.account, err: err instanceof Error ? err.message : String(err) }, 'account lease: unexpected error');
      return undefined;
    });
    const busy = p.then(() => undefined);
    lease.busy = busy;
    void busy.then(() => {
      if (lease.busy === busy) lease.busy = undefined;
    });
    return p;
  }

  private schedule(lease: Lease): void {
    if (lease.state === 'released') return;
    if (lease.tick !== undefined) this.timers.clearTimeout(lease.tick);
    lease.tick = this.timers.setTimeout(() => this.onTick(lease), this.o.renewMs);
  }

  private onTick(lease: Lease): void {
    lease.tick = undefined;
    if (lease.state === 'released') return;
    try {
      this.checkDeadline(lease);
      if (lease.busy !== undefined) {
        this.counters.skippedTicks++;
      } else if (lease.state === 'held') {
        void this.run(lease, () => this.renew(lease));
      } else {
        void this.run(lease, () => this.tryAcquire(lease, true));
      }
    } catch (err) {
      this.o.log.warn({ account: lease.account, err: String(err) }, 'account lease: tick failed');
    }
    this.schedule(lease);
  }

  /** The instant (monotonic ms) after which a held lease counts as lost without a successful renewal. */
  private deadlineOf(lease: Lease): number {
    return lease.renewSentMono + this.o.ttlMs - this.o.renewMs;
  }

  private armDeadline(lease: Lease): void {
    if (lease.deadline !== undefined) this.timers.clearTimeout(lease.deadline);
    const wait = Math.max(0, this.deadlineOf(lease) - this.o.clock.monoMs());
    lease.deadline = this.timers.setTimeout(() => {
      lease.deadline = undefined;
      try {
        if (!this.checkDeadline(lease) && lease.state === 'held') this.armDeadline(lease);
      } catch (err) {
        this.o.log.warn({ account: lease.account, err: String(err) }, 'account lease: deadline check failed');
      }
    }, wait);
  }

  /** Declares a held lease lost when its deadline has passed; true when it did. */
  private checkDeadline(lease: Lease): boolean {
    if (lease.state !== 'held') return false;
    const silentMs = this.o.clock.monoMs() - lease.renewSentMono;
    if (silentMs < this.o.ttlMs - this.o.renewMs) return false;
    this.lose(lease, `no renewal succeeded for ${Math.round(silentMs)} ms (Redis unreachable or not answering): the lease may expire and another daemon may take the account`);
    return true;
  }

  private lose(lease: Lease, reason: string, holder?: LeaseHolder): void {
    lease.state = 'waiting';
    lease.token = undefined;
    lease.holder = holder;
    lease.reason = reason;
    lease.reportedHolderToken = undefined;
    if (lease.deadline !== undefined) this.timers.clearTimeout(lease.deadline);
    lease.deadline = undefined;
    this.counters.lost++;
    this.o.log.warn({ code: 'VENUE_LEASED', account: lease.account, reason }, 'account lease lost: stop trading the account');
    this.callback('onLost', () => this.o.onLost?.(lease.account, reason));
  }

  private callback(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.counters.callbackErrors++;
      this.o.log.warn({ callback: name, err: err instanceof Error ? err.message : String(err) }, 'account lease: callback threw');
    }
  }

  private async renew(lease: Lease): Promise<void> {
    const value = lease.ownValue!;
    const sentMono = this.o.clock.monoMs();
    const sentAt = this.o.clock.now();
    let reply: unknown;
    try {
      reply = await this.o.connection.client.eval(RENEW_LUA, { keys: [this.o.keys.lease(lease.account)], arguments: [value, String(this.o.ttlMs)] });
    } catch {
      this.counters.failures++;
      // stays held until its deadline (the connection logs the outage): the next tick tries again
      this.checkDeadline(lease);
      return;
    }
    if (lease.state !== 'held' || lease.ownValue !== value) return; // lost (deadline) or released meanwhile
    if (reply === 1) {
      this.counters.renewals++;
      lease.renewSentMono = sentMono;
      lease.lastRenewedAt = sentAt;
      // a reply that came back after the deadline does not bring the lease back
      if (!this.checkDeadline(lease)) this.armDeadline(lease);
      return;
    }
    const other = typeof reply === 'string' ? parseHolder(reply) : undefined;
    if (other !== undefined) lease.maxToken = Math.max(lease.maxToken, other.token);
    this.lose(lease, typeof reply === 'string' ? `taken by ${describeHolder(other, reply)}` : 'the lease is gone from Redis (expired, deleted, or Redis lost its data)', other);
  }

  /** One attempt to take the lease; `retry` = a background attempt (callbacks), not acquire()'s. */
  private async tryAcquire(lease: Lease, retry: boolean): Promise<AcquireResult> {
    let expected = lease.ownValue ?? '';
    for (let attempt = 0; ; attempt++) {
      const since = this.o.clock.now();
      const head = `${JSON.stringify({ daemon: this.o.daemon, host: this.host, pid: this.pid, ...(this.o.instance === undefined ? {} : { instance: this.o.instance }) }).slice(0, -1)},"token":`;
      const tail = `,"since":${since}}`;
      const sentMono = this.o.clock.monoMs();
      let reply: unknown;
      try {
        reply = await this.o.connection.client.eval(ACQUIRE_LUA, {
          keys: [this.o.keys.lease(lease.account), this.o.keys.leaseFence(lease.account)],
          arguments: [head, tail, String(this.o.ttlMs), expected, String(lease.maxToken)],
        });
      } catch (err) {
        this.counters.failures++;
        const reason = `Redis unreachable: ${err instanceof Error ? err.message : String(err)}`;
        if (lease.state !== 'released') {
          lease.state = 'waiting';
          lease.reason = reason;
        }
        return { ok: false, holder: undefined, reason };
      }
      const [won, got] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (won === 1 && typeof got === 'number') {
        const value = head + String(got) + tail;
        lease.maxToken = Math.max(lease.maxToken, got);
        if (lease.state === 'released') {
          // released while the attempt was in flight: give it back at once
          lease.ownValue = value;
          await this.deleteOwn(lease);
          return { ok: false, holder: undefined, reason: 'released' };
        }
        lease.ownValue = value;
        if (this.o.clock.monoMs() - sentMono >= this.o.ttlMs - this.o.renewMs) {
          // the answer came too late to be sure of the lease: ours to take over with a new token next time
          this.counters.failures++;
          lease.state = 'waiting';
          lease.reason = 'Redis answered too late to hold the lease';
          return { ok: false, holder: undefined, reason: lease.reason };
        }
        lease.state = 'held';
        lease.everHeld = true;
        lease.token = got;
        lease.holder = { daemon: this.o.daemon, host: this.host, pid: this.pid, ...(this.o.instance === undefined ? {} : { instance: this.o.instance }), token: got, since };
        lease.reason = undefined;
        lease.renewSentMono = sentMono;
        lease.lastRenewedAt = since;
        this.counters.acquisitions++;
        this.armDeadline(lease);
        this.o.log.info({ account: lease.account, token: got }, 'account lease taken');
        if (retry) this.callback('onAcquired', () => this.o.onAcquired?.(lease.account, got));
        return { ok: true, token: got };
      }
      const current = typeof got === 'string' ? got : '';
      const holder = parseHolder(current);
      if (holder !== undefined) lease.maxToken = Math.max(lease.maxToken, holder.token);
      if (attempt === 0 && !lease.everHeld && holder !== undefined && this.isDeadEarlierRun(holder)) {
        // our own daemon's lease, left by a run that is no longer running on this host: take it over (exact value).
        // Only before this process ever held it: a holder that took the lease from us since is alive (it renewed or
        // took it while we ran), however it looks — taking it back would make two daemons that cannot tell each other
        // apart (one name, one hostname, both pid 1 in containers) take the account from each other every renewal.
        this.counters.takeovers++;
        this.o.log.info({ account: lease.account, pid: holder.pid, token: holder.token }, 'account lease: taking over the lease of an earlier run of this daemon');
        expected = current;
        continue;
      }
      this.counters.refusals++;
      const reason = `held by ${describeHolder(holder, current)}`;
      if (lease.state === 'released') return { ok: false, holder, reason };
      lease.state = 'waiting';
      lease.holder = holder;
      lease.reason = reason;
      const token = holder?.token ?? -1;
      if (retry && lease.reportedHolderToken !== token) this.callback('onRefused', () => this.o.onRefused?.(lease.account, holder, reason));
      lease.reportedHolderToken = token;
      return { ok: false, holder, reason };
    }
  }

  private isDeadEarlierRun(h: LeaseHolder): boolean {
    if (h.daemon !== this.o.daemon || h.host !== this.host) return false;
    // another installation (its own data directory), or a value without an instance while we have one: not ours
    if (this.o.instance !== undefined && h.instance !== this.o.instance) return false;
    return h.pid === this.pid || !this.pidAlive(h.pid);
  }

  private async deleteOwn(lease: Lease): Promise<void> {
    const value = lease.ownValue;
    if (value === undefined) return;
    try {
      const n = await this.o.connection.client.eval(RELEASE_LUA, { keys: [this.o.keys.lease(lease.account)], arguments: [value] });
      if (n === 1) this.o.log.info({ account: lease.account }, 'account lease released');
      lease.ownValue = undefined;
    } catch (err) {
      this.counters.failures++;
      this.o.log.warn({ account: lease.account, err: err instanceof Error ? err.message : String(err) }, 'account lease: could not release (it expires on its own)');
    }
  }

  private clearTimers(lease: Lease): void {
    if (lease.tick !== undefined) this.timers.clearTimeout(lease.tick);
    if (lease.deadline !== undefined) this.timers.clearTimeout(lease.deadline);
    lease.tick = undefined;
    lease.deadline = undefined;
  }
}

/** The holder in a lease value; undefined for a value that is not a holder JSON. */
export function parseHolder(value: string): LeaseHolder | undefined {
  try {
    const h = JSON.parse(value) as Partial<LeaseHolder> | null;
    if (h === null || typeof h !== 'object') return undefined;
    if (typeof h.daemon !== 'string' || typeof h.host !== 'string' || typeof h.pid !== 'number' || typeof h.token !== 'number' || typeof h.since !== 'number') return undefined;
    if (h.instance !== undefined && typeof h.instance !== 'string') return undefined;
    return { daemon: h.daemon, host: h.host, pid: h.pid, ...(h.instance === undefined ? {} : { instance: h.instance }), token: h.token, since: h.since };
  } catch {
    return undefined;
  }
}

/** "daemon d2 on host h2 (pid 123) since 2026-…Z, token 7" — for logs and the venue gate's reason. */
export function describeHolder(h: LeaseHolder | undefined, raw = ''): string {
  if (h === undefined) return `an unknown holder (${raw.slice(0, 80)})`;
  return `daemon ${h.daemon} on host ${h.host} (pid ${h.pid}) since ${new Date(h.since).toISOString()}, token ${h.token}`;
}

/** The venue gate's reason for a venue whose account this daemon does not hold. */
export function venueLeasedReason(venue: string, account: string, why: string): string {
  return `VENUE_LEASED: venue ${venue} (account ${account}): ${why}`;
}
