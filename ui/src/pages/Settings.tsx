// The desktop app's Settings page (only in the app's window): the gateway's port and
// config.yaml, start at login, the tray, the log level, and where the data and the key live.
// Everything here is the app's (lib/desktop.ts), not the gateway's API.

import { type ReactNode, useEffect, useState } from "react";
import { CopyButton, ErrorNotice, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync } from "../hooks";
import { type AppSettings, type Desktop, type Folder, type LogLevel, type SettingsChange, listeningPort, portError } from "../lib/desktop";

export function SettingsPage({ app }: { app: Desktop }) {
  const loaded = useAsync(() => app.settings(), [app]);
  const [settings, setSettings] = useState<AppSettings | null>(null);
  useEffect(() => {
    if (loaded.data) setSettings(loaded.data);
  }, [loaded.data]);

  return (
    <div className="page page-settings">
      <PageHeader
        title="Settings"
        subtitle={
          <>
            The desktop app's own settings, for this computer.
            {settings && (
              <>
                {" "}
                Saved in <code>{settings.locations.settingsFile}</code>.
              </>
            )}
          </>
        }
      />
      {loaded.error != null && <ErrorNotice error={loaded.error} />}
      {!settings && !loaded.error && <Spinner label="Reading the app's settings…" />}
      {settings && <SettingsCards app={app} settings={settings} onChange={setSettings} />}
    </div>
  );
}

function SettingsCards({ app, settings, onChange }: { app: Desktop; settings: AppSettings; onChange: (s: AppSettings) => void }) {
  const { toast } = useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);

  const change = async (what: string, c: SettingsChange, done: string) => {
    setBusy(what);
    setFailure(null);
    try {
      onChange(await app.change(c));
      toast(done);
    } catch (e) {
      setFailure({ what, error: e });
    } finally {
      setBusy(null);
    }
  };
  const act = async (what: string, f: () => Promise<void>) => {
    setFailure(null);
    try {
      await f();
    } catch (e) {
      setFailure({ what, error: e });
    }
  };
  const failed = (what: string) => failure?.what === what && <ErrorNotice error={failure.error} compact testid={`settings-${what}-error`} />;

  return (
    <>
      <GatewayCard settings={settings} busy={busy} change={change} act={act} app={app} failed={failed} />

      <div className="card" data-testid="settings-window">
        <div className="card-head">
          <h2>Window and login</h2>
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.startAtLogin}
            disabled={busy === "login"}
            onChange={(e) => void change("login", { startAtLogin: e.target.checked }, e.target.checked ? "Switchboard starts when you log in" : "Switchboard no longer starts at login")}
            data-testid="settings-start-at-login"
          />
          Start Switchboard when I log in
        </label>
        {failed("login")}
        <label className="check">
          <input
            type="checkbox"
            checked={settings.closeToTray && settings.trayAvailable}
            disabled={!settings.trayAvailable || busy === "tray"}
            onChange={(e) => void change("tray", { closeToTray: e.target.checked }, e.target.checked ? "Closing the window keeps the gateway running" : "Closing the window quits Switchboard")}
            data-testid="settings-close-to-tray"
          />
          Keep the gateway running in the tray when the window closes
        </label>
        <div className="field-hint settings-hint">
          {settings.trayAvailable ? "Reopen the window from the tray icon; Quit is in its menu." : "This desktop shows no tray icon, so closing the window quits Switchboard."}
        </div>
        {failed("tray")}
      </div>

      <div className="card" data-testid="settings-logs">
        <div className="card-head">
          <h2>Logs</h2>
          <a className="btn btn-sm btn-ghost" href="#/logs">
            Show recent lines
          </a>
        </div>
        <div className="kv settings-kv">
          <label className="kv-label" htmlFor="settings-log-level">
            Level
          </label>
          <div>
            <select
              id="settings-log-level"
              className="input input-sm"
              value={settings.logLevel}
              disabled={!!settings.logLevelFromEnvironment || busy === "level"}
              onChange={(e) => void change("level", { logLevel: e.target.value as LogLevel }, `Log level: ${e.target.value}`)}
              data-testid="settings-log-level"
            >
              {settings.logLevels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
            <div className="field-hint">
              {settings.logLevelFromEnvironment ? (
                <>
                  Set by <code>{settings.logLevelFromEnvironment}</code> in the app's environment.
                </>
              ) : (
                "Applies at once. Debug and trace add Switchboard's own details; libraries stay at info."
              )}
            </div>
            {failed("level")}
          </div>
          <div className="kv-label">Log file</div>
          <PathValue path={settings.locations.logFile} folder="logs" act={act} app={app} testid="settings-log-file" />
        </div>
        {failed("open-logs")}
      </div>

      <div className="card" data-testid="settings-locations">
        <div className="card-head">
          <h2>Where your data lives</h2>
          <button type="button" className="btn btn-sm" onClick={() => void act("open-data", () => app.openFolder("data"))} data-testid="settings-open-data">
            Open data folder
          </button>
        </div>
        {failed("open-data")}
        <div className="kv settings-kv">
          <div className="kv-label">Data folder</div>
          <PathValue path={settings.locations.dataFolder} testid="settings-data-folder" />
          <div className="kv-label">Database</div>
          <PathValue path={settings.locations.database} testid="settings-database" />
          <div className="kv-label">Master key</div>
          <div className="settings-path mono" data-testid="settings-master-key">
            {settings.locations.masterKey}
          </div>
          <div className="kv-label">Settings file</div>
          <PathValue path={settings.locations.settingsFile} folder="settings" act={act} app={app} testid="settings-file" />
          <div className="kv-label">Version</div>
          <div className="mono">Switchboard {settings.version}</div>
        </div>
        {failed("open-settings")}
        <div className="field-hint">
          <code>switchboard serve</code> uses the same database and master key, so keys made here work there.
        </div>
      </div>
    </>
  );
}

type Act = (what: string, f: () => Promise<void>) => Promise<void>;

function GatewayCard({
  app,
  settings,
  busy,
  change,
  act,
  failed,
}: {
  app: Desktop;
  settings: AppSettings;
  busy: string | null;
  change: (what: string, c: SettingsChange, done: string) => Promise<void>;
  act: Act;
  failed: (what: string) => ReactNode;
}) {
  const [port, setPort] = useState(String(settings.port));
  useEffect(() => setPort(String(settings.port)), [settings.port]);
  const [restarting, setRestarting] = useState(false);
  const error = portError(port);
  const dirty = port.trim() !== String(settings.port);
  const listening = listeningPort(settings.gateway.url);
  const moves = settings.gateway.running && listening !== null && listening !== settings.port && !settings.portFromEnvironment;
  const restart = () => {
    setRestarting(true);
    // The window shows the panel anew once the gateway runs again (at its new address).
    void act("restart", () => app.restartGateway()).finally(() => window.setTimeout(() => setRestarting(false), 8000));
  };

  return (
    <div className="card" data-testid="settings-gateway">
      <div className="card-head">
        <h2>Gateway</h2>
        <button type="button" className="btn btn-sm" onClick={restart} disabled={restarting} data-testid="settings-restart">
          {restarting ? "Restarting…" : "Restart gateway"}
        </button>
      </div>
      <div className="kv settings-kv">
        <div className="kv-label">Status</div>
        <div data-testid="settings-status">
          {settings.gateway.running ? (
            <>
              <span className="dot dot-green" aria-hidden="true" /> Running on <code>{settings.gateway.url}</code>
            </>
          ) : (
            <>
              <span className="dot dot-red" aria-hidden="true" /> {settings.gateway.error ?? "Stopped"}
            </>
          )}
        </div>
        <label className="kv-label" htmlFor="settings-port">
          Port
        </label>
        <div>
          <form
            className="input-row"
            onSubmit={(e) => {
              e.preventDefault();
              if (!error && dirty) void change("port", { port: Number(port.trim()) }, `The gateway moves to port ${port.trim()} when it restarts`);
            }}
          >
            <input
              id="settings-port"
              className="input input-sm settings-port"
              inputMode="numeric"
              value={port}
              disabled={!!settings.portFromEnvironment}
              onChange={(e) => setPort(e.target.value)}
              aria-invalid={!!error}
              data-testid="settings-port"
            />
            <button type="submit" className="btn btn-sm btn-primary" disabled={!!error || !dirty || busy === "port"} data-testid="settings-port-save">
              Save
            </button>
          </form>
          {error ? (
            <div className="field-error" role="alert" data-testid="settings-port-invalid">
              {error}
            </div>
          ) : (
            <div className="field-hint">
              {settings.portFromEnvironment ? (
                <>
                  Set by <code>SWITCHBOARD_PORT={settings.portFromEnvironment}</code> in the app's environment.
                </>
              ) : (
                "Tried first when the gateway starts; when another program has it, the next free port. LiteLLM's default is 4000."
              )}
            </div>
          )}
          {failed("port")}
          {moves && (
            <div className="notice notice-warn settings-notice" data-testid="settings-port-pending">
              The gateway listens on port {listening}; it moves to {settings.port} when it restarts. Clients that use <code>{settings.gateway.url}</code> need the new address.{" "}
              <button type="button" className="btn btn-xs" onClick={restart} disabled={restarting}>
                Restart now
              </button>
            </div>
          )}
        </div>
        <div className="kv-label">Config file</div>
        <div>
          <div className="input-row settings-config">
            {settings.gateway.configPath ? (
              <code className="settings-path" title={settings.gateway.configPath} data-testid="settings-config">
                {settings.gateway.configPath}
              </code>
            ) : (
              <span className="muted" data-testid="settings-config">
                None: models are added in the panel
              </span>
            )}
          </div>
          <div className="input-row settings-actions">
            <button type="button" className="btn btn-sm" onClick={() => void act("config", () => app.chooseConfig())} data-testid="settings-choose-config">
              Choose config.yaml…
            </button>
            {settings.gateway.configPath && (
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => void act("config", () => app.chooseConfig(true))} data-testid="settings-forget-config">
                Run without it
              </button>
            )}
          </div>
          <div className="field-hint">A LiteLLM config.yaml: the gateway restarts with it once it is read and valid.</div>
          {failed("config")}
        </div>
      </div>
      {failed("restart")}
    </div>
  );
}

/** A path in monospace (long ones wrap), with copy and, for a folder, "Open folder". */
function PathValue({ path, folder, act, app, testid }: { path: string; folder?: Folder; act?: Act; app?: Desktop; testid: string }) {
  return (
    <div className="settings-path-row">
      <code className="settings-path" data-testid={testid}>
        {path}
      </code>
      <CopyButton text={path} small />
      {folder && act && app && (
        <button type="button" className="btn btn-xs btn-ghost" onClick={() => void act(`open-${folder}`, () => app.openFolder(folder))} data-testid={`${testid}-open`}>
          Open folder
        </button>
      )}
    </div>
  );
}
