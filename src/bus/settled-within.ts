/**
 * A bounded wait on something that may never answer (a Redis that stopped answering, a strategy's hook): true when
 * `p` settled — resolved or rejected — within `ms`, false when the time ran out first. Never rejects; `p` goes on, and
 * a rejection of it later is handled. The timer does not hold the process.
 */
export function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref?.();
    }),
  ]).finally(() => clearTimeout(timer));
}
