import { parseBenchOptions, type BenchFlags, type BenchOptions } from './bench-options.js';
import { runBench } from './bench-runner.js';
import { ProgressLine } from './progress-line.js';
import { EXIT, exitCodeOf, renderJson, renderText } from './summary-report.js';

/**
 * The longest a run may take, whatever happens: each phase's own bound added up, plus a margin.
 * Past it the process exits (the accounts may then be left; the message names their prefix).
 */
export function hardBoundMs(o: BenchOptions): number {
  const setup = 60_000 + 500 * o.users + 200 * o.rooms + 100 * o.users * o.subscriptions;
  const connect = 30_000 + o.timeoutMs + (2000 * o.connections) / o.connectRate;
  const stop = o.timeoutMs + 10_000 + 20_000;
  const cleanup = 60_000 + 200 * o.users;
  return setup + connect + o.durationS * 1000 + stop + cleanup + 60_000;
}

/** `lo bench <scenario> --url …`: runs, prints the summary on stdout, exits 0, 1, 99 (thresholds) or 130. */
export async function runBenchCommand(scenario: string, flags: BenchFlags): Promise<void> {
  const options = parseBenchOptions(scenario, flags);
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) {
      console.error('\nlo bench: stopped at once; test accounts may be left (usernames start with bench_)');
      process.exit(EXIT.interrupted);
    }
    console.error('\nlo bench: stopping, then deleting the test accounts (press ctrl-C again to quit at once)');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bound = hardBoundMs(options);
  const watchdog = setTimeout(() => {
    console.error(`lo bench: the run passed its hard time bound (${Math.round(bound / 1000)} s) and was ended; test accounts may be left`);
    process.exit(EXIT.failed);
  }, bound);
  watchdog.unref();
  const progress = new ProgressLine();
  try {
    const result = await runBench(options, { signal: interrupt.signal, onProgress: (p) => progress.update(p) });
    progress.finish();
    const code = exitCodeOf(result);
    await new Promise<void>((resolve) => process.stdout.write(options.json ? renderJson(result) : renderText(result), () => resolve()));
    // Exit explicitly: a target that keeps a socket half-open must not keep the command alive.
    process.exit(code);
  } finally {
    progress.finish();
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
