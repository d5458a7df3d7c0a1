/**
 * Open-model arrivals (k6's constant-arrival-rate): each kind of operation starts at its rate on a
 * clock of its own, whether or not earlier ones have been answered. A closed loop (send, wait, send)
 * slows down with the server and so hides exactly the latency a load test is for. What stays bounded
 * is the number of operations in flight: an arrival beyond it is not started and counts as
 * `dropped`, so an overwhelmed target shows up as errors instead of as a quietly lower rate.
 */

export interface ArrivalKind {
  name: string;
  /** Arrivals per second at multiplier 1 (this process's share). */
  rate: number;
  run(): Promise<void>;
}

export interface SchedulerOptions {
  /** Operations in flight at once, all kinds together. */
  maxInFlight: number;
  /** Arrivals this scheduler may start in all (dropped ones count): the run's `--max-ops` share. */
  budget: number;
  onDrop(kind: string): void;
  /** Called once when the budget is spent. */
  onBudgetSpent?(): void;
  /** Milliseconds between ticks (arrivals due within one tick start together). */
  tickMs?: number;
}

export class ArrivalScheduler {
  private multiplier = 0;
  private readonly credit: number[];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private inFlight = 0;
  private arrivals = 0;
  private readonly idle: (() => void)[] = [];
  private exhausted = false;

  constructor(
    private readonly kinds: readonly ArrivalKind[],
    private readonly options: SchedulerOptions,
  ) {
    this.credit = kinds.map(() => 0);
  }

  /** Arrivals so far (started and dropped). */
  get started(): number {
    return this.arrivals;
  }

  get pending(): number {
    return this.inFlight;
  }

  get budgetSpent(): boolean {
    return this.arrivals >= this.options.budget;
  }

  /** Sets the stage's multiplier of every rate (0 pauses); starts the clock on first use. */
  setMultiplier(multiplier: number): void {
    this.multiplier = multiplier;
    if (this.budgetSpent) this.spent();
    else if (this.timer === undefined) {
      this.last = performance.now();
      this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 5);
    }
  }

  /** Stops starting operations and resolves once those in flight have finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.multiplier = 0;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private tick(): void {
    const now = performance.now();
    const elapsedS = (now - this.last) / 1000;
    this.last = now;
    for (let i = 0; i < this.kinds.length; i++) {
      const kind = this.kinds[i]!;
      // Fractional credit carries over, so a rate of 0.3/s starts one operation every ~3.3 s.
      this.credit[i]! += kind.rate * this.multiplier * elapsedS;
      while (this.credit[i]! >= 1) {
        this.credit[i]! -= 1;
        this.arrivals++;
        if (this.inFlight >= this.options.maxInFlight) this.options.onDrop(kind.name);
        else this.launch(kind);
        if (this.budgetSpent) return this.spent();
      }
    }
  }

  private launch(kind: ArrivalKind): void {
    this.inFlight++;
    // run() records its own outcome; a rejection here is a bug in it, not a result.
    void kind
      .run()
      .catch(() => undefined)
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }

  private spent(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.exhausted) return;
    this.exhausted = true;
    this.options.onBudgetSpent?.();
  }
}
