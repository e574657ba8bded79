// Runs `deno run -A main.ts` as a real subprocess for tests: waits for "listening", drains output.

/** The repository root (where deno.json and main.ts are). */
export const ROOT = new URL("../../", import.meta.url);
const START_TIMEOUT_MS = 60_000;

/** A running server subprocess. */
export interface ServerProcess {
  process: Deno.ChildProcess;
  url: string;
  output: string[];
  /** Settles once stdout and stderr are drained (after the process ended). */
  drained: Promise<unknown>;
}

/** Drains a stream line by line, calling `onLine` for each (for tests and benches alike). */
export async function drainLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  }
}

/**
 * Starts the server with `env`; resolves once it logs "listening", throws if it exits first.
 * `permissions` replaces `-A` (e.g. no `--allow-write`, as on Deno Deploy), `flags` go after them
 * (e.g. `--preload`); `clearEnv` starts it with `env` alone (see baseEnv), nothing inherited.
 */
export async function startServer(
  env: Record<string, string>,
  options: { permissions?: string[]; clearEnv?: boolean; flags?: string[] } = {},
): Promise<ServerProcess> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(options.permissions ?? ["-A"]), ...(options.flags ?? []), "main.ts"],
    cwd: ROOT,
    env,
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const onLine = (line: string) => {
    if (!line.startsWith("{")) return;
    const entry = JSON.parse(line);
    if (entry.message === "listening") resolve(entry.url.replace(/\/$/, ""));
  };
  const drained = Promise.all([
    drainLines(process.stdout, (line) => {
      output.push(line);
      onLine(line);
    }),
    drainLines(process.stderr, (line) => output.push(line)),
  ]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`server did not start:\n${output.join("\n")}`)),
      START_TIMEOUT_MS,
    );
  });
  const exited = process.status.then((status) => {
    throw new Error(`server exited with ${status.code} before listening:\n${output.join("\n")}`);
  });
  try {
    const url = await Promise.race([listening, timeout, exited]);
    return { process, url, output, drained };
  } catch (error) {
    try {
      process.kill("SIGKILL");
    } catch { /* already gone */ }
    await process.status;
    await drained;
    throw error;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
  }
}

/** SIGTERM (SIGKILL after 10 s), then waits for the exit and the drained output. */
export async function stopServer(child: ServerProcess): Promise<void> {
  try {
    child.process.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch { /* already gone */ }
  }, 10_000);
  await child.process.status;
  clearTimeout(timer);
  await child.drained;
}

/** The environment a subprocess needs to find Deno's cache, plus `env`. */
export function baseEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "" };
  for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value) base[name] = value;
  }
  return { ...base, ...env };
}

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
