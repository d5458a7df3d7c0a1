import type { LoggerOptions } from 'pino';
import type { LogLevel } from '../config/config.js';

/**
 * pino options for the server: JSON lines, with every place a credential can appear redacted
 * (headers, token and password fields in bodies or errors).
 */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: { service: 'lo' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        '*.token',
        '*.access_token',
        '*.refresh_token',
        '*.*.password',
        '*.*.access_token',
        '*.*.refresh_token',
      ],
      censor: '[redacted]',
    },
  };
}
