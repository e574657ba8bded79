// Durable background jobs over Deno KV: the queue, its errors and its keys.

export * from "./errors.ts";
export * from "./keys.ts";
export * from "./queue.ts";
