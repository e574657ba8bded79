// The demo-mode banner: says that a built-in simulator stands in for Meta and how to send leads.

/** Shown on the dashboard when no Meta credentials are set. */
export function DemoBanner({ simulate }: {
  /** The command that sends test leads to this server (see lib/demo_command.ts). */
  simulate: string;
}) {
  return (
    <p class="banner banner-demo" role="note" data-banner="demo">
      <strong>Demo mode.</strong>{" "}
      No Meta credentials are set, so a built-in Graph API simulator stands in for Meta. Send test
      leads from another terminal in this folder with <code data-simulate>{simulate}</code>{" "}
      or with the button on an empty dashboard.
    </p>
  );
}
