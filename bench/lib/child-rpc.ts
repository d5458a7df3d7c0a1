/**
 * The child side of `Child.call` (children.ts): a child registers handlers, the parent calls them over
 * IPC. Kept apart from children.ts so that a server preload (server-probe.ts) installs no signal handlers.
 */
export interface Reply {
  re: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** In a child: answers `Child.call(cmd, args)` with `handlers[cmd](args)`. Several modules may register. */
const handlers = new Map<string, (args: never) => unknown>();
export function answerCalls(table: Record<string, (args: never) => unknown>): void {
  if (process.send === undefined) throw new Error('answerCalls needs an IPC channel (start this module with spawnTs)');
  const first = handlers.size === 0;
  for (const [cmd, fn] of Object.entries(table)) handlers.set(cmd, fn);
  if (!first) return;
  process.on('message', (message: { id?: unknown; cmd?: unknown; args?: unknown }) => {
    if (typeof message?.id !== 'number' || typeof message.cmd !== 'string') return;
    const { id, cmd, args } = message;
    const fn = handlers.get(cmd);
    const reply = (r: Omit<Reply, 're'>): void => void process.send?.({ re: id, ...r });
    if (fn === undefined) return reply({ ok: false, error: `unknown command ${cmd}` });
    Promise.resolve()
      .then(() => fn(args as never))
      .then(
        (result) => reply({ ok: true, result }),
        (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
}

/** In a child: sends an unsolicited message to the parent. */
export function tellParent(message: unknown): void {
  process.send?.(message);
}
