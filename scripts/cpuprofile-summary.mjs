#!/usr/bin/env node
/**
 * Sums a V8 CPU profile (a .cpuprofile JSON file, as `node --cpu-prof` writes one per thread; bench:load passes the flag to
 * the daemon through BENCH_DAEMON_NODE_ARGS) into the tables a profiling session reads first: self time by function and
 * by file, and time including callees by function. `--from` and `--to` keep only the samples in that window (seconds
 * from the profile's first sample), so a daemon's start-up and shutdown can be left out of a load run's figures;
 * `--callers NAME` lists the call paths that lead to the samples of the functions named NAME instead.
 *
 * Usage: node scripts/cpuprofile-summary.mjs FILE [--top N] [--from S] [--to S] [--callers NAME [--depth D]]
 * Times are of samples, so wall time on the thread: a thread descheduled inside a system call is counted there.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const USAGE = 'usage: node scripts/cpuprofile-summary.mjs FILE [--top N] [--from S] [--to S] [--callers NAME [--depth D]]';

function parseArgs(argv) {
  const o = { file: undefined, top: 30, from: 0, to: Infinity, callers: undefined, depth: 6 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number >= 0`);
      return v;
    };
    if (a === '--top') o.top = number();
    else if (a === '--from') o.from = number();
    else if (a === '--to') o.to = number();
    else if (a === '--depth') o.depth = number();
    else if (a === '--callers') o.callers = value();
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (o.file === undefined) o.file = a;
    else throw new Error(`one file only (${a})`);
  }
  if (o.file === undefined) throw new Error('no profile file given');
  return o;
}

/** A node's name: its function (or "(anonymous)"), its file shortened to what follows dist/ or node_modules/, its line. */
function frameName(frame) {
  const url = frame.url === '' ? '(native)' : frame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${url}:${frame.lineNumber + 1}`;
}

function fileName(frame) {
  return frame.url === '' ? '(native)' : frame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
}

/** Microseconds of samples per node id within [from, to] seconds of the first sample. */
function selfTimes(profile, from, to) {
  const self = new Map();
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from * 1e6 || t > to * 1e6) continue;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  return self;
}

function table(title, sums, total, top) {
  const lines = [`== ${title} (${(total / 1e3).toFixed(1)} ms sampled)`];
  for (const [name, us] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`${(us / 1e3).toFixed(1).padStart(10)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
  }
  return lines.join('\n');
}

function add(map, key, us) {
  map.set(key, (map.get(key) ?? 0) + us);
}

export function summarize(profile, o) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = selfTimes(profile, o.from, o.to);
  let total = 0;
  for (const us of self.values()) total += us;
  if (o.callers !== undefined) {
    const paths = new Map();
    for (const [id, us] of self) {
      if (byId.get(id).callFrame.functionName !== o.callers) continue;
      const path = [];
      for (let p = parent.get(id); p !== undefined && path.length < o.depth; p = parent.get(p)) path.push(frameName(byId.get(p).callFrame));
      add(paths, path.join(' < '), us);
    }
    return table(`callers of ${o.callers}`, paths, total, o.top);
  }
  const byFunction = new Map();
  const byFile = new Map();
  const inclusive = new Map();
  for (const [id, us] of self) {
    const frame = byId.get(id).callFrame;
    add(byFunction, frameName(frame), us);
    add(byFile, fileName(frame), us);
    // every function on the stack once (a recursive one is not counted twice)
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const name = frameName(byId.get(p).callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      add(inclusive, name, us);
    }
  }
  return [
    table('self by function', byFunction, total, o.top),
    table('self by file', byFile, total, o.top),
    table('including callees, by function', inclusive, total, o.top),
  ].join('\n\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stdout.write(`${summarize(JSON.parse(readFileSync(o.file, 'utf8')), o)}\n`);
}
