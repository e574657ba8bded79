// What to do with the selected rows: assign them, set their status, or export them as CSV.

import { useState } from "preact/hooks";
import type { TeamMember } from "../../lib/wire.ts";

interface Props {
  ids: string[];
  /** Who the user may assign leads to (an agent: themselves). */
  members: TeamMember[];
  me: string;
  busy: boolean;
  onAssign(ownerId: string | null): void;
  onStatus(status: string): void;
  onClear(): void;
}

const STATUSES = ["new", "contacted", "qualified", "won", "lost"];

/** The bar above the table while rows are selected. */
export function BulkBar({ ids, members, me, busy, onAssign, onStatus, onClear }: Props) {
  const [owner, setOwner] = useState(me);
  const [status, setStatus] = useState("contacted");
  return (
    <div class="bulk-bar" role="region" aria-label="Selected leads" data-bulk>
      <strong>{ids.length} selected</strong>
      <label>
        <span class="visually-hidden">Assign to</span>
        <select
          value={owner}
          onChange={(e) => setOwner((e.target as HTMLSelectElement).value)}
        >
          {members.map((m) => <option key={m.id} value={m.id}>{m.id === me ? "Me" : m.name}
          </option>)}
          <option value="">Nobody (release)</option>
        </select>
      </label>
      <button
        type="button"
        class="button-small"
        disabled={busy}
        onClick={() => onAssign(owner || null)}
      >
        Assign
      </button>
      <label>
        <span class="visually-hidden">New status</span>
        <select
          value={status}
          onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
        >
          {STATUSES.map((s) => <option key={s} value={s}>{s[0].toUpperCase() + s.slice(1)}
          </option>)}
        </select>
      </label>
      <button
        type="button"
        class="button-small"
        disabled={busy}
        onClick={() => onStatus(status)}
      >
        Set status
      </button>
      <form method="post" action="/api/leads/export.csv" class="bulk-export">
        {ids.map((id) => <input key={id} type="hidden" name="id" value={id} />)}
        <button type="submit" class="button-small">Export selected</button>
      </form>
      <button type="button" class="link-button" onClick={onClear}>Clear selection</button>
    </div>
  );
}
