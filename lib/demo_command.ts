// The command lines a demo-mode page or log tells a newcomer to type: they must work in the shell
// the server was started from, where `deno` itself may not be installed.

/**
 * How the README starts Leadline on a machine with only Node.js: Deno through npm. Someone who
 * began with `npx -y deno@2.9 task start` has no `deno` command, so every hint uses this too.
 */
export const DENO_VIA_NPM = "npx -y deno@2.9";

/** The ports `deno task simulate` assumes when PORT and GRAPH_SIMULATOR_PORT are not set. */
export const SIMULATE_DEFAULTS = { port: 8000, simulatorPort: 8787 } as const;

/** Where the running demo listens: the app's port and the Graph API simulator's. */
export interface DemoPorts {
  port: number;
  simulatorPort: number;
}

/**
 * The command that sends test leads to this server, e.g.
 * `PORT=8123 npx -y deno@2.9 task simulate --count 5`: PORT and GRAPH_SIMULATOR_PORT only when
 * they differ from what the script assumes, as environment assignments for a POSIX shell.
 */
export function simulateCommand(ports: DemoPorts, args = "--count 5"): string {
  const env = [];
  if (ports.port !== SIMULATE_DEFAULTS.port) env.push(`PORT=${ports.port}`);
  if (ports.simulatorPort !== SIMULATE_DEFAULTS.simulatorPort) {
    env.push(`GRAPH_SIMULATOR_PORT=${ports.simulatorPort}`);
  }
  return [...env, `${DENO_VIA_NPM} task simulate`, args].filter((part) => part !== "").join(" ");
}

/** The port of a loopback URL such as the simulator's `http://127.0.0.1:8787`. */
export function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
}
