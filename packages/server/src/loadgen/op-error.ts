import { CLOSE_CODES } from '@lo/protocol';

/**
 * A failed operation of the load, with the `type` it is counted under in the summary: an error code
 * of the catalogue (from a WebSocket reply or an HTTP problem body), `http_<status>` for answers
 * without one, `close <code> <name>` for a socket the server closed, a network error code
 * (`ECONNRESET`), `timeout` or `dropped`.
 */
export class OpError extends Error {
  constructor(
    readonly type: string,
    message: string = type,
  ) {
    super(message);
    this.name = 'OpError';
  }
}

const CLOSE_NAMES = new Map<number, string>(Object.entries(CLOSE_CODES).map(([name, code]) => [code, name]));

/** The summary's name for a close code, e.g. `close 4003 connection_limit`. */
export function closeType(code: number): string {
  const name = CLOSE_NAMES.get(code) ?? (code === 1009 ? 'too_big' : code === 1006 ? 'abnormal' : undefined);
  return name === undefined ? `close ${code}` : `close ${code} ${name}`;
}

/** The error type of anything thrown by an operation. */
export function errorType(error: unknown): string {
  if (error instanceof OpError) return error.type;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  return 'client_error';
}
