// Opens the app's Deno KV: a local SQLite file (its folder created), `:memory:`, or Deploy's own.

/**
 * Opens Deno KV at `path`, creating the file's folder. `:memory:` gives a throwaway store; null
 * opens the platform's default store (on Deno Deploy, the managed, replicated database).
 */
export async function openKv(path: string | null): Promise<Deno.Kv> {
  if (path === null) return await Deno.openKv();
  if (path !== ":memory:") {
    const dir = path.replace(/[/\\][^/\\]*$/, "");
    if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
  }
  return await Deno.openKv(path);
}
