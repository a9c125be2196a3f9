/**
 * CPU time and memory of a process from /proc (Linux): utime + stime of /proc/<pid>/stat (all its threads, worker
 * strategies included), the same of its main thread alone (/proc/<pid>/task/<pid>/stat: the dispatch thread, whose
 * share of the wall time tells a saturated daemon from one that waits), and VmRSS of /proc/<pid>/status, sampled
 * while a run goes to keep the peak; and the whole machine's busy CPU time of /proc/stat over the same window (a main
 * thread below 1 on a machine whose cores are all busy waits for a core, not for work).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** User + system CPU seconds the process's main thread (its first, tid = pid) has used so far. */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/**
 * CPU seconds the whole machine has spent busy so far (every CPU: /proc/stat's first line, all but idle and iowait;
 * guest time is already counted in user and nice).
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return busy / ticksPerSecond();
}

/** Resident set size in MB (VmRSS). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

export interface ProcUsage {
  readonly cpuS: number;
  /** CPU seconds of the main thread over the window. */
  readonly mainCpuS: number;
  /** The window's wall time (s): from start() to stop(). */
  readonly wallS: number;
  readonly rssPeakMb: number;
  readonly rssEndMb: number;
  /** The machine's busy CPU seconds over the window (all processes), and how many CPUs it has. */
  readonly machineBusyS: number;
  readonly machineCores: number;
}

/** From start() to stop(): CPU seconds used, and the peak and last RSS sampled every `everyMs`. */
export class ProcSampler {
  private cpu0 = 0;
  private main0 = 0;
  private machine0 = 0;
  private wall0 = 0;
  private peak = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number, private readonly everyMs = 200) {}

  start(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.main0 = mainThreadCpuSeconds(this.pid);
    this.machine0 = machineBusySeconds();
    this.wall0 = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
  }

  stop(): ProcUsage {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.sample();
    return {
      cpuS: cpuSeconds(this.pid) - this.cpu0, mainCpuS: mainThreadCpuSeconds(this.pid) - this.main0, wallS: (performance.now() - this.wall0) / 1000,
      rssPeakMb: this.peak, rssEndMb: this.last, machineBusyS: machineBusySeconds() - this.machine0, machineCores: availableParallelism(),
    };
  }

  private sample(): void {
    try {
      this.last = rssMb(this.pid);
      if (this.last > this.peak) this.peak = this.last;
    } catch {
      // the process is gone: keep what was sampled
    }
  }
}
