import { useEffect, useRef, useState } from "react";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useInterval } from "../hooks";
import { isMissingRoute } from "../lib/api";
import { formatTime } from "../lib/format";

const LEVELS = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"];

export function LogsPage() {
  const { gw, session } = useApp();
  const [level, setLevel] = useState("INFO");
  const [text, setText] = useState("");
  const [follow, setFollow] = useState(true);
  const logs = useAsync(() => gw.logs(500), [gw]);
  useInterval(() => void logs.reload(), follow ? 2000 : null);
  const max = LEVELS.indexOf(level);
  const shown = (logs.data ?? []).filter((l) => {
    const i = LEVELS.indexOf(l.level.toUpperCase());
    if (i !== -1 && i > max) return false;
    const t = text.trim().toLowerCase();
    return !t || l.message.toLowerCase().includes(t) || l.target.toLowerCase().includes(t);
  });
  const missing = isMissingRoute(logs.error);
  // Following: stay at the newest line (last) unless the user scrolled up.
  const box = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && follow && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [logs.data, follow, shown.length]);

  return (
    <div className="page">
      <PageHeader
        title="Logs"
        subtitle="Recent lines of the gateway's log, newest last."
        actions={
          <>
            <input className="input input-sm search" placeholder="Filter…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Filter logs" />
            <select className="input input-sm" value={level} onChange={(e) => setLevel(e.target.value)} aria-label="Level" data-testid="logs-level">
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l} and above
                </option>
              ))}
            </select>
            <label className="check">
              <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
            </label>
          </>
        }
      />
      {missing ? (
        <EmptyState title="This gateway does not share its logs">
          It has no <code>/switchboard/logs</code> route (an older Switchboard, or a LiteLLM proxy). Read the logs where it runs: its stderr, or your container's log.
        </EmptyState>
      ) : (
        logs.error != null && <ErrorNotice error={logs.error} ctx={{ admin: true, gatewayUrl: session.url }} />
      )}
      {logs.loading && !logs.data && !logs.error && <Spinner label="Loading logs…" />}
      {logs.data && shown.length === 0 && (
        <EmptyState title={logs.data.length ? "No line matches" : "No log lines yet"}>
          {logs.data.length ? "Lower the level or clear the filter." : "Lines appear as the gateway works: send a request from the playground."}
        </EmptyState>
      )}
      {shown.length > 0 && (
        <div
          className="card card-flush logs"
          data-testid="logs-table"
          ref={box}
          onScroll={(e) => {
            const el = e.currentTarget;
            atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
          }}
        >
          {shown.map((l, i) => (
            <div className={`log-line log-${l.level.toLowerCase()}`} key={`${l.ts}-${i}`}>
              <span className="log-ts mono">{formatTime(l.ts)}</span>
              <span className="log-level mono">{l.level.toUpperCase()}</span>
              <span className="log-target mono" title={l.target}>
                {l.target}
              </span>
              <span className="log-msg mono">{l.message}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
