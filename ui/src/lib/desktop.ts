// The desktop app's own settings, reached over Tauri's IPC. Only inside the app's window does
// the page have it (the app injects `__TAURI_INTERNALS__` and grants its gateway's pages the
// settings commands); in a browser the panel has no Settings page.

export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";
export type Folder = "data" | "logs" | "settings";

export interface AppSettings {
  version: string;
  gateway: { running: boolean; url: string | null; configPath: string | null; error: string | null };
  port: number;
  portFromEnvironment: string | null;
  startAtLogin: boolean;
  closeToTray: boolean;
  trayAvailable: boolean;
  logLevel: LogLevel;
  logLevels: LogLevel[];
  logLevelFromEnvironment: string | null;
  locations: { dataFolder: string; database: string; masterKey: string; logFile: string; settingsFile: string };
}

export interface SettingsChange {
  port?: number;
  logLevel?: LogLevel;
  startAtLogin?: boolean;
  closeToTray?: boolean;
}

type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

interface DesktopWindow {
  __SWITCHBOARD__?: { desktop?: boolean };
  __TAURI_INTERNALS__?: { invoke?: Invoke };
}

export interface Desktop {
  settings(): Promise<AppSettings>;
  change(change: SettingsChange): Promise<AppSettings>;
  restartGateway(): Promise<void>;
  chooseConfig(clear?: boolean): Promise<void>;
  openFolder(folder: Folder): Promise<void>;
}

/** The app's commands, when this page runs in the desktop app's window. */
export function desktop(w: DesktopWindow = window as unknown as DesktopWindow): Desktop | null {
  const invoke = w.__TAURI_INTERNALS__?.invoke;
  if (!w.__SWITCHBOARD__?.desktop || typeof invoke !== "function") return null;
  // The app answers refusals with a sentence; an Error carries it to the page's notices.
  const call = <T>(cmd: string, args?: Record<string, unknown>) =>
    invoke(cmd, args).then(
      (v) => v as T,
      (e: unknown) => Promise.reject(new Error(sentence(typeof e === "string" ? e : String(e)))),
    );
  return {
    settings: () => call<AppSettings>("app_settings"),
    change: (change) => call<AppSettings>("change_app_settings", { change }),
    restartGateway: () => call<void>("restart_gateway"),
    chooseConfig: (clear) => call<void>("choose_config", { clear: clear ?? false }),
    openFolder: (folder) => call<void>("open_folder", { folder }),
  };
}

function sentence(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** The port field's error, or null (the app refuses the same ports). */
export function portError(text: string): string | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return "A port is a whole number, 1024 to 65535.";
  const n = Number(t);
  if (n < 1024) return `Port ${n} needs administrator rights: choose one from 1024 to 65535.`;
  if (n > 65535) return "The highest port is 65535.";
  return null;
}

/** The port the gateway listens on now, from its URL. */
export function listeningPort(url: string | null): number | null {
  const m = url ? /:(\d+)$/.exec(url.replace(/\/+$/, "")) : null;
  return m ? Number(m[1]) : null;
}
