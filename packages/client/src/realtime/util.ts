/** Small helpers with no protocol knowledge. */

/** Timers that should not keep a Node process alive on their own (a no-op in browsers). */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

/** A random id for `client_msg_id`: `crypto.randomUUID` where available (secure contexts), else random hex. */
export function randomId(): string {
  const crypto = (globalThis as unknown as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } })
    .crypto;
  if (crypto?.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (crypto?.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A promise with its settle functions. Rejections nobody awaits are not reported as unhandled. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Resolves every waiter, or rejects them all with `error`, and empties the list. */
export function settleAll(waiters: Deferred<void>[], error?: unknown): void {
  for (const waiter of waiters.splice(0)) {
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }
}
