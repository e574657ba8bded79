// Opens the app's Deno KV: a local SQLite file, `:memory:`, or Deploy's own; says why one fails.

/**
 * The KV store at a path cannot be used (missing folder, a folder, not a database, no permission,
 * read-only). The message says what is wrong with the path, in one line, without a stack; callers
 * put the variable's name in front (`KV_PATH: ...`).
 */
export class KvOpenError extends Error {
  /** The path that could not be opened. */
  readonly path: string;
  /** Make the error. */
  constructor(path: string, message: string) {
    super(message);
    this.name = "KvOpenError";
    this.path = path;
  }
}

/** Options of {@linkcode openKv}. */
export interface OpenKvOptions {
  /**
   * Create the file's folder when it is missing (default false). Only for the default path
   * (`data/leadline.kv`): a folder named by hand that does not exist is most likely a typo, and
   * creating it would start an empty database in the wrong place.
   */
  createFolder?: boolean;
  /**
   * Check at once that the store takes a write (default true), so a read-only file stops start-up
   * with a reason rather than failing the first webhook. The check writes one small key that
   * expires by itself.
   */
  checkWrite?: boolean;
}

const WRITE_PROBE_KEY: Deno.KvKey = ["kv_open_probe"];
const WRITE_PROBE_EXPIRE_MS = 60_000;

/**
 * Opens Deno KV at `path`. `:memory:` gives a throwaway store; null opens the platform's default
 * store (on Deno Deploy, the managed, replicated database). For a file path it checks the folder
 * and the file first, and throws {@linkcode KvOpenError} saying what is wrong instead of
 * SQLite's bare "unable to open database file".
 */
export async function openKv(path: string | null, options: OpenKvOptions = {}): Promise<Deno.Kv> {
  if (path === null || path === ":memory:") return await Deno.openKv(path ?? undefined);
  await checkKvPath(path, options.createFolder ?? false);
  let kv: Deno.Kv;
  try {
    kv = await Deno.openKv(path);
  } catch (error) {
    throw await explainOpenFailure(path, error);
  }
  if (options.checkWrite ?? true) {
    try {
      await kv.set(WRITE_PROBE_KEY, Date.now(), { expireIn: WRITE_PROBE_EXPIRE_MS });
    } catch (error) {
      kv.close();
      throw new KvOpenError(
        path,
        `cannot write to the KV file ${path}: ${firstLine(error)} ` +
          "(check that the file, its folder and the disk are writable)",
      );
    }
  }
  return kv;
}

// What the file system says about the path, before SQLite gets a chance to be vague.
async function checkKvPath(path: string, createFolder: boolean): Promise<void> {
  const folder = folderOf(path);
  if (folder !== null) {
    const info = await statOrNull(folder);
    if (info === null) {
      if (!createFolder) {
        throw new KvOpenError(
          path,
          `the folder ${folder} does not exist; create it, or point KV_PATH at a file in an ` +
            "existing folder",
        );
      }
      try {
        await Deno.mkdir(folder, { recursive: true });
      } catch (error) {
        throw new KvOpenError(path, `cannot create the folder ${folder}: ${firstLine(error)}`);
      }
    } else if (!info.isDirectory) {
      throw new KvOpenError(path, `${folder} is not a folder, so it cannot hold the KV file`);
    }
  }
  const info = await statOrNull(path);
  if (info?.isDirectory) {
    throw new KvOpenError(
      path,
      `${path} is a folder; give the path of the KV file inside it (e.g. ${
        path.replace(/[/\\]+$/, "")
      }/leadline.kv)`,
    );
  }
}

async function explainOpenFailure(path: string, error: unknown): Promise<KvOpenError> {
  const message = firstLine(error);
  if (/not a database/i.test(message)) {
    return new KvOpenError(
      path,
      `${path} is not a Deno KV database (SQLite says: ${message}); point KV_PATH at a KV file ` +
        "or at a path where a new one may be created",
    );
  }
  if (error instanceof Deno.errors.PermissionDenied || await deniedToThisUser(path)) {
    return new KvOpenError(
      path,
      `permission denied opening ${path}; this user must be able to read and write the file ` +
        "and its folder",
    );
  }
  return new KvOpenError(path, `cannot open the KV file ${path}: ${message}`);
}

// SQLite reports a permission problem as "unable to open database file"; asking the file system
// the same question tells the two apart.
async function deniedToThisUser(path: string): Promise<boolean> {
  try {
    const file = await Deno.open(path, { read: true, write: true });
    file.close();
    return false;
  } catch (error) {
    return error instanceof Deno.errors.PermissionDenied;
  }
}

function folderOf(path: string): string | null {
  const at = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (at < 0) return null;
  return at === 0 ? path.slice(0, 1) : path.slice(0, at);
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new KvOpenError(path, `a part of ${path} is a file, not a folder`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new KvOpenError(path, `permission denied looking at ${path}`);
    }
    throw new KvOpenError(path, `cannot look at ${path}: ${firstLine(error)}`);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].trim();
}
