import { randomBytes } from 'node:crypto';
import type { AuthResult, LoClient } from '@lo/client';
import type { TestServer } from './test-server.js';

let counter = 0;

export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(3).toString('hex')}`;
}

/** A password no common-password list holds. */
export function strongPassword(): string {
  return `pw-${randomBytes(9).toString('base64url')}`;
}

export interface TestUser {
  client: LoClient;
  id: string;
  username: string;
  password: string;
  auth: AuthResult;
}

/** Signs up a new user through the real SDK; the returned client is signed in. */
export async function signup(server: TestServer, prefix?: string): Promise<TestUser> {
  const client = server.client();
  const username = uniqueUsername(prefix);
  const password = strongPassword();
  const auth = await client.auth.signup({ username, password });
  return { client, id: auth.user.id, username, password, auth };
}
