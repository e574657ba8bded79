// Every Deno KV key of Web Push, each built by one named function.

/** `["push_vapid_keys"]` -> VapidKeyText generated at the first start (when no env keys are set). */
export function vapidKeysKey(): Deno.KvKey {
  return ["push_vapid_keys"];
}

/** `["push_subscriptions", userId, subscriptionId]` -> PushSubscriptionRecord: one device. */
export function pushSubscriptionKey(userId: string, subscriptionId: string): Deno.KvKey {
  return ["push_subscriptions", userId, subscriptionId];
}

/** The prefix of one user's subscriptions. */
export function pushSubscriptionsPrefix(userId: string): Deno.KvKey {
  return ["push_subscriptions", userId];
}

/** The prefix of every subscription. */
export const PUSH_SUBSCRIPTIONS_PREFIX: Deno.KvKey = ["push_subscriptions"];

/**
 * `["push_subscription_users", subscriptionId]` -> user id: a device belongs to one user, so a
 * phone signed in as someone else stops getting the first user's leads.
 */
export function pushSubscriptionUserKey(subscriptionId: string): Deno.KvKey {
  return ["push_subscription_users", subscriptionId];
}

/** `["push_preferences", userId]` -> PushPreferences (quiet hours). */
export function pushPreferencesKey(userId: string): Deno.KvKey {
  return ["push_preferences", userId];
}

/** `["push_lead_notified", leadId]` -> LeadNotified: what the new-lead notification said. */
export function leadNotifiedKey(leadId: string): Deno.KvKey {
  return ["push_lead_notified", leadId];
}

/** `["push_job_progress", jobKey]` -> subscription ids a notification job already reached. */
export function pushProgressKey(jobKey: string): Deno.KvKey {
  return ["push_job_progress", jobKey];
}

/** The prefix of every `pushProgressKey`. */
export const PUSH_PROGRESS_PREFIX: Deno.KvKey = ["push_job_progress"];
