import { createSignal, onMount } from "solid-js";
import type { ConnectionState } from "./live-feed";
import type { describeOutbox } from "./outbox-engine";

/**
 * Says when sending has to wait, and how many messages wait: nothing while all is well, and so
 * nothing on the server. The live region is there from the first paint; its words come with the
 * outbox after mount.
 */
export function OutboxStatus(props: { online: boolean; state: ConnectionState; waiting: number }) {
  const [describe, setDescribe] = createSignal<typeof describeOutbox>();
  onMount(() => void import("./outbox-engine").then((engine) => setDescribe(() => engine.describeOutbox)));
  return (
    <p class="outbox-status" role="status" data-testid="outbox-status" data-waiting={props.waiting}>
      {describe()?.(props.online, props.state, props.waiting)}
    </p>
  );
}
