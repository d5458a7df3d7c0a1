/**
 * Two people chat in a room in real time: sign up, create and join a public room, subscribe, see each other's
 * presence and typing, exchange messages, leave.
 *
 *   lo serve                                   # a server at http://127.0.0.1:8787
 *   node --conditions=lo-source --import tsx examples/chat.ts
 *
 * LO_URL points elsewhere. On Node 20 (no global WebSocket) the `ws` package is used: `npm install ws`.
 */
import { createClient, type Channel, type ChannelEvents, type LoClient, type WebSocketConstructor } from '@lo/client';

const url = process.env.LO_URL ?? 'http://127.0.0.1:8787';

/** The browser's (and Node 22's) WebSocket, else the `ws` package. */
async function webSocketClass(): Promise<WebSocketConstructor> {
  const native = (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (native !== undefined) return native;
  const specifier = 'ws'; // not a literal, so this file typechecks without ws's types installed
  try {
    return ((await import(specifier)) as { default: WebSocketConstructor }).default;
  } catch {
    throw new Error('Node 20 has no global WebSocket: run `npm install ws` (or use Node >= 22)');
  }
}

/** Resolves with the next `event` on `channel` that passes `check`, or fails after `ms`. */
function next<K extends keyof ChannelEvents>(
  channel: Channel,
  event: K,
  check: (...args: ChannelEvents[K]) => boolean = () => true,
  ms = 5000,
): Promise<ChannelEvents[K]> {
  return new Promise((resolve, reject) => {
    const off = channel.on(event, (...args: ChannelEvents[K]) => {
      if (!check(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} on ${channel.name} within ${ms} ms`));
    }, ms);
  });
}

async function person(name: string, WebSocket: WebSocketConstructor): Promise<LoClient> {
  const client = createClient({ url, WebSocket });
  const suffix = Math.random().toString(36).slice(2, 8);
  await client.auth.signup({ username: `${name}_${suffix}`, password: `example-${crypto.randomUUID()}` });
  client.on('state', (state, info) => console.log(`[${name}] ${state}${info.error ? ` (${info.error.message})` : ''}`));
  client.on('error', (error) => console.error(`[${name}] error: ${error.code}: ${error.message}`));
  return client;
}

async function main(): Promise<void> {
  const WebSocket = await webSocketClass();
  const alice = await person('alice', WebSocket);
  const bob = await person('bob', WebSocket);

  const room = await alice.rooms.create({ name: 'Example room', visibility: 'public' });
  await bob.rooms.join(room.id);
  console.log(`room ${room.name} (${room.channel})`);

  const aliceRoom = alice.channel(room.channel);
  const bobRoom = bob.channel(room.channel);
  for (const [who, channel] of [
    ['alice', aliceRoom],
    ['bob', bobRoom],
  ] as const) {
    channel.on('message', (m) => console.log(`[${who}] ${m.author.username}: ${(m.data as { text: string }).text}`));
    channel.on('typing', (e) => console.log(`[${who}] ${e.user.username} is typing…`));
    channel.on('presence', (e) => console.log(`[${who}] ${e.type} ${e.user.username} ${JSON.stringify(e.state ?? null)}`));
  }

  // subscribe() connects implicitly; listeners are attached first so nothing is missed.
  await aliceRoom.subscribe();
  const bobJoined = next(aliceRoom, 'presence', (e) => e.type === 'presence.join' && e.user.id === bob.user?.id);
  await bobRoom.subscribe();
  await bobJoined.catch(() => console.log('(no presence.join seen)'));

  bobRoom.presence.set({ mood: 'curious' });
  console.log('present:', (await aliceRoom.presence.get()).map((p) => p.user.username).join(', '));

  const typing = next(aliceRoom, 'typing');
  bobRoom.typing();
  await typing.catch(() => console.log('(no typing seen)'));

  const bobGets = next(bobRoom, 'message', (m) => m.author.id === alice.user?.id);
  const sent = await aliceRoom.publish({ text: 'Hello Bob!' });
  console.log(`stored at offset ${sent.offset}`);
  await bobGets;

  const aliceGets = next(aliceRoom, 'message', (m) => m.author.id === bob.user?.id);
  await bobRoom.publish({ text: 'Hi Alice, nice room.' });
  await aliceGets;

  const history = await bob.rooms.history(room.id, { after_offset: 0 });
  console.log(`history: ${history.items.length} messages`);

  alice.disconnect();
  bob.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
