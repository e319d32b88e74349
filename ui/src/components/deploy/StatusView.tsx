// The Status tab: the stack as CloudFormation has it (status, failures, outputs, parameters) and the
// deployed gateway's health, with Manage and Destroy.

import { useApp } from "../../context";
import { useAsync } from "../../hooks";
import type { ImageBuildInfo } from "../../lib/api.gen";
import { type StackTarget, stackStatus } from "../../lib/deployApi";
import { formatRelative } from "../../lib/format";
import { Badge, EmptyState, Spinner } from "../ui";
import { AwsErrorNotice, CfnStatus, FailureBox, HealthLine, OutputsList } from "./parts";

export function StatusView({
  target,
  targetOk,
  busy,
  onManage,
  onDestroy,
  onFollow,
  onDeploy,
  onUpdate,
  imageBuild,
  tick,
}: {
  target: StackTarget;
  targetOk: boolean;
  busy: boolean;
  onManage: () => void;
  onDestroy: () => void;
  onFollow: () => void;
  onDeploy: () => void;
  /** Build this gateway's image and roll the stack to it. */
  onUpdate: () => void;
  imageBuild: ImageBuildInfo | undefined;
  tick: number;
}) {
  const { gw } = useApp();
  const key = `${target.region}|${target.stack}|${target.profile ?? ""}`;
  const status = useAsync((signal) => (targetOk ? stackStatus(gw, target, { health: true, signal }) : Promise.resolve(null)), [gw, key, targetOk, tick]);
  const s = status.data;
  const manageable = !!s?.exists && !!s.status && ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"].includes(s.status);
  const params = s ? Object.entries(s.parameters).filter(([k]) => k !== "ModelsConfig" || s.parameters[k] !== "") : [];
  const running = s?.running_version ?? null;
  const canUpdate = manageable && !!imageBuild?.available;
  const outdated = canUpdate && running !== imageBuild?.version;
  return (
    <div className="deploy-status" data-testid="deploy-status">
      <div className="card">
        <div className="card-head">
          <div>
            <h2>
              Stack <span className="mono">{target.stack}</span>
            </h2>
            <span className="muted small">
              {target.region}
              {target.profile ? ` · profile ${target.profile}` : ""}
            </span>
          </div>
          <div className="page-actions">
            <button type="button" className="btn btn-sm" onClick={() => void status.reload()} disabled={status.loading} data-testid="deploy-status-refresh">
              {status.loading ? "Checking…" : "Refresh"}
            </button>
            {canUpdate && (
              <button
                type="button"
                className={`btn btn-sm${outdated ? " btn-primary" : ""}`}
                onClick={onUpdate}
                disabled={busy}
                title="Builds this gateway's image, pushes it and rolls the service to it; every other setting stays"
                data-testid="status-update"
              >
                {running === imageBuild?.version ? `Rebuild ${imageBuild?.version}` : `Update to ${imageBuild?.version}`}
              </button>
            )}
            {manageable && (
              <button type="button" className="btn btn-sm btn-primary" onClick={onManage} data-testid="status-manage">
                Manage the deployed gateway
              </button>
            )}
            {s?.exists && (
              <button type="button" className="btn btn-sm btn-danger" onClick={onDestroy} disabled={busy || s.in_progress} data-testid="deploy-destroy">
                Destroy…
              </button>
            )}
          </div>
        </div>
        {!targetOk && <p className="muted">Enter a valid region and name prefix on the Configure tab.</p>}
        {status.error != null && <AwsErrorNotice error={status.error} testid="deploy-status-error" />}
        {status.loading && !s && targetOk && <Spinner label="Reading the stack and checking its health…" />}
        {s && !s.exists && (
          <EmptyState
            title={`No stack named ${s.stack_name} in ${s.region}`}
            testid="deploy-status-empty"
            action={
              <button type="button" className="btn btn-primary" onClick={onDeploy}>
                Configure a deploy
              </button>
            }
          >
            Nothing is deployed under this name prefix. Deploying creates it; the stack name is the form's name prefix.
          </EmptyState>
        )}
        {s?.exists && (
          <>
            <dl className="dl dl-grid status-dl">
              <dt>Status</dt>
              <dd>
                <CfnStatus status={s.status} testid="status-stack-status" />
                {s.in_progress && (
                  <>
                    {" "}
                    <button type="button" className="btn-link" onClick={onFollow} data-testid="status-follow">
                      Follow the running operation
                    </button>
                  </>
                )}
              </dd>
              {s.status_reason && (
                <>
                  <dt>Reason</dt>
                  <dd className="wrap">{s.status_reason}</dd>
                </>
              )}
              <dt>Created</dt>
              <dd>{s.created ? `${new Date(s.created).toLocaleString()} (${formatRelative(s.created)})` : "—"}</dd>
              <dt>Last updated</dt>
              <dd>{s.last_updated ? `${new Date(s.last_updated).toLocaleString()} (${formatRelative(s.last_updated)})` : "never"}</dd>
              <dt>Stack id</dt>
              <dd className="mono small wrap">{s.stack_id}</dd>
              <dt>Running version</dt>
              <dd data-testid="status-running-version" data-version={running ?? ""}>
                {running ? (
                  <>
                    <span className="mono">Switchboard {running}</span>
                    {imageBuild && running !== imageBuild.version && <span className="muted"> · this app is {imageBuild.version}</span>}
                  </>
                ) : (
                  <span className="muted">unknown: the gateway did not answer /health/readiness</span>
                )}
              </dd>
              <dt>Replicas</dt>
              <dd data-testid="status-replicas">
                <ReplicasLine
                  desired={s.parameters.DesiredCount}
                  answering={running ? (s.running_replicas ?? null) : undefined}
                  redisOn={s.parameters.EnableRedis === "true"}
                  redis={s.running_redis ?? null}
                />
              </dd>
              <dt>Image</dt>
              <dd className="mono small wrap" data-testid="status-image">
                {s.parameters.ImageUri || "—"}
              </dd>
            </dl>
            {s.health && <HealthLine health={s.health} testid="status-health" again="press Refresh to check again" />}
            {s.last_failures.length > 0 && (
              <>
                <h3 className="section-title">Failures of the last operation</h3>
                {s.last_failures.map((f, i) => (
                  <FailureBox key={`${f.logical_id}-${i}`} failure={f} title="Failed" testid="status-failure" />
                ))}
              </>
            )}
          </>
        )}
      </div>
      {s?.exists && (
        <div className="grid-2">
          <div className="card">
            <div className="card-head">
              <h2>Outputs</h2>
            </div>
            <OutputsList outputs={s.outputs} testid="status-outputs" />
          </div>
          <div className="card card-flush">
            <div className="card-head pad">
              <h2>Parameters</h2>
              <Badge>{params.length}</Badge>
            </div>
            <table className="table table-compact params" data-testid="status-parameters">
              <colgroup>
                <col style={{ width: "40%" }} />
                <col />
              </colgroup>
              <tbody>
                {params.map(([k, v]) => (
                  <tr key={k}>
                    <td className="mono small">{k}</td>
                    <td className="mono small wrap" title={v}>
                      {v === "" ? <span className="muted">(empty)</span> : v.length > 120 ? `${v.slice(0, 120)}…` : v}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}

/** The tasks the stack asks for, the replicas the deployed gateway hears, and their Redis. */
function ReplicasLine({
  desired,
  answering,
  redisOn,
  redis,
}: {
  desired: string | undefined;
  /** `undefined`: the gateway did not answer; `null`: it does not say (one process on SQLite). */
  answering: number | null | undefined;
  redisOn: boolean;
  redis: string | null;
}) {
  const want = desired ? Number(desired) : null;
  const short = answering != null && want != null && answering < want;
  return (
    <>
      {want != null && (
        <span>
          {want} {want === 1 ? "task" : "tasks"} desired
        </span>
      )}
      {answering != null && want != null && " · "}
      {answering != null && (
        <span className={short ? "warn-text" : undefined} data-testid="status-replicas-answering">
          {answering} {answering === 1 ? "replica answers" : "replicas answer"} together
          {short ? " (the others are starting or stopped)" : ""}
        </span>
      )}
      {answering === undefined && <span className="muted">{want != null ? " · " : ""}unknown how many answer</span>}
      {redisOn && " · "}
      {redisOn && (
        <span className={redis === "away" ? "warn-text" : undefined} data-testid="status-replicas-redis">
          {redis === "connected" ? "limits shared through Redis" : redis === "away" ? "Redis is away: each limits its own calls" : "Redis on"}
        </span>
      )}
    </>
  );
}
