import type { Extension, Policies } from "./channel-policies.ts";
import type { Filter } from "./filters.ts";
import { encodeRaw, type Message, type Vsn } from "./protocol.ts";
import type { Auth } from "./tokens.ts";

export type ChangeEvent = "*" | "INSERT" | "UPDATE" | "DELETE";

export interface Binding {
  /** What the join reply echoes back (realtime-js compares event/schema/table/filter). */
  params: Record<string, unknown>;
  id: number;
  event: ChangeEvent;
  schema: string;
  table: string | undefined;
  /** All must hold (Supabase reads comma-separated conditions as AND). */
  filters: Filter[];
  /** Columns to deliver besides the primary key; undefined for all. */
  select: string[] | undefined;
}

/** setTimeout's ceiling; a later expiry is re-armed when this fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The socket a channel was joined over (a `Session`), as far as the channel writes to it. */
export interface ChannelSocket {
  readonly channels: Map<string, Channel>;
  readonly vsn: Vsn;
  send(message: Message): void;
  sendText(text: string): void;
}

export class Channel {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly session: ChannelSocket,
    readonly topic: string,
    readonly joinRef: string | null,
    public auth: Auth,
    readonly bindings: Binding[],
    readonly broadcast: { self: boolean; ack: boolean },
    readonly presenceKey: string,
    /** Set for private channels only: what the subscriber's `realtime.messages` policies allow. */
    public policies: Policies | undefined,
  ) {}

  get subTopic(): string {
    return this.topic.replace(/^realtime:/, "");
  }

  get isPrivate(): boolean {
    return this.policies !== undefined;
  }

  /** Private and public channels of one name are separate topics, as on Supabase. */
  get hubKey(): string {
    return `${this.isPrivate ? "private" : "public"}:${this.topic}`;
  }

  /** Public channels carry everything; private ones what their read policies let through. */
  mayRead(extension: Extension): boolean {
    return this.policies === undefined || this.policies.read[extension];
  }

  push(event: string, payload: Record<string, unknown>, ref: string | null = null): void {
    this.session.send({ joinRef: this.joinRef, ref, topic: this.topic, event, payload });
  }

  pushRaw(event: string, payloadJson: string): void {
    this.session.sendText(encodeRaw(this.session.vsn, null, null, this.topic, event, payloadJson));
  }

  /** Re-arms the expiry check for the current token. */
  armExpiry(onExpired: (channel: Channel) => void): void {
    clearTimeout(this.#timer);
    if (!Number.isFinite(this.auth.exp)) return;
    const delay = Math.max(0, this.auth.exp * 1000 - Date.now());
    this.#timer = setTimeout(
      () => {
        if (this.auth.exp * 1000 <= Date.now()) onExpired(this);
        else this.armExpiry(onExpired);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
