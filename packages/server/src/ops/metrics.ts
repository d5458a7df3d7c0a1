import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one server instance (its own registry, so several servers can share a
 * process in tests). Labels never carry user ids: route patterns and status codes only.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'lo_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'lo_rate_limited_total',
    help: 'Requests refused by a rate limit, by rule',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly messagesPosted = new Counter({
    name: 'lo_messages_posted_total',
    help: 'Geo posts stored',
    registers: [this.registry],
  });

  constructor() {
    // Event-loop lag sampled every 50 ms, not the default 10: a timer firing 100 times a second was
    // most of an idle server's CPU (bench/results.md, fan-out at rest).
    collectDefaultMetrics({ register: this.registry, prefix: 'lo_', eventLoopMonitoringPrecision: 50 });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
