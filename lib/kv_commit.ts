// Commit a KV atomic operation, riding out SQLite's transient "database is locked".

const BUSY = /database is locked|database is busy/i;

/**
 * `op.commit()`, tried again when another connection to the same SQLite file holds its write
 * lock (two `Deno.openKv` of one file). Re-committing is safe: the op re-runs its checks, and a
 * commit that threw wrote nothing. Check failures come back as `{ ok: false }` as usual.
 */
export async function commitAtomic(
  op: Deno.AtomicOperation,
  options: { attempts?: number } = {},
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1;; attempt++) {
    try {
      return await op.commit();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof Error) || !BUSY.test(error.message)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * attempt * 2));
    }
  }
}

const LIMIT =
  /^(?:Value too large|Key too large|Too many (?:mutations|checks)|Total (?:mutation|key) size too large)/;

/**
 * Whether `error` is KV refusing a write over one of its limits (a value over 64 KiB, a key over
 * 2 KiB, a commit over 800 KiB or 1,000 mutations or 100 checks). Trying the same write again can
 * never succeed: a job that meets one must fail at once rather than retry.
 */
export function isKvLimitError(error: unknown): boolean {
  return error instanceof TypeError && LIMIT.test(error.message);
}
