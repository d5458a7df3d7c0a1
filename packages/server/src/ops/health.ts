import type { Health, HealthCheck } from '@lo/protocol';

export type Probe = () => Promise<void>;

/** How long a dependency may take to answer before readiness reports it as failing. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * Liveness and readiness (health+json bodies). Readiness is false until the server has started and
 * turns false first on shutdown, so a load balancer stops sending traffic before connections close.
 */
export class HealthState {
  private ready = false;

  constructor(
    private readonly version: string,
    private readonly probes: Record<string, Probe>,
  ) {}

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  live(): Health {
    return { status: 'pass', version: this.version };
  }

  async readiness(): Promise<Health> {
    const checks: Record<string, HealthCheck[]> = {};
    let status: Health['status'] = this.ready ? 'pass' : 'fail';
    // In parallel: with the database and the broker both gone, the answer still comes within one timeout.
    const probes = Object.entries(this.probes);
    const results = await Promise.all(probes.map(([, probe]) => timed(probe)));
    probes.forEach(([name], i) => {
      const check = results[i]!;
      if (check.status === 'fail') status = 'fail';
      checks[`${name}:responseTime`] = [check];
    });
    if (!this.ready) {
      checks['server:state'] = [
        { componentType: 'system', status: 'fail', time: new Date().toISOString(), output: 'starting or shutting down' },
      ];
    }
    return { status, version: this.version, checks };
  }
}

async function timed(probe: Probe): Promise<HealthCheck> {
  const started = performance.now();
  const time = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    const ms = performance.now() - started;
    return { componentType: 'datastore', status: 'pass', observedValue: Number(ms.toFixed(3)), observedUnit: 'ms', time };
  } catch (error) {
    return { componentType: 'datastore', status: 'fail', time, output: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
