import { ConfigError } from '../config/config.js';
import { isLoError } from '../errors/lo-error.js';
import { OperatorError } from '../errors/operator-error.js';

/** Prints a failure plainly (no stack for configuration mistakes and refused commands) and exits non-zero. */
export function failAndExit(error: unknown): never {
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof OperatorError) console.error(`lo: ${error.message}`);
  else if (isLoError(error)) console.error(`lo: ${error.code}: ${error.message}`);
  else console.error('lo:', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
