// Preloaded before main.ts by tests/e2e/deploy_test.ts: prints, in order, each `Deno.cron`
// registration and the `Deno.serve` call, as Deno Deploy's discovery of crons depends on it.

const cron = Deno.cron;
const serve = Deno.serve;
Object.defineProperty(Deno, "cron", {
  value: (name: string, schedule: string, ...rest: unknown[]) => {
    console.error(`[order] cron ${JSON.stringify({ name, schedule })}`);
    return (cron as (...args: unknown[]) => Promise<void>)(name, schedule, ...rest);
  },
});
Object.defineProperty(Deno, "serve", {
  value: (...args: unknown[]) => {
    console.error("[order] serve");
    return (serve as (...args: unknown[]) => unknown)(...args);
  },
});
