// Who is on shift: the team members who switched themselves on to take routed leads.

import { commitAtomic } from "../kv_commit.ts";
import { getUser } from "../auth/users.ts";
import { ON_SHIFT_PREFIX, onShiftKey } from "./keys.ts";

/** One team member on shift, as stored at `["agents_on_shift", userId]`. */
export interface OnShiftRecord {
  userId: string;
  /** ISO 8601, since when. */
  since: string;
}

/** Switches `userId` on shift (taking routed leads) or off. */
export async function setOnShift(
  kv: Deno.Kv,
  userId: string,
  on: boolean,
  now: Date = new Date(),
): Promise<void> {
  if (on) {
    const record: OnShiftRecord = { userId, since: now.toISOString() };
    await commitAtomic(
      kv.atomic().check({ key: onShiftKey(userId), versionstamp: null })
        .set(onShiftKey(userId), record),
    );
  } else await kv.delete(onShiftKey(userId));
}

/** True when `userId` is on shift. */
export async function isOnShift(kv: Deno.Kv, userId: string): Promise<boolean> {
  return (await kv.get(onShiftKey(userId))).versionstamp !== null;
}

/**
 * The team members on shift who can take leads now (disabled or removed users are left out), in
 * the order of their ids, with their names as they are now.
 */
export async function listOnShift(kv: Deno.Kv): Promise<{ id: string; name: string }[]> {
  const out: { id: string; name: string }[] = [];
  for await (const entry of kv.list<OnShiftRecord>({ prefix: ON_SHIFT_PREFIX })) {
    const user = await getUser(kv, entry.value.userId);
    if (user && !user.disabled) out.push({ id: user.id, name: user.name });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
