import { randomBytes } from 'node:crypto';
import { createApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import { failAndExit } from './fail.js';

/** `lo user create <username> [--admin] [--password …]`: the way to make the first admin. */
export async function runUserCreate(username: string, options: { admin: boolean; password?: string }): Promise<void> {
  try {
    const config = { ...loadConfig(), logLevel: 'warn' as const };
    const given = options.password ?? process.env.LO_USER_PASSWORD;
    const password = given ?? randomBytes(18).toString('base64url');
    const app = await createApp(config);
    try {
      const result = await app.auth.signup({ username, password }, { ip: 'cli' }, options.admin ? 'admin' : 'user');
      console.log(`lo: created ${options.admin ? 'admin' : 'user'} ${result.user.username} (${result.user.id})`);
      if (given === undefined) console.log(`lo: password: ${password}`);
    } finally {
      await app.close();
    }
  } catch (error) {
    failAndExit(error);
  }
}
