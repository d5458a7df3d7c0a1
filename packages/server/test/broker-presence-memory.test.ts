import { MemoryBroker } from '../src/broker/memory-broker.js';
import { MemoryPresence } from '../src/presence/memory-presence.js';
import { runBrokerContract } from './contracts/broker-contract.js';
import { runPresenceContract } from './contracts/presence-contract.js';

// One process has one memory broker: both "nodes" of the pair are the same instance.
runBrokerContract(
  'memory',
  () => {
    const broker = new MemoryBroker();
    return Promise.resolve({ a: broker, b: broker, close: () => broker.close() });
  },
  { nodes: 1 },
);

runPresenceContract('memory', (ttlMs) => Promise.resolve(new MemoryPresence(ttlMs)));
