import type { Logger } from './logger.ts';

type Step = { name: string; run: () => Promise<void> | void };

/**
 * One ordered shutdown routine for every process. Steps run in reverse order of registration,
 * like deferred calls: register each resource right after opening it, and whatever started last
 * (intake) stops first, while clients it depends on close after it. Each step is awaited, all
 * under one hard deadline after which the process exits anyway, so a stuck client can never
 * hang a deploy; a start-up that fails half-way undoes exactly what it had started.
 */
export class Shutdown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs = 15_000,
    /** One stuck step (a client that never answers) must not keep the later ones from running. */
    private readonly stepTimeoutMs = 10_000,
  ) {}

  add(name: string, run: Step['run']): this {
    this.steps.push({ name, run });
    return this;
  }

  /** Runs the steps once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  /** SIGINT/SIGTERM run the routine and exit; a second signal exits at once. */
  installSignalHandlers(exit: (code: number) => void = (c) => process.exit(c)): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        exit(130);
        return;
      }
      signalled = true;
      void this.run(signal).then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  private async execute(reason: string): Promise<void> {
    this.logger.info({ reason, steps: this.steps.map((s) => s.name).reverse() }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.deadlineMs);
      timer.unref();
    });
    const all = (async () => {
      for (const step of [...this.steps].reverse()) {
        const started = Date.now();
        let stepTimer: NodeJS.Timeout | undefined;
        try {
          const stuck = new Promise<'stuck'>((resolve) => {
            stepTimer = setTimeout(() => resolve('stuck'), this.stepTimeoutMs);
            stepTimer.unref();
          });
          const outcome = await Promise.race([Promise.resolve().then(step.run), stuck]);
          if (outcome === 'stuck') this.logger.warn({ step: step.name, ms: this.stepTimeoutMs }, 'shutdown step timed out; going on');
          else this.logger.info({ step: step.name, ms: Date.now() - started }, 'shutdown step done');
        } catch (err) {
          this.logger.error({ err, step: step.name }, 'shutdown step failed; continuing');
        } finally {
          clearTimeout(stepTimer);
        }
      }
    })();
    const outcome = await Promise.race([all.then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      this.logger.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed');
      throw new Error(`shutdown did not finish within ${this.deadlineMs} ms`);
    }
  }
}
