import type { Command } from 'commander';
import type { BenchFlags } from '../loadgen/bench-options.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `lo bench` and its hidden worker command. The load generator is imported only when one of them
 * runs, so `lo serve` neither loads nor compiles it (and its histogram library stays out of the bundle).
 */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('load-test a Lo deployment (yours): scenarios baseline, stress, spike, soak, breakpoint, storm; see docs/BENCH.md')
    .argument('<scenario>', 'baseline | stress | spike | soak | breakpoint | storm')
    .requiredOption('--url <url>', 'base URL of the deployment; the only host contacted (redirects are refused)')
    .option('--connections <n>', 'authenticated WebSocket connections held open', '100')
    .option('--subscriptions <n>', 'rooms each connection subscribes to', '1')
    .option('--rooms <n>', 'rooms the run creates (default: about 100 subscribers each)')
    .option('--users <n>', 'test accounts (default: connections / --connections-per-user)')
    .option('--connections-per-user <n>', 'sockets per account; keep under LO_WS_MAX_CONNECTIONS_PER_USER (20)', '10')
    .option('--publish-rate <n>', 'room publishes per second over WebSocket (delivery timed end to end)')
    .option('--geo-post-rate <n>', 'geo posts per second (POST /api/messages)')
    .option('--nearby-rate <n>', 'nearby queries per second (GET /api/messages/nearby)')
    .option('--beacon-rate <n>', 'live-location beacons per second (loc frames; each user at most every 2 s)')
    .option('--reconnect-rate <n>', 'connections dropped and reopened per second, recovering with sub since')
    .option('--connect-rate <n>', 'connections opened per second before the load', '500')
    .option('--duration <time>', 'length of the load, e.g. 30s, 5m, 1h (default per scenario)')
    .option('--max-ops <n>', 'operations in all; the run ends when they are spent', '10000000')
    .option('--factor <x>', 'stress/breakpoint: top multiple of the rates; spike: the jump')
    .option('--steps <n>', 'stress/breakpoint: number of steps')
    .option('--error-limit <percent>', 'breakpoint: a step with more errors than this broke', '1')
    .option('--threshold <expr>', "pass/fail, repeatable: 'delivery.p99<50ms', 'http.p95<200ms', 'errors<1%'", collect, [])
    .option('--workers <n>', 'child processes carrying the load (0: this process; default 1 per 15,000 connections)')
    .option('--local-addresses <list>', 'source addresses in turn, e.g. 127.0.0.1-127.0.0.8 (past one address’s ephemeral ports)')
    .option('--max-in-flight <n>', 'operations in flight at once; more arrivals are dropped and counted', '10000')
    .option('--timeout <time>', 'per request and per connection open', '10s')
    .option('--center <lat,lng>', 'where the simulated users are (each keeps near its own point)')
    .option('--metrics-token <token>', "the target's LO_METRICS_TOKEN (or set LO_METRICS_TOKEN)")
    .option('--json', 'print the summary as JSON')
    .option('--yes', 'allow a large run (over 10,000 connections, 1,000 users or 1 h)')
    .action(async (scenario: string, flags: BenchFlags) => {
      const { runBenchCommand } = await import('../loadgen/bench-command.js');
      await runBenchCommand(scenario, flags);
    });

  program.command('bench-worker', { hidden: true }).action(async () => {
    const { runWorkerProcess } = await import('../loadgen/worker-link.js');
    runWorkerProcess();
  });
}
