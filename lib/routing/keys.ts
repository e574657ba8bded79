// Every Deno KV key of routing and the team's settings, each built by one named function.

/** `["team_settings"]` -> TeamSettings (routing, working hours, time zone, clock thresholds). */
export function teamSettingsKey(): Deno.KvKey {
  return ["team_settings"];
}

/** `["agents_on_shift", userId]` -> OnShiftRecord: a team member who takes routed leads now. */
export function onShiftKey(userId: string): Deno.KvKey {
  return ["agents_on_shift", userId];
}

/** The prefix of every `onShiftKey`. */
export const ON_SHIFT_PREFIX: Deno.KvKey = ["agents_on_shift"];

/** `["routing_round_robin"]` -> the user id routing handed the last lead to. */
export function roundRobinKey(): Deno.KvKey {
  return ["routing_round_robin"];
}
