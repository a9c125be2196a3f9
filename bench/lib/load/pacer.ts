/** How many orders a client may have sent by now at `ratePerS` (0: no limit), counting from `t0Ms`. */
export function allowedByNow(ratePerS: number, t0Ms: number, nowMs: number): number {
  return ratePerS > 0 ? Math.floor(((nowMs - t0Ms) * ratePerS) / 1000) + 1 : Number.MAX_SAFE_INTEGER;
}

/** Milliseconds until order number `sent + 1` is due (at least 1). */
export function msUntilNext(ratePerS: number, t0Ms: number, nowMs: number, sent: number): number {
  return Math.max(1, Math.ceil(t0Ms + (sent * 1000) / ratePerS - nowMs));
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
