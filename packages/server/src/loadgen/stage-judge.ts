import type { BenchOptions } from './bench-options.js';
import { METRICS, type LatencyRecorder, type MetricName, type MetricStats } from './latency-recorder.js';
import type { Stage } from './scenarios.js';
import { evaluateThresholds, parseThreshold, type ThresholdResult } from './thresholds.js';

/** What one stage measured on its own (a spike's p99 is not drowned by the calm around it). */
export interface StageResult {
  name: string;
  multiplier: number;
  plannedS: number;
  elapsedS: number;
  stats: Partial<Record<MetricName, MetricStats>>;
  /** Errors of every kind over the requests made, in percent. */
  errorsPercent: number;
  /** The thresholds and the error limit, judged on this stage alone. */
  checks: ThresholdResult[];
  ok: boolean;
}

/** Judges a stage by the run's thresholds plus `errors<=--error-limit%` (what breaks a breakpoint step). */
export function judgeStage(stage: Stage, recorder: LatencyRecorder, elapsedS: number, options: BenchOptions): StageResult {
  const stats: StageResult['stats'] = {};
  for (const metric of METRICS) {
    const s = recorder.stats([metric]);
    if (s.count + s.errors > 0) stats[metric] = s;
  }
  const limit = parseThreshold(`errors<=${options.errorLimitPercent}%`);
  const checks = evaluateThresholds([...options.thresholds, limit], recorder, elapsedS);
  const errors = checks[checks.length - 1]!;
  return {
    name: stage.name,
    multiplier: stage.multiplier,
    plannedS: stage.durationS,
    elapsedS,
    stats,
    errorsPercent: errors.actual ?? 0,
    checks,
    // No requests at all (errors.actual null) is not a failure of the stage: nothing was asked of it.
    ok: checks.every((c) => c.ok || (c === errors && c.actual === null)),
  };
}
