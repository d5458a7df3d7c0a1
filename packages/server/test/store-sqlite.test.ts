import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../src/store/open-store.js';
import { runStoreContract } from './contracts/store-contract.js';
import { tempDir } from './helpers/test-server.js';

runStoreContract('sqlite', async () => {
  const dir = tempDir('lo-store-');
  const store = await openStore({ databaseUrl: `sqlite:${path.join(dir, 'lo.db')}`, sqliteSynchronous: 'NORMAL' });
  return {
    store,
    async cleanup() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
