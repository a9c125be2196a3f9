/**
 * The node flags the daemon runs with wherever the project starts it: `npm start`, deploy/Dockerfile's entry point,
 * deploy/switchyard.service, the benchmarks that start the real daemon process (bench:load, bench:redis, bench:api)
 * and bench:stress, which runs the daemon's composition in its own process, so that they measure what is run
 * (test/deploy checks that every launcher carries them).
 *
 * --max-semi-space-size=32: a young generation of up to 2 x 32 MB instead of 2 x 16 MB. The daemon's main thread makes
 * short-lived objects at a high rate under load (requests, events and their JSON, fills); with the larger nursery it
 * collects less often and promotes fewer of them to the old generation. Measured on 2026-12-04, bench:load one run
 * each, interleaved: ws 24.4 / 24.6 k -> 25.9 / 26.2 k orders/s (daemon CPU per order 59.6 / 58.9 -> 54.1 / 54.7 µs),
 * http 9.0 / 9.7 k -> 9.6 / 9.7 k (121 / 115 -> 114 / 115 µs), worker 83.6 / 80.6 k -> 84.8 / 83.3 k; peak RSS 15 to
 * 110 MB higher (the nursery only grows while the allocation rate needs it). bench:stress: 33.7 / 35.6 s against
 * 39.8 / 38.8 s without (64 MB: 35.8 s).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
