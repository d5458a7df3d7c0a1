import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createClient } from '@lo/client';
import { killAllCli, startCliServer } from './helpers/spawn-cli.js';
import { tempDir } from './helpers/test-server.js';
import { strongPassword, uniqueUsername } from './helpers/users.js';

after(killAllCli);

test('the log is JSON lines with request ids, and never holds passwords or tokens', async () => {
  const server = await startCliServer({ LO_DATA_DIR: tempDir(), LO_LOG_LEVEL: 'trace' });
  const client = createClient({ url: server.url });
  const password = strongPassword();
  const auth = await client.auth.signup({ username: uniqueUsername('logs'), password });
  await client.me.get();
  await client.auth.refresh();
  // A refused body that carries a password, and a request with a chosen request id.
  const refused = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-123' },
    body: JSON.stringify({ username: 'x', password, extra: true }),
  });
  assert.equal(refused.status, 400);
  const exit = await server.stop('SIGTERM');
  assert.equal(exit.code, 0);

  const output = server.output();
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(entries.length > 5);
  assert.ok(
    entries.some((e) => e.reqId === 'trace-me-123'),
    'the chosen request id is in the log',
  );
  for (const secret of [password, auth.access_token, auth.refresh_token, client.session?.refresh_token ?? 'none']) {
    assert.ok(!output.includes(secret), 'a secret reached the log');
  }
});
