// Entry point of lib/metrics: the registry and Leadline's own metrics.

export * from "./app_metrics.ts";
export * from "./registry.ts";
