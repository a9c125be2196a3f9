/**
 * A thread's own CPU priority. Linux keeps a nice value per thread (setpriority(2) given a thread id changes that
 * thread alone), so a background thread — the trade history's — can step back behind the dispatch thread when the
 * cores are busy: it lags then, and catches up when they are not. Nice values only go up here (an unprivileged
 * process may not lower them), relative to the thread's own. Where there is no /proc/thread-self (not Linux),
 * nothing changes and the reason is given.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export type ThreadNiceResult =
  | { readonly ok: true; readonly tid: number; readonly nice: number }
  | { readonly ok: false; readonly reason: string };

/** The most a nice value goes to (Linux: 19). */
const NICE_MAX = 19;

/** Adds `increment` (0 to 19) to the calling thread's nice value, at most to 19. */
export function raiseThreadNice(increment: number): ThreadNiceResult {
  if (!Number.isInteger(increment) || increment < 0 || increment > NICE_MAX) throw new RangeError(`a nice increment is a whole number from 0 to ${NICE_MAX}, got ${increment}`);
  let tid: number;
  try {
    // "<pid>/task/<tid>"
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return { ok: false, reason: 'no /proc/thread-self (per-thread priorities are Linux only)' };
  }
  if (!Number.isSafeInteger(tid) || tid <= 0) return { ok: false, reason: 'the thread id could not be read' };
  try {
    const nice = Math.min(NICE_MAX, getPriority(tid) + increment);
    if (increment > 0) setPriority(tid, nice);
    return { ok: true, tid, nice: getPriority(tid) };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
