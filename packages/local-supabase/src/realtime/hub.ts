import { randomUUID } from "node:crypto";
import type { Authorizer, TableInfo, VisibilityRequest } from "./authorization.ts";
import { matchesAll } from "./filters.ts";
import type { Change, Transaction, Tuple } from "./replication-feed.ts";
import type { Binding, Channel } from "./channel.ts";
import { isExpired } from "./tokens.ts";
import { toJsonValue } from "./values.ts";

/** Bounds one authorization round trip; a backlog is worked off in several. */
const MAX_CHANGES_PER_BATCH = 500;

interface Delivery {
  channel: Channel;
  /** Bindings matched, grouped by their `select` list: Supabase sends one message per group. */
  groups: Map<string, { ids: number[]; select: string[] | undefined }>;
  request: VisibilityRequest | undefined;
}

const selectKey = (select: string[] | undefined) => (select ? JSON.stringify([...select].sort()) : "");

interface PreparedChange {
  kind: "postgres_changes";
  change: Change;
  commitTimestamp: string;
  info: TableInfo;
  deliveries: Delivery[];
}

/** A `realtime.messages` row to broadcast: the topic's channels and the frame's payload, serialized once. */
interface PreparedBroadcast {
  kind: "broadcast";
  hubKey: string;
  json: string;
}

const isMessagesTable = (change: Change) => change.relation.schema === "realtime" && change.relation.table === "messages";

/**
 * A row `realtime.send` wrote, as Supabase Realtime broadcasts it: to the private or the public
 * topic of that name, the stored payload (jsonb text is JSON) and the row id in `meta`.
 */
function broadcastOf(change: Change): PreparedBroadcast | undefined {
  if (change.type !== "INSERT" || !change.record) return undefined;
  const value = (name: string) => {
    const index = change.relation.columns.findIndex((column) => column.name === name);
    return index === -1 ? undefined : change.record?.[index];
  };
  const topic = value("topic");
  if (value("extension") !== "broadcast" || typeof topic !== "string") return undefined;
  const hubKey = `${value("private") === "t" ? "private" : "public"}:realtime:${topic}`;
  const json =
    `{"type":"broadcast","event":${JSON.stringify(value("event") ?? null)},"payload":${value("payload") ?? "null"},` +
    `"meta":{"id":${JSON.stringify(value("id") ?? null)}}}`;
  return { kind: "broadcast", hubKey, json };
}

function bindingMatches(binding: Binding, change: Change, info: TableInfo): boolean {
  const { relation } = change;
  if (binding.event !== "*" && binding.event !== change.type) return false;
  if (binding.schema !== "*" && binding.schema !== relation.schema) return false;
  if (binding.table !== undefined && binding.table !== relation.table) return false;
  if (binding.filters.length === 0) return true;
  const tuple = change.type === "DELETE" ? change.old : change.record;
  return matchesAll(binding.filters, relation.columns, tuple, info.typeNames);
}

/**
 * Every joined channel, Broadcast and Presence between them, and delivery of database changes.
 * Transactions are worked off strictly one batch after another and each batch is delivered in
 * commit order after its visibility checks, so async checks never reorder events.
 */
export class Hub {
  readonly #channels = new Set<Channel>();
  readonly #byTopic = new Map<string, Set<Channel>>();
  readonly #presence = new Map<string, Map<Channel, { key: string; meta: Record<string, unknown> }>>();
  #queue: { transaction: Transaction; change: Change }[] = [];
  #draining: Promise<void> | undefined;

  constructor(
    private readonly authorizer: Authorizer,
    private readonly log: (line: string) => void,
  ) {}

  add(channel: Channel): void {
    this.#channels.add(channel);
    const peers = this.#byTopic.get(channel.hubKey) ?? new Set();
    peers.add(channel);
    this.#byTopic.set(channel.hubKey, peers);
  }

  remove(channel: Channel): void {
    if (!this.#channels.delete(channel)) return;
    this.untrack(channel);
    const peers = this.#byTopic.get(channel.hubKey);
    peers?.delete(channel);
    if (peers?.size === 0) this.#byTopic.delete(channel.hubKey);
  }

  broadcast(sender: Channel, payload: Record<string, unknown>): void {
    const json = JSON.stringify({ ...payload, type: "broadcast" });
    for (const peer of this.#byTopic.get(sender.hubKey) ?? []) {
      if ((peer !== sender || sender.broadcast.self) && peer.mayRead("broadcast")) peer.pushRaw("broadcast", json);
    }
  }

  presenceState(channel: Channel): Record<string, unknown> {
    const state: Record<string, { metas: Record<string, unknown>[] }> = {};
    for (const { key, meta } of this.#presence.get(channel.hubKey)?.values() ?? []) {
      (state[key] ??= { metas: [] }).metas.push(meta);
    }
    return state;
  }

  track(channel: Channel, payload: Record<string, unknown>): void {
    const members = this.#presence.get(channel.hubKey) ?? new Map();
    this.#presence.set(channel.hubKey, members);
    const previous = members.get(channel);
    const meta = { ...payload, phx_ref: randomUUID(), ...(previous ? { phx_ref_prev: previous.meta.phx_ref } : {}) };
    members.set(channel, { key: channel.presenceKey, meta });
    this.#presenceDiff(
      channel.hubKey,
      { [channel.presenceKey]: { metas: [meta] } },
      previous ? { [previous.key]: { metas: [previous.meta] } } : {},
    );
  }

  untrack(channel: Channel): void {
    const members = this.#presence.get(channel.hubKey);
    const previous = members?.get(channel);
    if (!members || !previous) return;
    members.delete(channel);
    if (members.size === 0) this.#presence.delete(channel.hubKey);
    this.#presenceDiff(channel.hubKey, {}, { [previous.key]: { metas: [previous.meta] } });
  }

  #presenceDiff(hubKey: string, joins: Record<string, unknown>, leaves: Record<string, unknown>): void {
    const json = JSON.stringify({ joins, leaves });
    for (const peer of this.#byTopic.get(hubKey) ?? []) {
      if (peer.mayRead("presence")) peer.pushRaw("presence_diff", json);
    }
  }

  /** The text of the `system` error a join's bindings get, if the catalog refuses one. */
  checkBindings(bindings: Binding[], role: string): Promise<string | undefined> {
    // A catalog lookup that fails must not leave the join unanswered; the bindings stand unchecked.
    return this.authorizer
      .checkBindings(
        bindings.map((binding) => ({ ...binding, table: binding.table ?? "*" })),
        role,
      )
      .catch((error: Error) => {
        this.log(`realtime: bindings not checked: ${error.message}`);
        return undefined;
      });
  }

  /** Called in commit order by the replication feed. */
  enqueue(transaction: Transaction): void {
    for (const change of transaction.changes) this.#queue.push({ transaction, change });
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /** Resolves when everything received so far has been delivered (used at shutdown). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_CHANGES_PER_BATCH);
      try {
        await this.#deliver(batch);
      } catch (error) {
        this.log(`realtime: dropped ${batch.length} change(s): ${(error as Error).message}`);
      }
    }
  }

  async #deliver(batch: { transaction: Transaction; change: Change }[]): Promise<void> {
    const prepared: (PreparedChange | PreparedBroadcast)[] = [];
    const requests: VisibilityRequest[] = [];
    const subscribed = [...this.#channels].filter((channel) => channel.bindings.length > 0);
    for (const { transaction, change } of batch) {
      if (isMessagesTable(change)) {
        const broadcast = broadcastOf(change);
        if (broadcast) prepared.push(broadcast);
        continue;
      }
      if (subscribed.length === 0) continue;
      const info = await this.authorizer.table(change.relation);
      const needsCheck = info.rls && change.type !== "DELETE";
      const deliveries: Delivery[] = [];
      for (const channel of subscribed) {
        const matched = channel.bindings.filter((binding) => bindingMatches(binding, change, info));
        if (matched.length === 0 || isExpired(channel.auth)) continue;
        const privileges = await this.authorizer.privileges(change.relation, channel.auth.role);
        if (!privileges.table) continue;
        let request: VisibilityRequest | undefined;
        if (needsCheck) {
          const key = info.primaryKey.map(({ index }) => change.record?.[index] ?? change.old?.[index] ?? "");
          request = { auth: channel.auth, relation: change.relation, key };
          requests.push(request);
        }
        const groups: Delivery["groups"] = new Map();
        for (const binding of matched) {
          const key = selectKey(binding.select);
          const group = groups.get(key) ?? { ids: [], select: binding.select };
          if (!group.ids.includes(binding.id)) group.ids.push(binding.id);
          groups.set(key, group);
        }
        deliveries.push({ channel, groups, request });
      }
      if (deliveries.length > 0)
        prepared.push({ kind: "postgres_changes", change, commitTimestamp: transaction.commitTimestamp, info, deliveries });
    }
    const visible = requests.length > 0 ? await this.authorizer.visible(requests) : new Set<VisibilityRequest>();
    for (const item of prepared) {
      if (item.kind === "broadcast") {
        this.publish(item.hubKey, item.json);
        continue;
      }
      const payloads = new Map<string, string>();
      for (const delivery of item.deliveries) {
        const { channel } = delivery;
        if (delivery.request && !visible.has(delivery.request)) continue;
        // The token may have expired or been replaced by another identity while the check ran.
        if (channel.session.channels.get(channel.topic) !== channel || isExpired(channel.auth)) continue;
        if (delivery.request && channel.auth.claims.sub !== delivery.request.auth.claims.sub) continue;
        const role = channel.auth.role;
        for (const [key, group] of delivery.groups) {
          let data = payloads.get(`${role}\u0000${key}`);
          if (data === undefined) {
            data = JSON.stringify(await this.#payload(item, role, group.select));
            payloads.set(`${role}\u0000${key}`, data);
          }
          channel.pushRaw("postgres_changes", `{"ids":${JSON.stringify(group.ids)},"data":${data}}`);
        }
      }
    }
  }

  /**
   * A broadcast from the server side (database row, REST call) to a topic's channels: private ones
   * only if they passed the read check, nothing after a token's expiry.
   */
  publish(hubKey: string, json: string): void {
    for (const channel of this.#byTopic.get(hubKey) ?? []) {
      if (channel.mayRead("broadcast") && !isExpired(channel.auth)) channel.pushRaw("broadcast", json);
    }
  }

  /**
   * The change as Supabase's WALRUS shapes it for one role (columns it may not select are left
   * out) and one `select` list (other columns left out, the primary key always kept).
   */
  async #payload(item: PreparedChange, role: string, select: string[] | undefined): Promise<Record<string, unknown>> {
    const { change, info } = item;
    const { relation } = change;
    const privileges = await this.authorizer.privileges(relation, role);
    const keyIndexes = new Set(info.primaryKey.map(({ index }) => index));
    const selectable = privileges.columns.map(
      (allowed, index) => allowed && (!select || keyIndexes.has(index) || select.includes(relation.columns[index]?.name ?? "")),
    );
    const toObject = (tuple: Tuple | null, fallback: Tuple | null, only?: Set<number>) => {
      const record: Record<string, unknown> = {};
      if (!tuple) return record;
      relation.columns.forEach((column, index) => {
        if (!selectable[index] || (only && !only.has(index))) return;
        const value = tuple[index] === undefined ? fallback?.[index] : tuple[index];
        if (value === undefined) return;
        record[column.name] = toJsonValue(info.typeNames[index] ?? "text", value);
      });
      return record;
    };
    const data: Record<string, unknown> = {
      schema: relation.schema,
      table: relation.table,
      commit_timestamp: item.commitTimestamp,
      type: change.type,
      columns: relation.columns
        .map((column, index) => ({ name: column.name, type: info.typeNames[index] ?? "text" }))
        .filter((_, index) => selectable[index]),
      errors: null,
    };
    if (change.type !== "DELETE") data.record = toObject(change.record, change.old);
    if (change.type === "UPDATE") data.old_record = toObject(change.old, null);
    if (change.type === "DELETE") data.old_record = toObject(change.old, null, info.rls ? keyIndexes : undefined);
    return data;
  }
}
