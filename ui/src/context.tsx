import { createContext, useContext } from "react";
import type { Gateway } from "./lib/api";
import type { Session } from "./lib/session";

/** A clear key generated in this browser session: kept in memory only, never stored. */
export interface SessionKey {
  token: string;
  alias: string | null;
  key: string;
}

export type ToastKind = "info" | "success" | "error";

export interface AppContextValue {
  gw: Gateway;
  session: Session;
  signOut: () => void;
  go: (route: string) => void;
  toast: (message: string, kind?: ToastKind) => void;
  sessionKeys: SessionKey[];
  rememberKey: (k: SessionKey) => void;
  forgetKey: (token: string) => void;
  /** The key the playground should select next (set by "Try in playground"). */
  playgroundKey: string | null;
  setPlaygroundKey: (token: string | null) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error("useApp outside the app");
  return v;
}
