// Waiting in tests: poll a condition until it holds, with a generous deadline, never a bare sleep
// that hopes the other side has finished by then.

/** How long a wait lasts by default: generous, so a loaded two-core machine does not flake. */
export const DEFAULT_WAIT_MS = 15_000;

/** Options of {@linkcode waitFor}. */
export interface WaitOptions {
  /** Give up (and fail) after this many ms; default {@linkcode DEFAULT_WAIT_MS}. */
  timeoutMs?: number;
  /** Ask again after this many ms; default 20. */
  intervalMs?: number;
}

/** What a probe hands back: a value when the condition holds, else null, undefined or false. */
export type Probe<T> = () => Promise<T | null | undefined | false> | T | null | undefined | false;

/**
 * Asks `probe` until it returns a value other than null, undefined or false, and returns that
 * value; throws "Gave up waiting for <what> after N ms" at the deadline. A probe that throws ends
 * the wait with its error. `options` may be the timeout in ms.
 */
export async function waitFor<T>(
  probe: Probe<T>,
  what: string,
  options: WaitOptions | number = {},
): Promise<T> {
  const { timeoutMs = DEFAULT_WAIT_MS, intervalMs = 20 } = typeof options === "number"
    ? { timeoutMs: options }
    : options;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Awaits `promise`, failing with "Gave up waiting for <what> after N ms" at the deadline (default
 * {@linkcode DEFAULT_WAIT_MS}): for a signal the code under test gives (a handler started, a
 * stream opened), so a test whose signal never comes fails instead of hanging the suite.
 */
export async function settles<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Gave up waiting for ${what} after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
