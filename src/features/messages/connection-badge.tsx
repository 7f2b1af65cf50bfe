import type { ConnectionState } from "./live-feed";

const labels: Record<ConnectionState, string> = {
  connecting: "Connecting...",
  live: "Live",
  reconnecting: "Reconnecting...",
  offline: "Offline",
};

export function ConnectionBadge(props: { state: ConnectionState }) {
  return (
    <p class={`connection connection-${props.state}`} data-testid="connection-state" data-state={props.state} role="status">
      {labels[props.state]}
    </p>
  );
}
