// Desktop notifications and a short sound for new leads: loaded only once the user has turned one
// on (alert_prefs.ts remembers the choice), so a page without them carries none of this.

/** Asks for permission to notify; only called when the user turns notifications on. */
export async function askNotifyPermission(): Promise<boolean> {
  if (typeof Notification === "undefined") return false;
  if (Notification.permission === "granted") return true;
  if (Notification.permission === "denied") return false;
  return (await Notification.requestPermission()) === "granted";
}

/**
 * Shows a desktop notification when allowed and the user is not looking at the page (another tab,
 * or another window in front: a dashboard left open beside other work); a click opens `url`.
 * While the page is in view and focused, its toast says the same.
 */
export function notify(title: string, body: string, url: string): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  if (!document.hidden && document.hasFocus()) return;
  const note = new Notification(title, { body, tag: url });
  note.onclick = () => {
    globalThis.focus();
    location.assign(url);
  };
}

let audio: AudioContext | null = null;

// Browsers start audio suspended until the page has had a click or key press; resume asks again.
function audioContext(): AudioContext {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

/**
 * Lets later chimes sound: call it from a click or key press (after a reload the remembered choice
 * alone may not unlock audio).
 */
export function unlockSound(): void {
  try {
    audioContext();
  } catch {
    // no audio in this browser
  }
}

/** A short two-tone chime, made on the fly (no sound file to download). */
export function chime(): void {
  try {
    audioContext();
    if (!audio) return;
    const now = audio.currentTime;
    [880, 1320].forEach((hz, i) => {
      const osc = audio!.createOscillator();
      const gain = audio!.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.001, now + i * 0.12 + 0.2);
      osc.connect(gain).connect(audio!.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.22);
    });
  } catch {
    // no audio device or not allowed before a user gesture
  }
}
