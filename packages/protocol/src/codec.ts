/**
 * Encoding and decoding of protocol v1 frames. The server decodes every client frame through
 * `decodeClientFrame`, which checks the whole shape and every bound, so a frame that passes is safe to
 * act on; the client SDK splits server messages with `decodeServerMessage`.
 */
import { LIMITS } from './limits.js';
import { GEO_LIMITS } from './live-location.js';
import { isChannelName, WS_LIMITS, type ClientFrame, type RequestId, type ServerFrame } from './realtime.js';

export type DecodeResult =
  | { ok: true; frame: ClientFrame }
  /** `re` is the frame's id when it had a usable one, so the error can be answered as a reply. */
  | { ok: false; re?: RequestId; message: string; fatal: boolean };

type Check = (value: unknown) => string | null;

const str =
  (max: number, min = 1): Check =>
  (v) =>
    typeof v === 'string' && v.length >= min && v.length <= max ? null : `a string of ${min}-${max} characters`;
const channel: Check = (v) => (isChannelName(v) ? null : 'a channel name like room:<id> (at most 128 characters)');
const json =
  (maxBytes: number): Check =>
  (v) => {
    if (v === undefined) return 'a JSON value';
    if (nestedDeeperThan(v, JSON_MAX_DEPTH)) return `JSON nested at most ${JSON_MAX_DEPTH} levels deep`;
    return jsonBytes(v) <= maxBytes ? null : `JSON of at most ${maxBytes} bytes`;
  };
const since: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'an object {offset, epoch}';
  const keys = Object.keys(v);
  const { offset, epoch } = v as Record<string, unknown>;
  if (keys.some((k) => k !== 'offset' && k !== 'epoch')) return 'an object with only offset and epoch';
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) return 'an object whose offset is an integer >= 0';
  return typeof epoch === 'string' && epoch.length <= 64 ? null : 'an object whose epoch is a string of at most 64 characters';
};
const number =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? null : `a number from ${min} to ${max}`;
const lat = number(-90, 90);
const lng = number(-180, 180);
const radius = number(LIMITS.queryRadiusMinM, LIMITS.radiusMaxM);
const accuracy = number(0, 100_000);
const statusValue: Check = (v) => (v === 'online' || v === 'idle' ? null : '"online" or "idle"');

interface FrameSpec {
  /** Whether the frame must carry an `id` (it has a result worth replying to). */
  needsId: boolean;
  required: Record<string, Check>;
  optional?: Record<string, Check>;
}

const SPECS: Record<ClientFrame['type'], FrameSpec> = {
  auth: { needsId: false, required: { token: str(4096) } },
  sub: { needsId: true, required: { channel }, optional: { since } },
  unsub: { needsId: true, required: { channel } },
  // The size of `data` depends on the namespace (chat text is measured as text), so the server checks it.
  pub: { needsId: true, required: { channel, data: json(WS_LIMITS.frameMaxBytes) }, optional: { client_msg_id: str(64) } },
  presence: { needsId: false, required: { channel, state: json(WS_LIMITS.presenceStateMaxBytes) } },
  'presence.get': { needsId: true, required: { channel } },
  typing: { needsId: false, required: { channel } },
  status: { needsId: false, required: { status: statusValue } },
  'status.get': { needsId: true, required: {} },
  ping: { needsId: false, required: {} },
  'geo.sub': { needsId: true, required: { lat, lng }, optional: { radius, since: str(64) } },
  'geo.unsub': { needsId: true, required: {} },
  loc: { needsId: false, required: { lat, lng }, optional: { accuracy } },
  'area.count': { needsId: true, required: { lat, lng, radius: number(GEO_LIMITS.areaRadiusMinM, GEO_LIMITS.areaRadiusMaxM) } },
};

function isRequestId(v: unknown): v is RequestId {
  return (typeof v === 'string' && v.length > 0 && v.length <= WS_LIMITS.requestIdMaxLength) || Number.isSafeInteger(v);
}

/**
 * Deepest nesting of arrays and objects in `data` and `state`. A 16 KiB frame can nest thousands of
 * levels, which JSON.parse accepts but JSON.stringify (measuring it here, storing it later) cannot
 * handle without overflowing the stack.
 */
const JSON_MAX_DEPTH = 64;

/** Whether `value` has arrays or objects nested more than `max` levels; never recurses deeper than that. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) if (nestedDeeperThan(child, max - 1)) return true;
  return false;
}

const encoder = new TextEncoder();
function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? Infinity : encoder.encode(text).length;
}

/**
 * Parses and checks one client frame. `fatal` errors (not JSON, not an object) mean the peer does not
 * speak the protocol and the server closes the socket; the others are answered and the socket stays.
 */
export function decodeClientFrame(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not JSON', fatal: true };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'frame is not a JSON object', fatal: true };
  }
  const frame = value as Record<string, unknown>;
  const re = isRequestId(frame.id) ? frame.id : undefined;
  const fail = (message: string): DecodeResult => ({ ok: false, message, fatal: false, ...(re !== undefined && { re }) });
  const type = frame.type;
  if (typeof type !== 'string' || !Object.hasOwn(SPECS, type)) return fail('unknown frame type');
  const spec = SPECS[type as ClientFrame['type']];
  if (frame.id !== undefined && re === undefined)
    return fail(`id must be an integer or a string of 1-${WS_LIMITS.requestIdMaxLength} characters`);
  if (spec.needsId && re === undefined) return fail(`a ${type} frame needs an id`);
  for (const key of Object.keys(frame)) {
    if (key !== 'type' && key !== 'id' && !Object.hasOwn(spec.required, key) && !Object.hasOwn(spec.optional ?? {}, key)) {
      return fail(`unknown field "${key}"`);
    }
  }
  for (const [key, check] of Object.entries(spec.required)) {
    const problem = check(frame[key]);
    if (problem !== null) return fail(`${key} must be ${problem}`);
  }
  for (const [key, check] of Object.entries(spec.optional ?? {})) {
    if (frame[key] === undefined) continue;
    const problem = check(frame[key]);
    if (problem !== null) return fail(`${key} must be ${problem}`);
  }
  return { ok: true, frame: frame as unknown as ClientFrame };
}

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame);
}

/** Splits one server WebSocket message into its frames (the server coalesces several per message). */
export function decodeServerMessage(text: string): ServerFrame[] {
  const frames: ServerFrame[] = [];
  for (const line of text.split('\n')) if (line !== '') frames.push(JSON.parse(line) as ServerFrame);
  return frames;
}
