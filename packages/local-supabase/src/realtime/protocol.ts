/**
 * Phoenix channel framing as realtime-js speaks it. vsn 2.0.0 sends JSON arrays
 * `[join_ref, ref, topic, event, payload]` plus one binary kind for user broadcasts; vsn 1.0.0
 * (Phoenix's default when the client names none) sends JSON objects.
 */

export type Vsn = "1.0.0" | "2.0.0";

export interface Message {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

export function parseVsn(value: string | null): Vsn | undefined {
  if (value === null || value === "1.0.0") return "1.0.0";
  if (value === "2.0.0") return "2.0.0";
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const refOf = (value: unknown): string | null =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : null;

function fromParts(joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): Message | undefined {
  if (typeof topic !== "string" || typeof event !== "string") return undefined;
  return { joinRef: refOf(joinRef), ref: refOf(ref), topic, event, payload: isRecord(payload) ? payload : {} };
}

/** Kind 3 of realtime-js's binary serializer: a user broadcast pushed by the client. */
const USER_BROADCAST_PUSH = 3;

function decodeBinary(data: Buffer): Message | undefined {
  if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH) return undefined;
  const lengths = [data[1], data[2], data[3], data[4], data[5]].map((n) => n ?? 0);
  const json = data[6] === 1;
  let offset = 7;
  const [joinRef, ref, topic, userEvent, metadata] = lengths.map((length) => {
    const text = data.toString("utf8", offset, offset + length);
    offset += length;
    return text;
  });
  if (offset > data.length || topic === undefined || userEvent === undefined) return undefined;
  const body = data.subarray(offset);
  let payload: unknown;
  try {
    // A binary user payload cannot travel in this server's JSON frames; it arrives as base64.
    payload = json ? JSON.parse(body.toString("utf8")) : body.toString("base64");
  } catch {
    return undefined;
  }
  let meta: unknown = {};
  try {
    meta = metadata ? JSON.parse(metadata) : {};
  } catch {
    meta = {};
  }
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: "broadcast",
    payload: { ...(isRecord(meta) ? meta : {}), type: "broadcast", event: userEvent, payload },
  };
}

/** Undefined for anything that is not a well-formed frame; the caller drops it. */
export function decode(vsn: Vsn, data: Buffer, isBinary: boolean): Message | undefined {
  if (isBinary) return vsn === "2.0.0" ? decodeBinary(data) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
  if (vsn === "2.0.0") {
    if (!Array.isArray(parsed) || parsed.length !== 5) return undefined;
    return fromParts(parsed[0], parsed[1], parsed[2], parsed[3], parsed[4]);
  }
  if (!isRecord(parsed)) return undefined;
  return fromParts(parsed.join_ref, parsed.ref, parsed.topic, parsed.event, parsed.payload);
}

export function encode(vsn: Vsn, message: Message): string {
  if (vsn === "2.0.0") {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}

/** Encodes around an already serialized payload, so one change is stringified once for many sockets. */
export function encodeRaw(
  vsn: Vsn,
  joinRef: string | null,
  ref: string | null,
  topic: string,
  event: string,
  payloadJson: string,
): string {
  if (vsn === "2.0.0") {
    return `[${JSON.stringify(joinRef)},${JSON.stringify(ref)},${JSON.stringify(topic)},${JSON.stringify(event)},${payloadJson}]`;
  }
  return `{"topic":${JSON.stringify(topic)},"event":${JSON.stringify(event)},"payload":${payloadJson},"ref":${JSON.stringify(ref)},"join_ref":${JSON.stringify(joinRef)}}`;
}
