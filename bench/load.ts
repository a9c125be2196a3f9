/**
 * bench:load — the load tester: N clients on one entry point (`--via http|ws|worker|redis`; without --via every
 * one in turn) against the real paper daemon process (journal on; `--no-journal` turns it off), flat out or at
 * `--rate` orders/s in total, for `--duration` seconds each; then, in the same run, the transport's own limit on
 * this machine (a bare node:http server, a bare ws echo, a bare SharedArrayBuffer ring, plain Redis streams) and
 * the daemon's figure as a share of it. See bench/lib/load/run-load.ts for what is measured and how.
 *
 * Usage and options: USAGE below (`npm run bench:load -- --help`). One JSON line on stdout at the end:
 *   {"bench":"load","journal":true,"runs":[{"via":"ws","clients":4,"orders_per_s":…,"acks_per_s":…,…}, …]}
 */
import { benchArgs, flag, list, num, whole } from './lib/args.js';
import { DEFAULT_CLIENTS, DEFAULT_WINDOW, runLoad, VIAS, type LoadRun } from './lib/load/run-load.js';

const USAGE = `Usage: npm run bench:load [-- --via ws --clients N --rate R --duration S --runs N --no-journal --window W
                             --transport-duration S --no-ws-batch --frame-max N --full-stream]
  --via V                  the entry points, one or more of ${VIAS.join(', ')} (comma-separated; default: every one in turn)
  --clients N              clients per entry point, 1 to 99 (defaults: http ${DEFAULT_CLIENTS.http}, ws ${DEFAULT_CLIENTS.ws}, worker ${DEFAULT_CLIENTS.worker}, redis ${DEFAULT_CLIENTS.redis})
  --rate R                 orders/s in total, 1 to 100000000 (default: flat out)
  --duration S             seconds per entry point, 0.5 to 3600 (default 10)
  --runs N                 runs per entry point, 1 to 20 (default 1; with more, each via's row is its median run by
                           orders/s, with every run's orders/s and transport figure listed)
  --no-journal             the daemon's journal off
  --window W               orders in flight per client, 1 to 1000000 (defaults: http ${DEFAULT_WINDOW.http}, ws ${DEFAULT_WINDOW.ws}, worker ${DEFAULT_WINDOW.worker}, redis ${DEFAULT_WINDOW.redis})
  --transport-duration S   seconds of the transport's own limit, 0.5 to 600 (default 5, at most --duration)
  --no-ws-batch            WebSocket clients send one op per frame (default: ?batch=1 and array frames)
  --frame-max N            ops per WebSocket array frame at most, 1 to 100000 (default 1000)
  --full-stream            the clients ask for every order event and for the whole order in every answer (default,
                           as a client that follows its acknowledgements: on the stream ?event= with only ACCEPT,
                           PARTIAL_FILL, FILL, DENY, REJECT, CANCELED, EXPIRE; ?result=ids on the stream and the
                           HTTP submits; the Redis client's results: 'ids')
Redis on 127.0.0.1:6379 (REDIS_URL to change). BENCH_DAEMON_NODE_ARGS: node flags of the daemon (e.g. "--cpu-prof
--cpu-prof-dir=/tmp/prof"). Human-readable lines on stderr, then one JSON line on stdout:
  {"bench":"load","journal":true,"runs":[{"via":"ws","clients":4,"orders_per_s":…,"acks_per_s":…,…}, …]}`;

const args = benchArgs({
  script: 'bench:load',
  usage: USAGE,
  options: {
    via: list(VIAS, { default: VIAS }),
    clients: whole(1, 99),
    rate: num(1, 100_000_000),
    duration: num(0.5, 3600, { default: 10 }),
    runs: whole(1, 20, { default: 1 }),
    'no-journal': flag(),
    window: whole(1, 1_000_000),
    'transport-duration': num(0.5, 600),
    'no-ws-batch': flag(),
    'frame-max': whole(1, 100_000),
    'full-stream': flag(),
  },
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  // Ctrl-C or a kill: exit through process.exit so the daemons and bare servers are killed and temp dirs removed
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const list = args.via;
  const clients = args.clients;
  const ratePerS = args.rate;
  const durationS = args.duration;
  const runs = args.runs;
  const window = args.window;
  const transportDurationS = args['transport-duration'];
  const frameMax = args['frame-max'];
  const journal = !args['no-journal'];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`bench:load: ${list.join(', ')}; ${durationS} s each, journal ${journal ? 'on' : 'off'}, ${ratePerS === undefined ? 'flat out' : `${ratePerS} orders/s`}, `
    + `clients ${list.map((v) => `${v} ${clients ?? DEFAULT_CLIENTS[v]}`).join(', ')}${runs > 1 ? `, ${runs} runs` : ''}`);
  const rows: (LoadRun & { orders_per_s_runs?: number[]; transport_per_s_runs?: number[] })[] = [];
  for (const via of list) {
    const done: LoadRun[] = [];
    for (let r = 0; r < runs; r++) {
      done.push(await runLoad({
        via, clients, ratePerS, durationS, journal, window, transportDurationS, frameMax, wsBatch: !args['no-ws-batch'], fullStream: args['full-stream'], log,
      }));
    }
    if (runs === 1) {
      rows.push(done[0]!);
    } else {
      const mid = median(done.map((d) => d.orders_per_s));
      const pick = done.reduce((best, d) => (Math.abs(d.orders_per_s - mid) < Math.abs(best.orders_per_s - mid) ? d : best));
      rows.push({ ...pick, orders_per_s_runs: done.map((d) => d.orders_per_s), transport_per_s_runs: done.map((d) => d.transport_per_s) });
    }
  }
  log('');
  for (const r of rows) {
    log(`${r.via.padEnd(6)} ${String(r.orders_per_s).padStart(9)} orders/s  ack p50 ${r.ack_p50_us} us p99 ${r.ack_p99_us} us  `
      + `transport ${r.transport_per_s}/s  share ${r.share_of_transport}  errors ${r.errors}`);
  }
  process.stdout.write(JSON.stringify({ bench: 'load', journal, runs: rows }) + '\n');
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:load failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
