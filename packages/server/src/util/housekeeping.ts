/** Periodic background chores (expiry, retention); the timer never keeps the process alive. */
export function startHousekeeping(
  everyMs: number,
  log: { error(obj: object, msg: string): void },
  chores: Array<() => Promise<unknown>>,
): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const chore of chores) chore().catch((err: unknown) => log.error({ err }, 'housekeeping failed'));
  }, everyMs);
  timer.unref();
  return timer;
}
