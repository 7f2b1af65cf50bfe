import { Show } from "solid-js";
import type { ConnectionState } from "./live-feed";

/** Says when sending has to wait, and how many messages wait: nothing while all is well. */
export function OutboxStatus(props: { online: boolean; state: ConnectionState; waiting: number }) {
  const count = () => (props.waiting === 1 ? "1 message waits" : `${props.waiting} messages wait`);
  const reason = () =>
    !props.online || props.state === "offline"
      ? "You are offline."
      : props.state === "reconnecting"
        ? "Reconnecting…"
        : props.waiting > 0
          ? "Connecting…"
          : "";
  return (
    <p class="outbox-status" role="status" data-testid="outbox-status" data-waiting={props.waiting}>
      <Show when={reason()}>
        {(text) => (
          <>
            {text()}{" "}
            {props.waiting > 0
              ? `${count()} to be sent when the connection is back.`
              : "Messages you write are kept and sent when the connection is back."}
          </>
        )}
      </Show>
    </p>
  );
}
