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
