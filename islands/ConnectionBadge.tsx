// Shows whether this browser can reach the server; the dashboard drives it from its event stream.

import { useEffect, useState } from "preact/hooks";

/** Connection states the badge can show. */
export type Connection = "connecting" | "live" | "polling" | "offline";

const LABELS: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Polling",
  offline: "Offline",
};

interface Props {
  /** When set, the badge shows this state and does not check the server itself. */
  connection?: Connection;
  /** How often to re-check the server on its own, in ms. */
  checkEveryMs?: number;
}

/** A small pill: Live / Polling / Offline. Clicking it re-checks the server at once. */
export default function ConnectionBadge({ connection, checkEveryMs = 15000 }: Props) {
  const [own, setOwn] = useState<Connection>("connecting");
  const [checkedAt, setCheckedAt] = useState<string | null>(null);
  const shown = connection ?? own;

  async function check() {
    try {
      const res = await fetch("/health", { cache: "no-store" });
      setOwn(res.ok ? "live" : "offline");
    } catch {
      setOwn("offline");
    }
    setCheckedAt(new Date().toLocaleTimeString());
  }

  useEffect(() => {
    if (connection) return;
    check();
    const timer = setInterval(check, checkEveryMs);
    return () => clearInterval(timer);
  }, [connection, checkEveryMs]);

  return (
    <button
      type="button"
      class={`badge badge-${shown}`}
      data-connection={shown}
      title={checkedAt ? `Last checked ${checkedAt}. Click to check again.` : "Checking…"}
      onClick={() => connection ? undefined : check()}
    >
      <span class="badge-dot" aria-hidden="true" />
      {LABELS[shown]}
    </button>
  );
}
