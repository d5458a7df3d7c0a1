import type { PasswordList } from '../core/ports.js';

/**
 * The ~49,000 most common passwords of zxcvbn's list (ordered by frequency), loaded on first use so
 * that server start stays fast. ASVS 6.2.4 asks for at least the top 3,000.
 */
let words: Set<string> | null = null;

type Dictionary = { dictionary: Record<'passwords-common', string[]> };

async function load(): Promise<Set<string>> {
  const module = (await import('@zxcvbn-ts/language-common')) as Dictionary & { default?: Dictionary };
  // Bundled, the package may arrive as a CommonJS namespace with everything under `default`.
  const { dictionary } = module.dictionary === undefined && module.default ? module.default : module;
  return new Set(dictionary['passwords-common'].map((w) => w.toLowerCase()));
}

export async function commonPasswords(): Promise<PasswordList> {
  words ??= await load();
  const set = words;
  return { isCommon: (password) => set.has(password.toLowerCase()) };
}
