// The live view of a deploy, an update or a destroy: the progress bar, CloudFormation's events, the
// change set, and the outcome with its outputs and health check.

import { useEffect, useState } from "react";
import { useInterval } from "../../hooks";
import {
  type DoneItem,
  type ImageProgress,
  type RunState,
  elapsed,
  eventTime,
  outcomeMessage,
  outcomeView,
  plural,
  progressTone,
  runCounts,
  runTitle,
  shortType,
  uploadFraction,
} from "../../lib/deploy";
import type { StackTarget } from "../../lib/deployApi";
import { ApiError } from "../../lib/errors";
import { Badge, Spinner } from "../ui";
import { AwsErrorNotice, CfnStatus, FailureBox, HealthLine, OutputsList, ProgressBar } from "./parts";

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

/** Building and pushing the image: each step, and the blob on its way with how much is sent. */
function ImageSteps({ image }: { image: ImageProgress }) {
  const up = image.uploading;
  return (
    <div className="image-steps" data-testid="deploy-image-steps" data-pushed={image.reference ? "true" : "false"}>
      <h3 className="section-title">Image</h3>
      <ol className="image-step-list">
        {image.steps.map((s, i) => (
          <li key={i} data-testid="deploy-image-step" data-step={s.step} className="wrap small">
            <span className={`dot ${s.step === "pushed" ? "dot-green" : "dot-grey"}`} aria-hidden="true" /> {s.text}
          </li>
        ))}
      </ol>
      {up && (
        <div className="image-upload" data-testid="deploy-image-upload">
          <ProgressBar value={uploadFraction(up)} tone="accent" label={`Uploading the ${up.blob ?? "blob"}`} testid="deploy-image-upload-bar" />
          <span className="muted small">{up.text}</span>
        </div>
      )}
      {image.reference && (
        <div className="small" data-testid="deploy-image-reference">
          Deploying <span className="mono wrap">{image.reference}</span>
        </div>
      )}
    </div>
  );
}

/** The live view of a deploy, an update or a destroy. */
export function ProgressView({
  run,
  onReattach,
  onManage,
  onStatus,
  onForm,
}: {
  run: RunState;
  onReattach: () => void;
  onManage: (t: StackTarget) => void;
  onStatus: () => void;
  onForm: () => void;
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
        {run.image && <ImageSteps image={run.image} />}
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
        {run.done && (
          <div className="run-actions">
            <RunActions run={run} done={run.done} onManage={onManage} onStatus={onStatus} onForm={onForm} />
          </div>
        )}
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

/** What to do once the operation is over. */
function RunActions({ run, done, onManage, onStatus, onForm }: { run: RunState; done: DoneItem; onManage: (t: StackTarget) => void; onStatus: () => void; onForm: () => void }) {
  const succeeded = done.outcome === "succeeded" || done.outcome === "no_changes";
  return (
    <>
      {succeeded && (
        <button type="button" className="btn btn-primary" onClick={() => onManage({ region: run.region, stack: run.stack, profile: run.profile })} data-testid="deploy-manage">
          Manage the deployed gateway
        </button>
      )}
      <button type="button" className="btn" onClick={onStatus} data-testid="deploy-open-status">
        Status
      </button>
      <button type="button" className="btn btn-ghost" onClick={onForm} data-testid="deploy-back-to-form">
        Back to the form
      </button>
      {succeeded && done.outputs.ServiceUrl && (
        <span className="muted small run-note">
          The AgentCore wiring of this tab uses <span className="mono">{done.outputs.ServiceUrl}</span> as its API base.
        </span>
      )}
    </>
  );
}

function planTitle(op: string, n: number): string {
  if (n === 0) return "Change set";
  const what = plural(n, "resource");
  if (op === "delete") return `Deletes ${what}`;
  if (op === "update") return `Changes ${what}`;
  return `Creates ${what}`;
}
