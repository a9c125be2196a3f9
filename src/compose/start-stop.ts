/**
 * The daemon's start and stop sequencing, apart from what the steps do:
 *  - start() runs the start steps once (later calls get the same promise); a start that fails releases what it
 *    opened (`abandon`) and rejects with its error;
 *  - a stop() during the start does not race it: the step in progress finishes, the start steps check
 *    `stopRequested()` between steps and skip the rest, and the stop then runs as usual;
 *  - stop() runs once (later calls get the same promise): `beforeStop` at once (close intake), then — after the
 *    start has settled — the stop steps when the start got anywhere, nothing more when it failed (abandon already
 *    released everything), and `finally` in both cases.
 */
export interface StartStopSteps<A> {
  start(stopRequested: () => boolean): Promise<A>;
  /** Releases what a failed start opened; errors are its own business (the start's error is the one reported). */
  abandon(): Promise<void>;
  /** Runs as soon as a stop is asked for, before the start has settled. */
  beforeStop(reason: string): void;
  /** The stop after a start that succeeded or was interrupted. */
  stop(reason: string): Promise<void>;
  /** Last, after a stop of either kind (the start failed, or the stop steps ran). */
  finally(startFailed: boolean, reason: string): Promise<void>;
}

export class StartStop<A> {
  private starting: Promise<A> | undefined;
  private stopping: Promise<void> | undefined;
  private outcome: 'started' | 'failed' | undefined;

  constructor(private readonly steps: StartStopSteps<A>) {}

  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  start(): Promise<A> {
    this.starting ??= this.steps.start(() => this.stopping !== undefined).then((r) => {
      this.outcome = 'started';
      return r;
    }, async (err: unknown) => {
      await this.steps.abandon();
      this.outcome = 'failed';
      throw err;
    });
    return this.starting;
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    this.steps.beforeStop(reason);
    // a start in progress finishes its current step first; one that failed released everything
    const started = this.starting === undefined || this.outcome === 'started'
      || (this.outcome === undefined && (await this.starting.then(() => true, () => false)));
    const failed = !started || this.outcome === 'failed';
    if (!failed) await this.steps.stop(reason);
    await this.steps.finally(failed, reason);
  }
}
