/**
 * Client order ids are this prefix plus the order id in base 36: letters and digits only, at most 32 characters.
 * The prefix is the configured stable part (`daemon.clientIdPrefix`, 1 to 8 characters; default 4 characters of
 * the daemon name) and 6 characters of the start time in base 36: the stable part tells this daemon's orders from
 * other programs' on a shared account, the time part keeps two runs apart. Daemons sharing an account need stable
 * parts none of which starts another (e.g. all of the same length), so that no two of them make the same id.
 */
export function clientIdPrefix(stable: string, now: number): string {
  return stable + now.toString(36).slice(-6).padStart(6, '0');
}
