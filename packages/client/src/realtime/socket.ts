/**
 * The part of the standard WebSocket API the SDK uses, typed here so the package needs neither the DOM library
 * nor `ws` types: the browser's `WebSocket` and the `ws` package's class both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers (and Node >= 22), `WebSocket` from `ws` on Node 20. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `readyState` of an open socket (the same number in every implementation). */
export const OPEN = 1;

/** The WebSocket class to use: the option, else the global one, else a clear error. */
export function resolveWebSocket(option: WebSocketConstructor | undefined): WebSocketConstructor | null {
  return option ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket ?? null;
}

/** `http(s)://host/base` → `ws(s)://host/base/ws`. */
export function socketUrl(base: string, path: string): string {
  const url = new URL(base.replace(/\/$/, '') + path);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}
