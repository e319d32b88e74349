// Pieces of the "Deploy to AWS" page: the progress view (bar, live events, outcome, outputs,
// health), stack statuses, AWS errors, and the destroy and manage dialogs.

import { type ReactNode, useEffect, useState } from "react";
import { useApp } from "../context";
import { useInterval } from "../hooks";
import {
  type Connection,
  type DoneItem,
  type Failure,
  type Health,
  type RunState,
  type Tone,
  elapsed,
  eventTime,
  outcomeMessage,
  outcomeView,
  plural,
  progressTone,
  runCounts,
  runTitle,
  shortType,
  statusTone,
} from "../lib/deploy";
import { type StackTarget, stackConnection } from "../lib/deployApi";
import { ApiError, awsMessageParts, explainError } from "../lib/errors";
import { switchSession, SESSION_CHANGED } from "../lib/session";
import { Badge, CopyButton, CopyField, ErrorDetails, Modal, Spinner, TextInput, copyText } from "./ui";

const badgeTone = (t: Tone): "green" | "red" | "amber" | "blue" | "neutral" => t;

export function CfnStatus({ status, testid }: { status: string | null | undefined; testid?: string }) {
  if (!status) return <Badge>—</Badge>;
  return (
    <span data-testid={testid} data-status={status} className="cfn-status">
      <Badge tone={badgeTone(statusTone(status))} title={status}>
        {status}
      </Badge>
    </span>
  );
}

/** An error of the deploy routes (or a failed operation's message), explained; the SDK's details folded. */
export function AwsErrorNotice({ error, testid = "deploy-error", compact }: { error: unknown; testid?: string; compact?: boolean }) {
  const e = typeof error === "string" ? new ApiError({ status: 502, type: "aws_error", message: error }) : error;
  const { title, hint } = explainError(e, { admin: true });
  const api = e instanceof ApiError ? e : null;
  const parts = api ? awsMessageParts(api.message, api.detail) : null;
  const fix = api?.fix || hint;
  const status = api?.status ? `${api.status}${api.type ? ` ${api.type}` : ""}` : null;
  return (
    <div className={`notice notice-error${compact ? " compact" : ""}`} role="alert" data-testid={testid}>
      <div className="notice-title">{title}</div>
      {fix && fix !== parts?.summary && <div className="notice-hint">{fix}</div>}
      {api && parts && api.message !== title && (
        <div className="notice-raw">
          {status && <span className="mono">{status}</span>} <span className="raw-message">{parts.summary}</span>
          {parts.detail && <ErrorDetails text={parts.detail} />}
        </div>
      )}
    </div>
  );
}

export function ProgressBar({ value, tone, label, testid }: { value: number; tone: "accent" | "ok" | "danger" | "warn"; label: string; testid?: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div className="deploy-progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid={testid}>
      <div className={`deploy-progress-fill tone-${tone}`} style={{ width: `${pct}%` }} />
    </div>
  );
}

export function FailureBox({ failure, title = "Failing resource", testid = "deploy-failure" }: { failure: Failure; title?: string; testid?: string }) {
  return (
    <div className="failure" data-testid={testid}>
      <div className="failure-head">
        <span className="muted">{title}</span> <strong className="mono">{failure.logical_id}</strong> <span className="muted small">{shortType(failure.resource_type)}</span> <CfnStatus status={failure.status} />
      </div>
      <div className="failure-reason">{failure.reason || "CloudFormation gave no reason."}</div>
    </div>
  );
}

/** Outputs: ServiceUrl and AlbDnsName first, with copy buttons. */
export function OutputsList({ outputs, testid = "deploy-outputs" }: { outputs: Record<string, string>; testid?: string }) {
  const keys = Object.keys(outputs).filter((k) => outputs[k] !== "");
  if (keys.length === 0) return <p className="muted">No outputs.</p>;
  const first = ["ServiceUrl", "AlbDnsName"];
  const order = [...first.filter((k) => keys.includes(k)), ...keys.filter((k) => !first.includes(k)).sort()];
  return (
    <div className="outputs" data-testid={testid}>
      {order.map((k) => (
        <div className="output-row" key={k} data-testid={`output-${k}`}>
          <div className="output-key">{k}</div>
          <CopyField value={outputs[k]} testid={`output-${k}`} />
        </div>
      ))}
    </div>
  );
}

/** The seed article's `curl <ServiceUrl>/health/liveliness`, as the gateway ran it. */
export function HealthLine({ health, testid = "deploy-health", again = "check again from Status" }: { health: Health | null | undefined; testid?: string; again?: string }) {
  if (!health) return null;
  const detail = health.ok
    ? `${health.status} ${health.body ?? ""}`.trim()
    : health.status != null
      ? `HTTP ${health.status}${health.body ? `: ${health.body.slice(0, 200)}` : ""}`
      : (health.error ?? "no answer");
  return (
    <div className={`health ${health.ok ? "health-ok" : "health-bad"}`} data-testid={testid} data-ok={health.ok ? "true" : "false"}>
      <span className={`dot ${health.ok ? "dot-green" : "dot-red"}`} aria-hidden="true" />
      <div className="health-text">
        <div>
          <strong>{health.ok ? "Health check passed" : "Health check failed"}</strong>{" "}
          <span className="mono muted small wrap">GET {health.url}</span>
          <span className="muted small">
            {" "}
            · {health.attempts} {health.attempts === 1 ? "attempt" : "attempts"}
          </span>
        </div>
        <div className="small wrap">{detail}</div>
        {!health.ok && <div className="muted small">A new load balancer and its tasks can take a few minutes to answer; {again}.</div>}
      </div>
    </div>
  );
}

function OutcomeBox({ done, intent }: { done: DoneItem; intent: "up" | "down" | null }) {
  const v = outcomeView(done, intent);
  const cls = v.tone === "green" ? "notice-ok" : v.tone === "red" ? "notice-error" : v.tone === "blue" ? "notice-info" : "notice-warn";
  const others = done.failures.filter((f) => !done.failure || f.logical_id !== done.failure.logical_id || f.status !== done.failure.status);
  return (
    <div className={`notice ${cls} outcome`} data-testid="deploy-outcome" data-outcome={done.outcome} role="status">
      {done.outcome === "error" ? (
        <AwsErrorNotice error={done.message} compact testid="deploy-outcome-error" />
      ) : (
        <div className="outcome-line">
          {done.stack_status && <CfnStatus status={done.stack_status} testid="deploy-stack-status" />}
          <span className="wrap" data-testid="deploy-outcome-message">
            {outcomeMessage(done)}
          </span>
        </div>
      )}
      {done.failure && <FailureBox failure={done.failure} />}
      {others.length > 0 && (
        <details className="other-failures">
          <summary>
            {others.length} other failed {others.length === 1 ? "event" : "events"}
          </summary>
          {others.map((f, i) => (
            <FailureBox key={`${f.logical_id}-${f.status}-${i}`} failure={f} title="Also failed" testid="deploy-other-failure" />
          ))}
        </details>
      )}
    </div>
  );
}

/** The live view of a deploy, an update or a destroy. */
export function ProgressView({
  run,
  onReattach,
  actions,
}: {
  run: RunState;
  onReattach: () => void;
  actions?: ReactNode;
}) {
  const [now, setNow] = useState(Date.now());
  useInterval(() => setNow(Date.now()), run.done ? null : 1000);
  useEffect(() => setNow(Date.now()), [run.done]);
  const counts = runCounts(run);
  const tone = progressTone(run);
  const events = [...run.events].reverse();
  const refused = run.lost instanceof ApiError && run.lost.status !== 0 && !run.plan && run.events.length === 0;
  return (
    <div className="deploy-run" data-testid="deploy-run" data-state={run.done ? "done" : run.lost ? "lost" : "running"}>
      <div className="card">
        <div className="card-head">
          <div className="run-title">
            <h2 data-testid="deploy-run-title">{runTitle(run)}</h2>
            <span className="muted small">
              stack <span className="mono">{run.stack}</span> in <span className="mono">{run.region}</span>
              {run.profile && (
                <>
                  {" "}
                  · profile <span className="mono">{run.profile}</span>
                </>
              )}
              {!run.done && !run.lost && <> · {elapsed(now - run.startedAt)}</>}
            </span>
          </div>
          {!run.done && !run.lost && <Spinner />}
        </div>
        <ProgressBar value={run.progress} tone={tone} label="Progress" testid="deploy-progress" />
        <div className="run-counts muted small" data-testid="deploy-counts">
          <span className="mono">{Math.round(run.progress * 100)} %</span>
          {" · "}
          {counts.total > 0 ? `${counts.done} of ${plural(counts.total, "resource")}` : `${plural(counts.done, "resource")} done`}
          {counts.inProgress > 0 && ` · ${counts.inProgress} in progress`}
          {counts.failed > 0 && <span className="error-text"> · {counts.failed} failed</span>}
          {" · "}
          {plural(run.events.length, "event")}
        </div>
        {run.messages.map((m, i) => (
          <div key={i} className="notice notice-info compact" data-testid="deploy-message">
            {m}
          </div>
        ))}
        {run.lost != null && !run.done && (
          <div className="lost">
            {refused ? (
              <AwsErrorNotice error={run.lost} testid="deploy-refused" />
            ) : (
              <div className="notice notice-warn" data-testid="deploy-lost">
                <div className="notice-title">The connection to the gateway was lost before the end.</div>
                <div className="notice-hint">CloudFormation goes on without the panel. Re-attach to follow it again.</div>
              </div>
            )}
            <button type="button" className="btn btn-sm" onClick={onReattach} data-testid="deploy-reattach">
              {refused ? "Check the stack again" : "Re-attach"}
            </button>
          </div>
        )}
        {run.done && <OutcomeBox done={run.done} intent={run.intent} />}
        {run.done && Object.keys(run.done.outputs).length > 0 && (
          <>
            <h3 className="section-title">Outputs</h3>
            <OutputsList outputs={run.done.outputs} />
          </>
        )}
        {run.done?.health && <HealthLine health={run.done.health} />}
        {actions && <div className="run-actions">{actions}</div>}
      </div>
      <div className="run-grid">
        <div className="card card-flush">
          <div className="card-head pad">
            <h2>Stack events</h2>
            <span className="muted small">newest first</span>
          </div>
          {events.length === 0 ? (
            <p className="muted pad" data-testid="deploy-events-empty">
              {run.done ? "No events." : "Waiting for CloudFormation's first event…"}
            </p>
          ) : (
            <div className="events-scroll">
              <table className="table table-compact events" data-testid="deploy-events">
                <colgroup>
                  <col style={{ width: "78px" }} />
                  <col style={{ width: "30%" }} />
                  <col style={{ width: "190px" }} />
                  <col />
                </colgroup>
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Resource</th>
                    <th>Status</th>
                    <th>Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((e) => (
                    <tr key={e.event_id} data-testid="deploy-event" data-logical-id={e.logical_id} data-status={e.status} className={e.status.endsWith("_FAILED") ? "event-failed" : ""}>
                      <td className="mono nowrap muted">{eventTime(e.timestamp)}</td>
                      <td className="ellipsis" title={`${e.logical_id} · ${e.resource_type}${e.physical_id ? ` · ${e.physical_id}` : ""}`}>
                        <div className="mono ellipsis-line">{e.logical_id}</div>
                        <div className="muted small ellipsis-line">{shortType(e.resource_type)}</div>
                      </td>
                      <td>
                        <CfnStatus status={e.status} />
                      </td>
                      <td className="wrap small">{e.reason ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <div className="card" data-testid="deploy-plan">
          <div className="card-head">
            <h2>{run.plan ? planTitle(run.plan.operation, run.plan.changes.length) : "Plan"}</h2>
          </div>
          {run.plan && run.plan.total !== run.plan.changes.length && run.plan.changes.length > 0 && (
            <p className="muted small">The progress counts {plural(run.plan.total, "resource")}: the ones whose conditions hold for this form.</p>
          )}
          {!run.plan ? (
            <p className="muted">{run.kind === "follow" ? "Re-attached to the running operation: its plan is not replayed." : "Creating the change set…"}</p>
          ) : run.plan.changes.length === 0 ? (
            <p className="muted">No resource changes.</p>
          ) : (
            <ul className="changes">
              {run.plan.changes.map((c) => (
                <li key={`${c.action}-${c.logical_id}`} title={c.resource_type}>
                  <span className={`change-action change-${c.action.toLowerCase()}`}>{c.action}</span>
                  <span className="mono ellipsis-line">{c.logical_id}</span>
                  {c.replacement === "True" && <Badge tone="amber">replaced</Badge>}
                  {c.replacement === "Conditional" && <Badge tone="amber">may be replaced</Badge>}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </div>
  );
}

function planTitle(op: string, n: number): string {
  if (n === 0) return "Change set";
  const what = plural(n, "resource");
  if (op === "delete") return `Deletes ${what}`;
  if (op === "update") return `Changes ${what}`;
  return `Creates ${what}`;
}

/** Asks for the stack's name before destroying it. */
export function DestroyDialog({ target, onConfirm, onClose }: { target: StackTarget; onConfirm: (typed: string) => void; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const ok = typed === target.stack;
  return (
    <Modal
      title={`Destroy ${target.stack}?`}
      onClose={onClose}
      testid="destroy-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" disabled={!ok} onClick={() => onConfirm(typed)} data-testid="destroy-confirm">
            Destroy
          </button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) onConfirm(typed);
        }}
      >
        <p>
          CloudFormation deletes everything the stack <strong className="mono">{target.stack}</strong> created in <span className="mono">{target.region}</span>: the load balancer, the
          ECS service and its tasks, the network it made, <strong>the database with every key, team and spend record</strong>, and the generated master key secret. A master key secret
          you supplied is kept.
        </p>
        <label htmlFor="destroy-typed" className="field-label">
          Type <code>{target.stack}</code> to confirm
        </label>
        <TextInput id="destroy-typed" value={typed} onChange={setTyped} testid="destroy-typed" mono autoFocus invalid={typed !== "" && !ok} placeholder={target.stack} />
      </form>
    </Modal>
  );
}

/** The deployed gateway's URL and master key, and switching this tab to it. */
export function ManageDialog({ target, onClose }: { target: StackTarget; onClose: () => void }) {
  const { gw, session, toast } = useApp();
  const [conn, setConn] = useState<Connection | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revealed, setRevealed] = useState(false);
  useEffect(() => {
    let live = true;
    stackConnection(gw, target).then(
      (c) => live && setConn(c),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [gw, target]);
  const here = conn && conn.url.replace(/\/+$/, "") === session.url;
  const open = () => {
    if (!conn) return;
    switchSession({ url: conn.url.replace(/\/+$/, ""), masterKey: conn.master_key }, session);
    window.location.hash = "#/overview";
    window.dispatchEvent(new Event(SESSION_CHANGED));
  };
  return (
    <Modal
      title="Manage the deployed gateway"
      onClose={onClose}
      testid="manage-dialog"
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          {conn && (
            <a className="btn" href={`${conn.url.replace(/\/+$/, "")}/ui/`} target="_blank" rel="noreferrer" data-testid="manage-open-panel">
              Its own panel ↗
            </a>
          )}
          {conn && !here && (
            <button type="button" className="btn btn-primary" onClick={open} data-testid="manage-switch">
              Manage it in this tab
            </button>
          )}
        </>
      }
    >
      {!conn && !error && <Spinner label="Reading the master key from Secrets Manager…" />}
      {error != null && <AwsErrorNotice error={error} testid="manage-error" />}
      {conn && (
        <div data-testid="manage-connection">
          <div className="kv">
            <div className="kv-label">Gateway URL</div>
            <CopyField value={conn.url} testid="manage-url" />
            {conn.alb_dns_name && (
              <>
                <div className="kv-label">Load balancer</div>
                <CopyField value={conn.alb_dns_name} testid="manage-alb" />
              </>
            )}
            <div className="kv-label">Master key secret</div>
            <CopyField value={conn.master_key_secret_arn} testid="manage-secret-arn" />
            <div className="kv-label">Master key</div>
            <div className="input-row">
              <div className={`copy-field secret grow${revealed ? "" : " masked"}`}>
                <code data-testid="manage-key-value">{revealed ? conn.master_key : `${conn.master_key.slice(0, 3)}${"•".repeat(24)}`}</code>
              </div>
              <button type="button" className="btn btn-sm" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed} data-testid="manage-key-reveal">
                {revealed ? "Hide" : "Reveal"}
              </button>
              <CopyButton text={conn.master_key} testid="manage-key-copy" />
            </div>
          </div>
          {here ? (
            <p className="notice notice-info compact" data-testid="manage-here">
              This tab already manages this gateway.
            </p>
          ) : (
            <p className="muted">
              <strong>Manage it in this tab</strong> signs this tab in to <span className="mono">{conn.url}</span> with its master key
              {session.injected ? " instead of the local gateway" : ""}; the sidebar then offers the way back to <span className="mono">{session.url}</span>. Other tabs and windows are
              not affected. The key stays in this tab's session storage, like a sign-in.
            </p>
          )}
          <button
            type="button"
            className="btn-link small"
            onClick={async () => {
              const text = `export LITELLM_PROXY_URL=${conn.url}\nexport LITELLM_MASTER_KEY=${conn.master_key}\n`;
              toast((await copyText(text)) ? "Copied the two export lines (with the key)" : "Could not copy", "info");
            }}
            data-testid="manage-copy-env"
          >
            Copy as LITELLM_PROXY_URL / LITELLM_MASTER_KEY exports
          </button>
        </div>
      )}
    </Modal>
  );
}
