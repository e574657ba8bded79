// The errors a job handler throws to say whether its job may be tried again.

/** The job failed for now (network, rate limit, 5xx); try again later. */
export class RetryableJobError extends Error {
  /** At least this long before the next attempt (e.g. from a Retry-After header). */
  readonly retryAfterMs: number | null;

  /** Make the error; `message` is stored with the job, so keep secrets out of it. */
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "RetryableJobError";
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** The job can never succeed (bad input, lead gone, permission denied); do not try again. */
export class PermanentJobError extends Error {
  /** Make the error; `message` is stored with the job, so keep secrets out of it. */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "PermanentJobError";
  }
}
