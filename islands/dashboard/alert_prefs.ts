// The desktop-alert and sound choices, remembered in this browser's localStorage.

/** The user's choices. */
export interface AlertPrefs {
  notify: boolean;
  sound: boolean;
}

const KEY = "leadline.alerts";

/** The remembered choices (both off until the user turns them on). */
export function loadPrefs(): AlertPrefs {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return { notify: saved.notify === true, sound: saved.sound === true };
  } catch {
    return { notify: false, sound: false };
  }
}

/** Remembers the choices in this browser. */
export function savePrefs(prefs: AlertPrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // private mode: the choice lasts for this page only
  }
}
