// Where the panel finds its gateway: injected by the desktop app, or typed in the sign-in form
// and kept in sessionStorage (a closed tab forgets the key; never localStorage).

export interface Session {
  url: string;
  masterKey: string;
  /** True when the desktop app injected the gateway (no sign-in, no sign-out). */
  injected: boolean;
}

declare global {
  interface Window {
    __SWITCHBOARD__?: { url?: string; masterKey?: string };
  }
}

const STORAGE_KEY = "switchboard.session";

export function injectedSession(w: Pick<Window, "__SWITCHBOARD__"> = window): Session | null {
  const s = w.__SWITCHBOARD__;
  if (!s || typeof s.url !== "string" || typeof s.masterKey !== "string" || !s.url) return null;
  return { url: s.url.replace(/\/+$/, ""), masterKey: s.masterKey, injected: true };
}

export function loadSession(storage: Storage = sessionStorage): Session | null {
  const injected = injectedSession();
  // The desktop app's gateway, unless this tab switched to another one (switchSession).
  if (injected && !storage.getItem(PREVIOUS_KEY)) return injected;
  try {
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as { url?: string; masterKey?: string };
    if (typeof v.url !== "string" || typeof v.masterKey !== "string") return injected;
    return { url: v.url, masterKey: v.masterKey, injected: false };
  } catch {
    return injected;
  }
}

export function saveSession(s: { url: string; masterKey: string }, storage: Storage = sessionStorage): void {
  storage.setItem(STORAGE_KEY, JSON.stringify({ url: s.url, masterKey: s.masterKey }));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
  storage.removeItem(PREVIOUS_KEY);
}

// Switching this tab to another gateway (e.g. the one just deployed to AWS) and back. The session
// it came from is kept in sessionStorage too (for the desktop app's injected one, just a marker).

const PREVIOUS_KEY = "switchboard.previousSession";
/** Dispatched on window after switchSession/switchBack: the app reloads its session. */
export const SESSION_CHANGED = "switchboard:session";

export type PreviousSession = { injected: true; url: string } | { injected: false; url: string; masterKey: string };

export function switchSession(to: { url: string; masterKey: string }, current: Session, storage: Storage = sessionStorage): void {
  if (!storage.getItem(PREVIOUS_KEY)) {
    const previous: PreviousSession = current.injected ? { injected: true, url: current.url } : { injected: false, url: current.url, masterKey: current.masterKey };
    storage.setItem(PREVIOUS_KEY, JSON.stringify(previous));
  }
  saveSession(to, storage);
}

export function previousSession(storage: Storage = sessionStorage): PreviousSession | null {
  try {
    const raw = storage.getItem(PREVIOUS_KEY);
    const v = raw ? (JSON.parse(raw) as PreviousSession) : null;
    return v && typeof v.url === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Back to the gateway this tab switched from. */
export function switchBack(storage: Storage = sessionStorage): void {
  const previous = previousSession(storage);
  storage.removeItem(PREVIOUS_KEY);
  if (!previous || previous.injected) storage.removeItem(STORAGE_KEY);
  else saveSession(previous, storage);
}

/**
 * The URL the sign-in form starts with: the page's origin when a gateway serves it at /ui/
 * (not under `vite dev`, which serves /ui/ too).
 */
export function defaultGatewayUrl(loc: Pick<Location, "origin" | "pathname" | "protocol"> = location, dev: boolean = import.meta.env.DEV): string {
  if (!dev && (loc.protocol === "http:" || loc.protocol === "https:") && loc.pathname.startsWith("/ui")) return loc.origin;
  return "http://127.0.0.1:4000";
}
