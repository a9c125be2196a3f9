/**
 * Whether a command stream's consumer group is still the one the intake read from (command-intake.ts). A group
 * destroyed and made again by someone else (XGROUP DESTROY, then XGROUP CREATE … $) while the intake is busy, or in
 * one MULTI (a blocked read is then served from the new group), is never seen missing (no NOGROUP): the new group
 * delivers only what comes after its creation, and what was written in between, or pending in the old group, would
 * be lost without a word. So each group carries a mark: a consumer of its own (`markOf(consumer)`, XGROUP
 * CREATECONSUMER; it never reads, so it never holds an entry), made when the intake makes or finds the group. A group
 * made again has no such consumer: check() makes it there (one script call for every stream) and names the group
 * replaced, with the group's last delivered id at the check before (what the old group had delivered then: every
 * entry above it, up to the new group's last delivered id, may have been skipped).
 *
 * A group made again while no intake ran (the daemon stopped, or killed): at the intake's first check (its start) a
 * group it found (did not make) without the mark, and without the intake's own consumer (which a group that ever
 * delivered to it holds), is named too, with no `before` (nothing was checked before): the intake tells from its
 * journaled ledger whether it read from that stream before (then the group is one made again: command-intake.ts reads
 * what it skipped from the stream) or not (a first start: a group made by someone else ahead of the daemon). A group
 * marked by no version (the daemon upgraded from one without marks) still holds the intake's consumer: the same group,
 * marked now, nothing named. Were that consumer deleted too (XGROUP DELCONSUMER, say by a clean-up of idle consumers,
 * which drops its pending entries with it), the group is taken for one made again: harmless — what is read again is
 * answered from the ledger, none executed twice.
 *
 * Not told: the mark deleted by hand while the intake runs (XGROUP DELCONSUMER: taken for a group made again — its
 * entries are read and answered from the ledger, nothing is executed twice). With several consumers (daemons), an entry
 * the old group delivered to another one after the check before is in the range read: the intake handles it too, and
 * each daemon's ledger knows only its own commands.
 */
import { LuaScript, type ScriptClient } from './lua-script.js';

/** The name of the mark consumer of an intake's consumer. */
export function markOf(consumer: string): string {
  return `${consumer}:group-mark`;
}

/**
 * ARGV[1] the group, ARGV[2] the mark, ARGV[3] the intake's consumer, ARGV[4..] the streams. Per stream whose group
 * exists: {stream, 1 when the mark was missing (made now) else 0, the group's last-delivered-id, 1 when the mark was
 * missing and the intake's consumer is in the group else 0}.
 */
const MARK_SCRIPT = new LuaScript(`
local group, mark, me = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for k = 4, #ARGV do
  local key = ARGV[k]
  local groups = redis.pcall('XINFO', 'GROUPS', key)
  if type(groups) == 'table' and not groups.err then
    for _, g in ipairs(groups) do
      local name, last
      for i = 1, #g, 2 do
        if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
      end
      if name == group then
        local made = redis.call('XGROUP', 'CREATECONSUMER', key, group, mark)
        local known = 0
        if made == 1 then
          for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', key, group)) do
            for i = 1, #c, 2 do
              if c[i] == 'name' and c[i + 1] == me then known = 1 end
            end
          end
        end
        out[#out + 1] = {key, made, last, known}
      end
    end
  end
end
return out
`);

/** A group found made again since the check before. */
export interface GroupReplaced {
  readonly stream: string;
  /**
   * The old group's last delivered id at the check before; undefined: found unmarked at the intake's first check (its
   * start), without its consumer — made again while no intake ran, or never read from by this consumer (the intake's
   * ledger tells which).
   */
  readonly before: string | undefined;
  /** The new group's last delivered id now. */
  readonly now: string;
}

export class GroupMark {
  /** Per stream, the group's last delivered id at the last check that found it marked. */
  private readonly lastDelivered = new Map<string, string>();
  private readonly mark: string;

  constructor(private readonly group: string, private readonly consumer: string, private readonly streams: readonly string[]) {
    this.mark = markOf(consumer);
  }

  /**
   * Mark every stream's group and note where it is. `made`: the streams whose group the intake has just made (a
   * missing mark is no replacement there). Returns the groups found made again: since the check before, or (`before`
   * undefined) found unmarked, without the intake's consumer, at the first check of the stream.
   */
  async check(client: ScriptClient, made: ReadonlySet<string>): Promise<GroupReplaced[]> {
    const args = MARK_SCRIPT.call(0);
    args.push(this.group, this.mark, this.consumer, ...this.streams);
    const found = await MARK_SCRIPT.run(client, args);
    const replaced: GroupReplaced[] = [];
    if (!Array.isArray(found)) return replaced;
    for (const row of found as unknown[]) {
      if (!Array.isArray(row)) continue;
      const stream = String(row[0]);
      const now = String(row[2]);
      const before = this.lastDelivered.get(stream);
      if (!made.has(stream) && Number(row[1]) === 1 && (before !== undefined || Number(row[3]) !== 1)) replaced.push({ stream, before, now });
      this.lastDelivered.set(stream, now);
    }
    return replaced;
  }
}
