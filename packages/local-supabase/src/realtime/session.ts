import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import type { AuthKeys } from "../auth/keys.ts";
import type { ChannelPolicies, Extension, Policies } from "./channel-policies.ts";
import { type Binding, type ChangeEvent, Channel } from "./channel.ts";
import { type Filter, parseFilters, parseSelect } from "./filters.ts";
import type { Hub } from "./hub.ts";
import { decode, encode, type Message, type Vsn } from "./protocol.ts";
import { type Auth, authenticate, expiredMessage } from "./tokens.ts";

const EVENTS = new Set<string>(["*", "INSERT", "UPDATE", "DELETE"]);

/** Like Supabase's `:erlang.phash2(params)`: a stable small integer per distinct binding. */
function bindingId(params: Record<string, unknown>): number {
  const text = JSON.stringify([
    params.event,
    params.schema,
    params.table ?? null,
    params.filter ?? null,
    ...(params.select === undefined ? [] : [params.select]),
  ]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % 2 ** 27;
}

function parseBindings(value: unknown): { bindings: Binding[]; error?: string } {
  if (!Array.isArray(value)) return { bindings: [] };
  const bindings: Binding[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const params = item as Record<string, unknown>;
    const event = typeof params.event === "string" ? params.event.toUpperCase() : "";
    const schema = params.schema;
    const table = params.table;
    if (!EVENTS.has(event) || typeof schema !== "string" || (table !== undefined && typeof table !== "string")) {
      return { bindings: [], error: `Unable to subscribe to changes with given parameters: ${JSON.stringify(params)}` };
    }
    let filters: Filter[] = [];
    let select: string[] | undefined;
    try {
      select = parseSelect(params.select, schema, table ?? "*");
      if (typeof params.filter === "string") {
        filters = parseFilters(params.filter, { event, schema, table: table ?? "*", select });
      }
    } catch (error) {
      return { bindings: [], error: (error as Error).message };
    }
    bindings.push({
      params,
      id: bindingId(params),
      event: event as ChangeEvent,
      schema,
      table: table === "*" ? undefined : table,
      filters,
      select,
    });
  }
  return { bindings };
}

const presenceEnabled = (config: Record<string, unknown>) =>
  (config.presence as Record<string, unknown> | undefined)?.enabled === true;

const unauthorized = (topic: string) => `You do not have permissions to read from this Channel topic: ${topic}`;

export interface SessionOptions {
  socket: WebSocket;
  vsn: Vsn;
  /** The `apikey` the socket connected with: the identity of joins that send no access token. */
  apiKey: string;
  keys: AuthKeys;
  hub: Hub;
  policies: ChannelPolicies;
  /** Refuse public channels (Supabase's per-project "private channels only" setting). */
  privateOnly: boolean;
  log(line: string): void;
}

/** One WebSocket: Phoenix's socket-level events plus the channels joined over it. */
export class Session {
  readonly channels = new Map<string, Channel>();
  readonly vsn: Vsn;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(private readonly options: SessionOptions) {
    this.vsn = options.vsn;
  }

  receive(data: Buffer, isBinary: boolean): void {
    const message = decode(this.vsn, data, isBinary);
    if (!message) return;
    // Joins verify tokens asynchronously; a queue keeps each socket's messages in order.
    this.#queue = this.#queue
      .then(() => this.#handle(message))
      .catch((error: Error) => this.options.log(`realtime: ${error.message}`));
  }

  send(message: Message): void {
    this.sendText(encode(this.vsn, message));
  }

  sendText(text: string): void {
    if (!this.#closed && this.options.socket.readyState === this.options.socket.OPEN) this.options.socket.send(text);
  }

  close(): void {
    this.#closed = true;
    for (const channel of this.channels.values()) this.#drop(channel);
  }

  #reply(message: Message, status: "ok" | "error", response: Record<string, unknown>): void {
    this.send({
      joinRef: message.joinRef,
      ref: message.ref,
      topic: message.topic,
      event: "phx_reply",
      payload: { status, response },
    });
  }

  async #handle(message: Message): Promise<void> {
    if (message.topic === "phoenix") {
      if (message.event === "heartbeat") this.#reply(message, "ok", {});
      return;
    }
    if (message.event === "phx_join") return this.#join(message);
    const channel = this.channels.get(message.topic);
    if (!channel || channel.joinRef !== message.joinRef) {
      this.#reply(message, "error", { reason: "unmatched topic" });
      return;
    }
    switch (message.event) {
      case "phx_leave":
        this.#drop(channel);
        this.#reply(message, "ok", {});
        return;
      case "access_token":
        return this.#renewToken(channel, message.payload.access_token);
      case "broadcast":
        // A private channel without the INSERT policy: dropped without a reply, as on Supabase.
        if (!(await this.#mayWrite(channel, "broadcast"))) return;
        this.options.hub.broadcast(channel, message.payload);
        if (channel.broadcast.ack) this.#reply(message, "ok", {});
        return;
      case "presence":
        return this.#presence(channel, message);
      default:
        return;
    }
  }

  async #join(message: Message): Promise<void> {
    const { payload } = message;
    const config = (typeof payload.config === "object" && payload.config !== null ? payload.config : {}) as Record<
      string,
      unknown
    >;
    if (message.topic === "realtime:") {
      this.#reply(message, "error", { reason: "TopicNameRequired: You must provide a topic name" });
      return;
    }
    const isPrivate = config.private === true;
    if (!isPrivate && this.options.privateOnly) {
      this.#reply(message, "error", { reason: "PrivateOnly: This project only allows private channels" });
      return;
    }
    const token =
      typeof payload.access_token === "string" && !payload.access_token.startsWith("sb_")
        ? payload.access_token
        : this.options.apiKey;
    const result = await authenticate(this.options.keys, token);
    if (!result.ok) {
      this.#reply(message, "error", { reason: result.reason });
      return;
    }
    const subTopic = message.topic.replace(/^realtime:/, "");
    let policies: Policies | undefined;
    if (isPrivate) {
      const read = await this.#readPolicies(result.auth, subTopic);
      // Supabase checks presence only when the join enables it, so it cannot authorize a join alone then.
      if (!read || !(read.broadcast || (read.presence && presenceEnabled(config)))) {
        this.#reply(message, "error", { reason: `Unauthorized: ${unauthorized(subTopic)}` });
        return;
      }
      policies = { read, write: {} };
    }
    const previous = this.channels.get(message.topic);
    if (previous) {
      this.#drop(previous);
      previous.push("phx_close", {}, previous.joinRef);
    }
    const parsed = parseBindings(config.postgres_changes);
    // As Supabase's subscription insert, a refused binding leaves the channel with none at all.
    const error = parsed.error ?? (await this.options.hub.checkBindings(parsed.bindings, result.auth.role));
    const bindings = error ? [] : parsed.bindings;
    const broadcastConfig = (config.broadcast ?? {}) as Record<string, unknown>;
    const presenceConfig = (config.presence ?? {}) as Record<string, unknown>;
    const channel = new Channel(
      this,
      message.topic,
      message.joinRef,
      result.auth,
      bindings,
      { self: broadcastConfig.self === true, ack: broadcastConfig.ack === true },
      typeof presenceConfig.key === "string" && presenceConfig.key !== "" ? presenceConfig.key : randomUUID(),
      policies,
    );
    this.channels.set(message.topic, channel);
    this.options.hub.add(channel);
    channel.armExpiry((expired) => this.#fail(expired, expiredMessage(expired.auth.exp)));
    const echoed = Array.isArray(config.postgres_changes)
      ? (config.postgres_changes as unknown[]).map((params, index) => ({
          ...(params as Record<string, unknown>),
          id: parsed.bindings[index]?.id ?? bindingId((params ?? {}) as Record<string, unknown>),
        }))
      : [];
    this.#reply(message, "ok", { postgres_changes: echoed });
    if (error) {
      channel.push("system", { extension: "postgres_changes", status: "error", message: error, channel: channel.subTopic });
    } else if (bindings.length > 0) {
      channel.push("system", {
        extension: "postgres_changes",
        status: "ok",
        message: "Subscribed to PostgreSQL",
        channel: channel.subTopic,
      });
    }
    if (presenceEnabled(config) && channel.mayRead("presence")) {
      channel.push("presence_state", this.options.hub.presenceState(channel));
    }
  }

  /** Undefined when a policy fails (raises, or calls what the role may not execute): refused, as on Supabase. */
  async #readPolicies(auth: Auth, topic: string): Promise<Policies["read"] | undefined> {
    try {
      return await this.options.policies.read(auth, topic);
    } catch (error) {
      this.options.log(`realtime: RlsPolicyError on ${topic}: ${(error as Error).message}`);
      return undefined;
    }
  }

  async #mayWrite(channel: Channel, extension: Extension): Promise<boolean> {
    const { policies } = channel;
    if (!policies) return true;
    if (policies.write[extension] === undefined) {
      try {
        policies.write[extension] = await this.options.policies.write(channel.auth, channel.subTopic, extension);
      } catch (error) {
        this.options.log(`realtime: RlsPolicyError on ${channel.subTopic}: ${(error as Error).message}`);
        return false;
      }
    }
    return policies.write[extension] === true;
  }

  async #renewToken(channel: Channel, token: unknown): Promise<void> {
    if (typeof token !== "string" || token.startsWith("sb_")) return;
    const result = await authenticate(this.options.keys, token);
    if (this.channels.get(channel.topic) !== channel) return;
    if (!result.ok) {
      this.#fail(channel, result.reason.replace(/^[A-Za-z]+: /, ""));
      return;
    }
    if (channel.policies) {
      const read = await this.#readPolicies(result.auth, channel.subTopic);
      if (this.channels.get(channel.topic) !== channel) return;
      const before = channel.policies.read;
      const now = read ?? { broadcast: false, presence: false };
      if ((before.broadcast && !now.broadcast) || (before.presence && !now.presence)) {
        this.#fail(channel, `You no longer have permission to read from this Channel topic: ${channel.subTopic}`);
        return;
      }
      channel.policies = { read: now, write: {} };
    }
    channel.auth = result.auth;
    channel.armExpiry((expired) => this.#fail(expired, expiredMessage(expired.auth.exp)));
  }

  /**
   * Supabase pushes a `system` error and stops the channel. The stop goes out as `phx_error` rather
   * than `phx_close`, so realtime-js reports CHANNEL_ERROR and rejoins by itself with whatever token
   * `setAuth` gave it last: nothing is delivered in between.
   */
  #fail(channel: Channel, reason: string): void {
    if (this.channels.get(channel.topic) !== channel) return;
    channel.push("system", { extension: "system", status: "error", message: reason, channel: channel.subTopic });
    this.#drop(channel);
    channel.push("phx_error", {}, channel.joinRef);
  }

  async #presence(channel: Channel, message: Message): Promise<void> {
    const event = message.payload.event;
    if (event === "track") {
      if (!(await this.#mayWrite(channel, "presence"))) {
        this.#reply(message, "error", {});
        return;
      }
      const meta = message.payload.payload;
      this.options.hub.track(channel, typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>) : {});
      this.#reply(message, "ok", {});
    } else if (event === "untrack") {
      this.options.hub.untrack(channel);
      this.#reply(message, "ok", {});
    } else {
      this.#reply(message, "error", { reason: "Presence track payload must be a map" });
    }
  }

  #drop(channel: Channel): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    channel.dispose();
    this.options.hub.remove(channel);
  }
}
