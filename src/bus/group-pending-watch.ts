/**
 * What the command intake (command-intake.ts) knows of the entries pending at the other consumers of its consumer
 * group: a consumer that died (the daemon under another name) keeps the entries it was delivered and never
 * acknowledged, and the intake claims them once idle past claimIdleMs. A group that vanishes (XGROUP DESTROY, its stream
 * deleted) takes that pending list with it: made again, it would not deliver them again, and they would never be
 * executed nor answered. So the list is looked at regularly (refresh(), one script call for every stream: nothing is
 * read unless another consumer has pending entries), and a group made again gets those entries back, each at the
 * consumer that had it, with its idle time and delivery count (restore(): XCLAIM ... FORCE), to be claimed as before.
 * The ones no longer in the stream (the stream was deleted) cannot be: restore() names them.
 *
 * An entry delivered to another consumer after the last look (at most one interval before the group vanished) is not
 * known, nor is anything when the daemon was down while the group vanished.
 */
import { LuaScript, type ScriptClient } from './lua-script.js';

/** Entries listed per other consumer and stream (XPENDING's COUNT): past it, the rest is not kept. */
export const PENDING_WATCH_MAX_PER_CONSUMER = 10_000;

/** An entry pending at another consumer. */
export interface PendingElsewhere {
  readonly id: string;
  readonly consumer: string;
  /** Its idle time (ms) when looked at. */
  readonly idleMs: number;
  readonly deliveries: number;
}

/** One stream's pending list at the other consumers, as last looked at. */
export interface PendingLook {
  /** When (the intake's clock, monotonic ms). */
  readonly atMs: number;
  readonly entries: readonly PendingElsewhere[];
}

/**
 * ARGV[1] the group, ARGV[2] this consumer, ARGV[3] the most entries per consumer, ARGV[4..] the streams. Per stream
 * whose group exists: {stream, {{id, consumer, idle, deliveries}...}} of every consumer but this one.
 */
const WATCH_SCRIPT = new LuaScript(`
local group, me, most = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for k = 4, #ARGV do
  local key = ARGV[k]
  local summary = redis.pcall('XPENDING', key, group)
  if type(summary) == 'table' and not summary.err then
    local rows = {}
    if type(summary[4]) == 'table' then
      for _, c in ipairs(summary[4]) do
        if c[1] ~= me then
          for _, p in ipairs(redis.call('XPENDING', key, group, '-', '+', most, c[1])) do
            rows[#rows + 1] = {p[1], p[2], p[3], p[4]}
          end
        end
      end
    end
    out[#out + 1] = {key, rows}
  end
end
return out
`);

/**
 * ARGV[1] the stream, ARGV[2] the group, then per entry: consumer, id, idle (ms), deliveries. Each entry still in the
 * stream made pending again at its consumer; returns the ids that were.
 */
const RESTORE_SCRIPT = new LuaScript(`
local key, group = ARGV[1], ARGV[2]
local restored = {}
for i = 3, #ARGV, 4 do
  local r = redis.call('XCLAIM', key, group, ARGV[i], '0', ARGV[i + 1], 'IDLE', ARGV[i + 2], 'RETRYCOUNT', ARGV[i + 3], 'FORCE', 'JUSTID')
  if #r > 0 then restored[#restored + 1] = ARGV[i + 1] end
end
return restored
`);

export class GroupPendingWatch {
  private readonly looks = new Map<string, PendingLook>();

  constructor(private readonly group: string, private readonly consumer: string, private readonly streams: readonly string[]) {}

  /** The last look at a stream (undefined: its group was never seen, or it was given back: restore()). */
  look(stream: string): PendingLook | undefined {
    return this.looks.get(stream);
  }

  /** Entries pending at other consumers, over every stream, as last looked at. */
  pendingElsewhere(): number {
    let n = 0;
    for (const l of this.looks.values()) n += l.entries.length;
    return n;
  }

  /** Look at every stream's pending list (a stream whose group is missing keeps its last look). */
  async refresh(client: ScriptClient, nowMs: number): Promise<void> {
    const args = WATCH_SCRIPT.call(0);
    args.push(this.group, this.consumer, String(PENDING_WATCH_MAX_PER_CONSUMER), ...this.streams);
    const found = await WATCH_SCRIPT.run(client, args);
    if (!Array.isArray(found)) return;
    for (const row of found as unknown[]) {
      if (!Array.isArray(row) || !Array.isArray(row[1])) continue;
      const entries: PendingElsewhere[] = [];
      for (const p of row[1] as unknown[]) {
        if (Array.isArray(p)) entries.push({ id: String(p[0]), consumer: String(p[1]), idleMs: Number(p[2]), deliveries: Number(p[3]) });
      }
      this.looks.set(String(row[0]), { atMs: nowMs, entries });
    }
  }

  /**
   * The group of `stream` was made again: the entries of `look` (its last look before the group went missing) made
   * pending again at their consumers (their idle time as it would be now). Returns those restored and those no longer
   * in the stream (deleted, or gone with the stream when it was deleted and made again). The look is dropped once
   * done (the group made again is looked at anew).
   */
  async restore(client: ScriptClient, stream: string, look: PendingLook | undefined, nowMs: number): Promise<{ restored: readonly PendingElsewhere[]; missing: readonly PendingElsewhere[] }> {
    if (look === undefined || look.entries.length === 0) {
      if (this.looks.get(stream) === look) this.looks.delete(stream);
      return { restored: [], missing: [] };
    }
    const args = RESTORE_SCRIPT.call(0);
    args.push(stream, this.group);
    const elapsed = Math.max(0, nowMs - look.atMs);
    for (const e of look.entries) args.push(e.consumer, e.id, String(Math.round(e.idleMs + elapsed)), String(e.deliveries));
    const r = await RESTORE_SCRIPT.run(client, args);
    if (this.looks.get(stream) === look) this.looks.delete(stream);
    const back = new Set(Array.isArray(r) ? (r as unknown[]).map(String) : []);
    return { restored: look.entries.filter((e) => back.has(e.id)), missing: look.entries.filter((e) => !back.has(e.id)) };
  }
}
