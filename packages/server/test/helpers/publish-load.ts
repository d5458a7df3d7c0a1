/**
 * Publishers under load for fault tests: on each target node, WebSocket and HTTP publishers post into
 * one room back to back until stopped, recording what was acknowledged (and when) and what failed
 * (with its error code), so a test can check that every acknowledged message reached everyone.
 */
import type { ChannelMessage } from '@lo/client';
import { rawRequest } from './http.js';
import { WsTestClient } from './ws-client.js';

export interface Ack {
  id: string;
  offset: number;
  /** Date.now() when the acknowledgement arrived. */
  at: number;
}

export interface Failure {
  code: string;
  at: number;
}

export interface Load {
  acks: Ack[];
  failures: Failure[];
  /** Stops every publisher after its current request; resolves when all have stopped. */
  stop(): Promise<void>;
}

export interface LoadTarget {
  url: string;
  token: string;
}

const PAUSE_MS = 5;

export async function publishLoad(
  targets: LoadTarget[],
  room: { id: string; channel: string },
  per: { ws: number; http: number },
): Promise<Load> {
  const acks: Ack[] = [];
  const failures: Failure[] = [];
  let running = true;
  const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  const sockets = await Promise.all(targets.flatMap((t) => Array.from({ length: per.ws }, () => WsTestClient.connect(t.url, t.token))));
  const wsLoop = async (ws: WsTestClient, n: number) => {
    for (let i = 0; running; i++) {
      try {
        const reply = await ws.request({ type: 'pub', channel: room.channel, data: { text: `ws${n} #${i}` } }, 10_000);
        if (reply.ok) acks.push({ ...(reply.result as { id: string; offset: number }), at: Date.now() });
        else failures.push({ code: reply.error.code, at: Date.now() });
      } catch (err) {
        failures.push({ code: `no reply: ${String(err)}`, at: Date.now() });
      }
      await pause();
    }
  };
  const httpLoop = async (target: LoadTarget, n: number) => {
    for (let i = 0; running; i++) {
      try {
        const res = await rawRequest(target.url, `/api/rooms/${room.id}/messages`, {
          token: target.token,
          body: { text: `http${n} #${i}` },
        });
        if (res.status === 201) {
          const message = res.json as ChannelMessage;
          acks.push({ id: message.id, offset: message.offset, at: Date.now() });
        } else {
          failures.push({ code: `${res.status} ${(res.json as { code?: string } | undefined)?.code ?? res.text}`, at: Date.now() });
        }
      } catch (err) {
        failures.push({ code: `no answer: ${String(err)}`, at: Date.now() });
      }
      await pause();
    }
  };
  const loops = [
    ...sockets.map((ws, n) => wsLoop(ws, n)),
    ...targets.flatMap((t, n) => Array.from({ length: per.http }, (_, k) => httpLoop(t, n * per.http + k))),
  ];
  return {
    acks,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const ws of sockets) ws.close();
    },
  };
}
