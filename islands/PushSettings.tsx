// Notifications on this device: registers the service worker, asks for permission, subscribes to
// Web Push with the server's VAPID key and tells the server; or switches them off again.

import { useEffect, useState } from "preact/hooks";
import type { PushSettingsProps, PushTestAnswer } from "../lib/wire.ts";

type DeviceState = "checking" | "unsupported" | "blocked" | "off" | "on" | "busy";

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function sameKey(subscription: PushSubscription, publicKey: string): boolean {
  const key = subscription.options.applicationServerKey;
  if (!key) return false;
  const a = new Uint8Array(key);
  const b = keyBytes(publicKey);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function worker(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return await navigator.serviceWorker.ready;
}

/** The switch for this device, with a test button once it is on. */
export default function PushSettings({ publicKey }: PushSettingsProps) {
  const [state, setState] = useState<DeviceState>("checking");
  const [message, setMessage] = useState("");

  useEffect(() => {
    (async () => {
      if (!("serviceWorker" in navigator) || !("PushManager" in globalThis)) {
        setState("unsupported");
        return;
      }
      const registration = await worker();
      const subscription = await registration.pushManager.getSubscription();
      if (Notification.permission === "denied") setState("blocked");
      else setState(subscription && sameKey(subscription, publicKey) ? "on" : "off");
    })().catch(() => setState("unsupported"));
  }, []);

  async function turnOn() {
    setState("busy");
    setMessage("");
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        setState(permission === "denied" ? "blocked" : "off");
        return;
      }
      const registration = await worker();
      let subscription = await registration.pushManager.getSubscription();
      // Made with another key (the server's changed): the push service would refuse ours.
      if (subscription && !sameKey(subscription, publicKey)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription ??= await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(publicKey),
      });
      const res = await fetch("/api/push/subscriptions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(subscription.toJSON()),
      });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error(body.error ?? `the server answered ${res.status}`);
      }
      setState("on");
      setMessage("Notifications are on for this device.");
    } catch (error) {
      setState("off");
      setMessage(`Could not switch notifications on: ${(error as Error).message}`);
    }
  }

  async function turnOff() {
    setState("busy");
    setMessage("");
    try {
      const registration = await worker();
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) {
        await fetch("/api/push/subscriptions", {
          method: "DELETE",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ endpoint: subscription.endpoint }),
        });
        await subscription.unsubscribe();
      }
      setState("off");
      setMessage("Notifications are off for this device.");
    } catch (error) {
      setState("on");
      setMessage(`Could not switch notifications off: ${(error as Error).message}`);
    }
  }

  async function sendTest() {
    setMessage("Sending a test notification…");
    const res = await fetch("/api/push/test", { method: "POST" }).catch(() => null);
    const body: PushTestAnswer | null = res?.ok ? await res.json() : null;
    setMessage(
      body
        ? `Test sent to ${body.sent} device${body.sent === 1 ? "" : "s"}` +
          (body.failed ? `; ${body.failed} did not take it` : "") + "."
        : "The test could not be sent; try again.",
    );
  }

  return (
    <div class="push-settings">
      {state === "checking" && <p class="muted">Checking this device…</p>}
      {state === "unsupported" && (
        <p>
          This browser cannot show notifications from Leadline. On an iPhone or iPad, add Leadline
          to the home screen first (Share, Add to Home Screen) and open it from there.
        </p>
      )}
      {state === "blocked" && (
        <p>
          Notifications are blocked for this site. Allow them in the browser's site settings, then
          reload this page.
        </p>
      )}
      {(state === "off" || state === "busy") && (
        <p>
          <button type="button" class="button" onClick={turnOn} disabled={state === "busy"}>
            Turn on notifications on this device
          </button>
        </p>
      )}
      {state === "on" && (
        <p class="push-actions">
          <span>Notifications are on for this device.</span>{" "}
          <button type="button" class="button" onClick={sendTest}>Send a test</button>{" "}
          <button type="button" class="link-button" onClick={turnOff}>Turn off</button>
        </p>
      )}
      <p class="push-message" role="status" aria-live="polite">{message}</p>
    </div>
  );
}
