/** Listener of an event whose arguments are the tuple `A`. */
export type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A tiny typed event emitter: `E` maps each event name to its argument tuple. A listener that throws does not
 * stop delivery to the others or disturb the SDK's state: its error is rethrown on a fresh task, where it shows
 * up as an uncaught error like any other bug in application code.
 */
export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners: { [K in keyof E]?: Set<Listener<E[K]>> } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    (this.listeners[event] ??= new Set()).add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.listeners[event]?.delete(listener);
  }

  /** Whether anyone listens to `event` (used to avoid losing errors nobody would see). */
  has(event: keyof E): boolean {
    return (this.listeners[event]?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners[event];
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
