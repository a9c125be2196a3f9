/**
 * The benches' command lines (bench/lib/args.ts): an unknown option, an option without its value or with a bad one is
 * refused with the option named, before any work; --help gives the usage. Then every bench entry script, built: an
 * unknown option exits 2 at once with it named on stderr (a script that ignored it would start a full run, which the
 * spawn's 30 s bound cuts off: no exit code), and --help exits 0 with the usage on stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArgsError, flag, list, num, oneOf, parseBenchArgs, str, whole, type ArgValues, type BenchArgsSpec, type OptRecord,
} from '../../bench/lib/args.js';
import { ensureBuilt } from '../helpers/daemon-process.js';
import { REPO_ROOT, repoPath } from '../helpers/repo.js';

const VIAS = ['http', 'ws', 'worker', 'redis'] as const;
const USAGE = 'Usage: npm run bench:load [-- --via ws --runs N]';

/** bench:load's options. */
const LOAD = {
  script: 'bench:load',
  usage: USAGE,
  options: {
    via: list(VIAS, { default: VIAS }),
    clients: whole(1, 99),
    rate: num(1, 100_000_000),
    duration: num(0.5, 3600, { default: 10 }),
    runs: whole(1, 20, { default: 1 }),
    'no-journal': flag(),
    'frame-max': whole(1, 100_000),
  },
};

function values<O extends OptRecord, P extends OptRecord = Record<never, never>>(spec: BenchArgsSpec<O, P>, argv: string[]): ArgValues<O> & ArgValues<P> {
  const r = parseBenchArgs(spec, argv);
  if (!('values' in r)) throw new Error(`expected values, got the usage for ${argv.join(' ')}`);
  return r.values;
}

/** The message of the ArgsError the command line is refused with. */
function refusal<O extends OptRecord, P extends OptRecord>(spec: BenchArgsSpec<O, P>, argv: string[]): string {
  try {
    parseBenchArgs(spec, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ArgsError);
    return (err as ArgsError).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('bench/lib/args.ts', () => {
  it('reads every kind of option; absent ones take their defaults (or undefined)', () => {
    expect(values(LOAD, [])).toEqual({ via: [...VIAS], clients: undefined, rate: undefined, duration: 10, runs: 1, 'no-journal': false, 'frame-max': undefined });
    const v = values(LOAD, ['--via', 'ws,http', '--clients', '8', '--rate=2500.5', '--duration', '0.5', '--runs', '3', '--no-journal', '--frame-max', '1e3']);
    expect(v).toEqual({ via: ['ws', 'http'], clients: 8, rate: 2500.5, duration: 0.5, runs: 3, 'no-journal': true, 'frame-max': 1000 });
  });

  it('refuses an unknown option, naming it and the accepted ones', () => {
    const m = refusal(LOAD, ['--durations', '5']);
    expect(m).toContain('unknown option --durations');
    expect(m).toContain('accepted: --via, --clients, --rate, --duration, --runs, --no-journal, --frame-max, --help');
    expect(refusal(LOAD, ['--runs', '2', '-x'])).toContain('unknown option -x');
    expect(refusal(LOAD, ['--constructor'])).toContain('unknown option --constructor; accepted:');
    // a script that takes no options refuses any but --help
    expect(refusal({ script: 'bench:book', usage: 'Usage: npm run bench:book', options: {} }, ['--orders', '5']))
      .toBe('unknown option --orders; this script takes no options (only --help)');
  });

  it('refuses an option without its value (at the end, or followed by another option), naming it', () => {
    expect(refusal(LOAD, ['--via'])).toBe('--via needs a value: one or more of http, ws, worker, redis (comma-separated)');
    expect(refusal(LOAD, ['--duration', '--runs', '2'])).toBe('--duration needs a value: a number from 0.5 to 3600 (it is followed by the option --runs)');
    expect(refusal(LOAD, ['--runs', '-1'])).toContain('--runs needs a value');
    expect(refusal(LOAD, ['--runs='])).toBe("--runs must be a whole number from 1 to 20 (got '')");
  });

  it('refuses numbers out of range, not numbers, and fractions where a whole number is wanted, naming the option', () => {
    expect(refusal(LOAD, ['--runs', '0'])).toBe("--runs must be a whole number from 1 to 20 (got '0')");
    expect(refusal(LOAD, ['--runs', '21'])).toBe("--runs must be a whole number from 1 to 20 (got '21')");
    expect(refusal(LOAD, ['--runs', '1.5'])).toBe("--runs must be a whole number from 1 to 20 (got '1.5')");
    expect(refusal(LOAD, ['--duration', '0.4'])).toBe("--duration must be a number from 0.5 to 3600 (got '0.4')");
    expect(refusal(LOAD, ['--rate', 'fast'])).toBe("--rate must be a number from 1 to 100000000 (got 'fast')");
    expect(refusal(LOAD, ['--rate', 'Infinity'])).toContain('--rate must be a number');
    const more = {
      script: 'x', usage: 'Usage: x',
      options: {
        orders: whole(2, Infinity, { default: 1000, check: (v) => v % 2 === 0, what: 'an even whole number >= 2' }),
        minutes: num(0, Infinity, { default: 10, aboveMin: true }),
        seed: whole(0, Number.MAX_SAFE_INTEGER, { default: 1 }),
        requests: whole(1, Infinity, { default: 5 }),
      },
    };
    expect(refusal(more, ['--orders', '3'])).toBe("--orders must be an even whole number >= 2 (got '3')");
    expect(refusal(more, ['--minutes', '0'])).toBe("--minutes must be a positive number (got '0')");
    expect(refusal(more, ['--seed=-1'])).toBe("--seed must be a non-negative whole number (got '-1')");
    expect(refusal(more, ['--requests', '0'])).toBe("--requests must be a positive whole number (got '0')");
    expect(values(more, ['--orders', '4', '--minutes', '0.5', '--seed', '0'])).toEqual({ orders: 4, minutes: 0.5, seed: 0, requests: 5 });
  });

  it('checks a comma list against its set', () => {
    expect(refusal(LOAD, ['--via', 'grpc'])).toBe("--via must be one or more of http, ws, worker, redis (comma-separated) (got 'grpc')");
    expect(refusal(LOAD, ['--via', 'http,grpc'])).toBe("--via must be one or more of http, ws, worker, redis (comma-separated) (got 'http,grpc'; not one of them: 'grpc')");
    expect(refusal(LOAD, ['--via', 'http,,ws'])).toContain('not one of them: an empty item');
    expect(refusal(LOAD, ['--via', 'HTTP'])).toContain("(got 'HTTP')");
    expect(values(LOAD, ['--via', 'redis']).via).toEqual(['redis']);
  });

  it('refuses a value given to a flag, an option given twice, and arguments a script does not take', () => {
    expect(refusal(LOAD, ['--no-journal=yes'])).toBe("--no-journal takes no value (got 'yes')");
    expect(refusal(LOAD, ['--runs', '1', '--runs', '2'])).toBe('--runs is given more than once');
    expect(refusal(LOAD, ['ws'])).toContain("unexpected argument 'ws'; accepted: --via");
    expect(refusal(LOAD, ['--', '--runs'])).toContain("unexpected argument '--runs'");
  });

  it('reads the positional arguments a script takes, named in its messages', () => {
    const spec = { script: 'market-worker', usage: 'Usage: market-worker [trades]', options: {}, positionals: { trades: whole(1, Number.MAX_SAFE_INTEGER, { default: 2_000_000 }) } };
    expect(values(spec, [])).toEqual({ trades: 2_000_000 });
    expect(values(spec, ['50000'])).toEqual({ trades: 50_000 });
    expect(refusal(spec, ['lots'])).toBe("trades must be a positive whole number (got 'lots')");
    expect(refusal(spec, ['1', '2'])).toBe("unexpected argument '2'; accepted: --help, [trades]");
    expect(refusal(spec, ['--trades', '5'])).toContain('unknown option --trades');
  });

  it('reads strings and one word of a set (bench:submit --only=worker)', () => {
    const spec = { script: 'x', usage: 'Usage: x', options: { only: oneOf(['worker']), breakdown: flag(), dist: str({ default: 'dist' }) } };
    expect(values(spec, [])).toEqual({ only: undefined, breakdown: false, dist: 'dist' });
    expect(values(spec, ['--only=worker', '--breakdown', '--dist', '/tmp/base/dist'])).toEqual({ only: 'worker', breakdown: true, dist: '/tmp/base/dist' });
    expect(values(spec, ['--only', 'worker']).only).toBe('worker');
    expect(refusal(spec, ['--only=inproc'])).toBe("--only must be 'worker' (got 'inproc')");
    expect(refusal(spec, ['--dist='])).toContain('--dist must be');
  });

  it('--help (or -h) anywhere before -- returns the usage, whatever else is on the line', () => {
    expect(parseBenchArgs(LOAD, ['--help'])).toEqual({ help: USAGE });
    expect(parseBenchArgs(LOAD, ['-h'])).toEqual({ help: USAGE });
    expect(parseBenchArgs(LOAD, ['--durations', '5', '--help'])).toEqual({ help: USAGE });
    expect(parseBenchArgs(LOAD, ['--runs', '0', '--help'])).toEqual({ help: USAGE });
    expect(() => parseBenchArgs(LOAD, ['--', '--help'])).toThrow(ArgsError);
  });
});

/** Every bench entry script (bench/*.ts, and bench/lib/paper-venue-cost.ts, run directly), and how it names itself. */
const SCRIPTS: readonly (readonly [file: string, name: string])[] = [
  ['api', 'bench:api'], ['book', 'bench:book'], ['fuzz-api', 'fuzz:api'], ['history', 'bench:history'], ['journal', 'bench:journal'],
  ['kill', 'bench:kill'], ['load', 'bench:load'], ['market', 'bench:market'], ['market-worker', 'market-worker'], ['redis', 'bench:redis'],
  ['route', 'bench:route'], ['snapshot', 'bench:snapshot'], ['soak', 'bench:soak'], ['stress', 'bench:stress'], ['submit', 'bench:submit'],
  ['lib/paper-venue-cost', 'paper-venue-cost'],
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : p.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

/** dist/bench must be a build of the current bench/ (and dist/src of src/). */
function ensureBenchBuilt(): void {
  ensureBuilt();
  const newest = newestMtime(repoPath('bench'));
  const outs = SCRIPTS.map(([file]) => repoPath(`dist/bench/${file}.js`));
  if (outs.every((o) => existsSync(o) && statSync(o).mtimeMs >= newest)) return;
  spawnSync(process.execPath, [repoPath('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeout: 120_000 });
}

/** The script run with `args`, bounded at 30 s (a script that starts its real run instead is cut off: status null). */
function run(file: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [repoPath(`dist/bench/${file}.js`), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bench scripts (built)', () => {
  it.each(SCRIPTS)('%s refuses an unknown option at once (exit 2, the option named) and prints its usage on --help (exit 0)', (file, name) => {
    ensureBenchBuilt();
    const bad = run(file, ['--no-such-option']);
    expect(bad.status, bad.stderr + bad.stdout).toBe(2);
    expect(bad.stderr.startsWith(`${name}: unknown option --no-such-option;`), bad.stderr).toBe(true);
    expect(bad.stderr).toContain('--help');
    expect(bad.stdout).toBe('');
    const help = run(file, ['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout.startsWith('Usage:'), help.stdout).toBe(true);
    // the usage only: no result line (a JSON object at the start of a line)
    expect(help.stdout.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  }, 70_000);

  it('bench:load refuses a typo and an option without its value, before any work', () => {
    ensureBenchBuilt();
    const typo = run('load', ['--durations', '5']);
    expect(typo.status, typo.stderr).toBe(2);
    expect(typo.stderr).toContain('bench:load: unknown option --durations; accepted: --via, --clients, --rate, --duration,');
    const via = run('load', ['--via']);
    expect(via.status, via.stderr).toBe(2);
    expect(via.stderr).toContain('bench:load: --via needs a value: one or more of http, ws, worker, redis (comma-separated)');
    const runs = run('load', ['--via', 'ws', '--runs', '0']);
    expect(runs.status, runs.stderr).toBe(2);
    expect(runs.stderr).toContain("bench:load: --runs must be a whole number from 1 to 20 (got '0')");
    expect(typo.stdout + via.stdout + runs.stdout).toBe('');
  }, 100_000);
});
