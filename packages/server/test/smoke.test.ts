import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from './helpers/test-server.js';
import { signup } from './helpers/users.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('a user signs up, posts at a place and reads it back from the local feed', async () => {
  const alice = await signup(server, 'alice');
  const posted = await alice.client.messages.create({ content: 'hello from the square', lat: 48.8566, lng: 2.3522 });
  assert.equal(posted.content, 'hello from the square');
  const page = await alice.client.messages.nearby({ lat: 48.8566, lng: 2.3522 });
  assert.deepEqual(
    page.items.map((m) => m.id),
    [posted.id],
  );
});
