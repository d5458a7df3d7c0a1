/**
 * Scenarios are stages of one multiplier applied to every configured rate (the workload mix keeps its
 * proportions; only its intensity changes). Connections are opened before the first stage and held
 * through all of them.
 */
export const SCENARIOS = ['baseline', 'stress', 'spike', 'soak', 'breakpoint', 'storm'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Stage {
  name: string;
  multiplier: number;
  durationS: number;
  /** At its start every connection is dropped at once and reopened (a reconnect storm). */
  storm?: true;
}

export interface ScenarioShape {
  /** The highest multiplier: stress climbs to it, spike jumps to it, breakpoint stops there at the latest. */
  factor: number;
  /** Steps of stress and breakpoint. */
  steps: number;
}

/** Defaults per scenario: how long it runs and how far it pushes. */
export const SCENARIO_DEFAULTS: Record<ScenarioName, ScenarioShape & { durationS: number; description: string }> = {
  baseline: { durationS: 30, factor: 1, steps: 1, description: 'the given rates, steady' },
  stress: { durationS: 60, factor: 4, steps: 4, description: 'rates climbing in equal steps up to --factor times' },
  spike: { durationS: 60, factor: 5, steps: 1, description: 'steady, a sudden jump to --factor times for a fifth of the time, back' },
  soak: { durationS: 30 * 60, factor: 1, steps: 1, description: 'the given rates, steady for a long --duration' },
  breakpoint: {
    durationS: 100,
    factor: 10,
    steps: 10,
    description: 'rates rising step by step until a threshold breaks; reports the last good step',
  },
  storm: {
    durationS: 30,
    factor: 1,
    steps: 1,
    description: 'steady, then every connection dropped at once and reopened with sub since; time until all recovered',
  },
};

/** The stages of `scenario` over `durationS` seconds. */
export function stagesOf(scenario: ScenarioName, durationS: number, shape: ScenarioShape): Stage[] {
  switch (scenario) {
    case 'baseline':
    case 'soak':
      return [{ name: scenario, multiplier: 1, durationS }];
    case 'spike': {
      // 40 % calm, 20 % spike, 40 % calm: long enough before to have a reference, after to see recovery.
      const calm = durationS * 0.4;
      return [
        { name: 'before', multiplier: 1, durationS: calm },
        { name: 'spike', multiplier: shape.factor, durationS: durationS - 2 * calm },
        { name: 'after', multiplier: 1, durationS: calm },
      ];
    }
    case 'storm': {
      // A third calm (the reference), then the storm and its recovery under the same load.
      const calm = durationS / 3;
      return [
        { name: 'before', multiplier: 1, durationS: calm },
        { name: 'storm', multiplier: 1, durationS: durationS - calm, storm: true },
      ];
    }
    case 'stress':
    case 'breakpoint': {
      const steps = Math.max(1, shape.steps);
      return Array.from({ length: steps }, (_, i) => ({
        name: `step ${i + 1}`,
        multiplier: steps === 1 ? 1 : round(1 + (i * (shape.factor - 1)) / (steps - 1)),
        durationS: durationS / steps,
      }));
    }
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** One line naming the stages, for the summary. */
export function describeStages(stages: readonly Stage[]): string {
  return stages.map((s) => `×${s.multiplier} for ${formatSeconds(s.durationS)}`).join(', ');
}

export function formatSeconds(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return `${Math.round(s * 10) / 10}s`;
}
