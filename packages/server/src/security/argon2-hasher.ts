import { hash, verify, type Options } from '@node-rs/argon2';
import type { PasswordHasher } from '../core/ports.js';

/** `Algorithm.Argon2id` of @node-rs/argon2 (a const enum, which isolated modules cannot read). */
const ARGON2ID = 2;

/** argon2id with OWASP's second profile: m=19 MiB, t=2, p=1 (ecosystem-reliability.md, Part A1). */
const OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const argon2Hasher: PasswordHasher = {
  hash: (password) => hash(password, OPTIONS),
  async verify(encoded, password) {
    try {
      return await verify(encoded, password);
    } catch {
      return false;
    }
  },
};
