import { LIMITS } from '@lo/protocol';
import { LoError } from '../../errors/lo-error.js';
import type { PasswordList } from '../ports.js';

/**
 * ASVS 6.2: at least 8 characters (counted as code points), up to 128, no composition rules, and not
 * one of the most common passwords nor the username itself.
 */
export function checkPassword(password: string, username: string, common: PasswordList): void {
  const length = [...password].length;
  if (length < LIMITS.passwordMin || length > LIMITS.passwordMax) {
    throw new LoError('password_too_weak', `Passwords have ${LIMITS.passwordMin} to ${LIMITS.passwordMax} characters.`);
  }
  if (common.isCommon(password) || password.toLowerCase() === username.toLowerCase()) {
    throw new LoError('password_too_weak', 'This password is too common; choose a less guessable one.');
  }
}
