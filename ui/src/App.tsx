import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { AppContext, type AppContextValue, type SessionKey, type ToastKind, useApp } from "./context";
import { useHashRoute, useInterval } from "./hooks";
import { Gateway } from "./lib/api";
import { desktop } from "./lib/desktop";
import { type Session, SESSION_CHANGED, clearSession, loadSession, previousSession, saveSession, switchBack } from "./lib/session";
import { AgentCorePage } from "./pages/AgentCore";
import { AuditPage } from "./pages/Audit";
import { DeployPage } from "./pages/Deploy";
import { KeysPage } from "./pages/Keys";
import { LogsPage } from "./pages/Logs";
import { ModelsPage } from "./pages/Models";
import { OverviewPage } from "./pages/Overview";
import { PerformancePage } from "./pages/Performance";
import { PlaygroundPage } from "./pages/Playground";
import { RequestsPage } from "./pages/Requests";
import { SignIn } from "./pages/SignIn";
import { SettingsPage } from "./pages/Settings";
import { SpendPage } from "./pages/Spend";
import { TeamsPage } from "./pages/Teams";

export const NAV: Array<{ route: string; label: string; key: string }> = [
  { route: "overview", label: "Overview", key: "o" },
  { route: "models", label: "Models", key: "m" },
  { route: "teams", label: "Teams", key: "t" },
  { route: "keys", label: "Keys", key: "k" },
  { route: "playground", label: "Playground", key: "p" },
  { route: "requests", label: "Requests", key: "r" },
  { route: "performance", label: "Performance", key: "f" },
  { route: "spend", label: "Spend", key: "s" },
  { route: "logs", label: "Logs", key: "l" },
  { route: "audit", label: "Audit", key: "u" },
  { route: "agentcore", label: "AgentCore", key: "a" },
  { route: "deploy", label: "Deploy to AWS", key: "d" },
];

/** Inside the desktop app's window, the app's own Settings page comes last. */
const SETTINGS_NAV = { route: "settings", label: "Settings", key: "e" };

interface Toast {
  id: number;
  message: string;
  kind: ToastKind;
}

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  // Switching this tab to another gateway (the deployed one) and back: lib/session.ts.
  useEffect(() => {
    const reload = () => setSession(loadSession());
    window.addEventListener(SESSION_CHANGED, reload);
    return () => window.removeEventListener(SESSION_CHANGED, reload);
  }, []);
  if (!session) {
    return (
      <SignIn
        onSignIn={(s) => {
          saveSession(s);
          setSession({ ...s, injected: false });
        }}
      />
    );
  }
  return (
    <Shell
      key={`${session.url}|${session.masterKey}`}
      session={session}
      signOut={() => {
        clearSession();
        // null, or the desktop app's gateway when this tab had switched away from it.
        setSession(loadSession());
        window.location.hash = "";
      }}
    />
  );
}

function Shell({ session, signOut }: { session: Session; signOut: () => void }) {
  const gw = useMemo(() => new Gateway(session.url, session.masterKey), [session]);
  const app = useMemo(() => desktop(), []);
  const nav = useMemo(() => (app ? [...NAV, SETTINGS_NAV] : NAV), [app]);
  const [route, go] = useHashRoute();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [sessionKeys, setSessionKeys] = useState<SessionKey[]>([]);
  const [playgroundKey, setPlaygroundKey] = useState<string | null>(null);
  const nextToast = useRef(1);

  const toast = useCallback((message: string, kind: ToastKind = "success") => {
    const id = nextToast.current++;
    setToasts((t) => [...t.slice(-2), { id, message, kind }]);
    window.setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 7000 : 3000);
  }, []);

  const ctx: AppContextValue = useMemo(
    () => ({
      gw,
      session,
      signOut,
      go,
      toast,
      sessionKeys,
      rememberKey: (k) => setSessionKeys((all) => [k, ...all.filter((x) => x.token !== k.token)]),
      forgetKey: (token) => setSessionKeys((all) => all.filter((x) => x.token !== token)),
      playgroundKey,
      setPlaygroundKey,
    }),
    [gw, session, signOut, go, toast, sessionKeys, playgroundKey],
  );

  // "g" then a letter jumps to a page (like GitHub); ignored while typing.
  useEffect(() => {
    let armed = 0;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
      if (document.querySelector(".modal-backdrop")) return;
      if (e.key === "g") {
        armed = Date.now();
        return;
      }
      if (armed && Date.now() - armed < 1500) {
        const item = nav.find((n) => n.key === e.key);
        if (item) {
          e.preventDefault();
          go(item.route);
        }
      }
      armed = 0;
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [go, nav]);

  const known = nav.some((n) => n.route === route);
  const page = known ? route : "overview";
  useEffect(() => {
    const label = nav.find((n) => n.route === page)?.label ?? "";
    document.title = `${label} · Switchboard`;
  }, [page, nav]);

  return (
    <AppContext.Provider value={ctx}>
      <div className="shell">
        <nav className="sidebar" aria-label="Pages">
          <div className="brand">
            <svg width="22" height="22" viewBox="0 0 16 16" aria-hidden="true">
              <rect width="16" height="16" rx="3.5" fill="#2563eb" />
              <path d="M4 5h8M4 8h5M4 11h8" stroke="white" strokeWidth="1.6" strokeLinecap="round" />
            </svg>
            <span>Switchboard</span>
          </div>
          <ul>
            {nav.map((n) => (
              <li key={n.route}>
                <a href={`#/${n.route}`} className={page === n.route ? "active" : ""} data-testid={`nav-${n.route}`} aria-current={page === n.route ? "page" : undefined} title={`g ${n.key}`}>
                  <span>{n.label}</span>
                  <kbd>g {n.key}</kbd>
                </a>
              </li>
            ))}
          </ul>
          <GatewayStatus />
        </nav>
        <main className="main" data-testid={`page-${page}`}>
          {page === "overview" && <OverviewPage />}
          {page === "models" && <ModelsPage />}
          {page === "teams" && <TeamsPage />}
          {page === "keys" && <KeysPage />}
          {page === "playground" && <PlaygroundPage />}
          {page === "requests" && <RequestsPage />}
          {page === "performance" && <PerformancePage />}
          {page === "spend" && <SpendPage />}
          {page === "logs" && <LogsPage />}
          {page === "audit" && <AuditPage />}
          {page === "agentcore" && <AgentCorePage />}
          {page === "deploy" && <DeployPage />}
          {page === "settings" && app && <SettingsPage app={app} />}
        </main>
        <div className="toasts" aria-live="polite">
          {toasts.map((t) => (
            <div key={t.id} className={`toast toast-${t.kind}`} data-testid="toast">
              {t.message}
            </div>
          ))}
        </div>
      </div>
    </AppContext.Provider>
  );
}

function GatewayStatus() {
  const { gw, session, signOut } = useApp();
  const [alive, setAlive] = useState<boolean | null>(null);
  const check = useCallback(() => {
    gw.liveliness().then(
      () => setAlive(true),
      () => setAlive(false),
    );
  }, [gw]);
  useEffect(check, [check]);
  useInterval(check, 10_000);
  const previous = previousSession();
  return (
    <div className="gateway-box" data-testid="gateway-status">
      <div className="gateway-line">
        <span className={`dot ${alive == null ? "dot-grey" : alive ? "dot-green" : "dot-red"}`} aria-hidden="true" />
        <span className="gateway-state">{alive == null ? "Checking…" : alive ? "Gateway up" : "Gateway unreachable"}</span>
      </div>
      <div className="gateway-url mono" title={session.url}>
        {session.url.replace(/^https?:\/\//, "")}
      </div>
      {previous && (
        <button
          type="button"
          className="btn btn-xs btn-sidebar btn-back"
          onClick={() => {
            switchBack();
            window.location.hash = "#/deploy";
            window.dispatchEvent(new Event(SESSION_CHANGED));
          }}
          data-testid="switch-back"
          title={`Back to ${previous.url}`}
        >
          ← Back to {previous.injected ? "the local gateway" : previous.url.replace(/^https?:\/\//, "")}
        </button>
      )}
      {session.injected ? (
        <div className="gateway-signed" data-testid="signed-in-local">
          Signed in to the local gateway
        </div>
      ) : (
        <button type="button" className="btn btn-xs btn-sidebar" onClick={signOut} data-testid="sign-out">
          Sign out
        </button>
      )}
    </div>
  );
}

