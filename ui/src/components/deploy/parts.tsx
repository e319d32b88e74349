// Small pieces of the "Deploy to AWS" page: stack statuses, AWS errors, the progress bar, a failed
// resource, the stack's outputs and the health check.

import type { Failure, Health } from "../../lib/api.gen";
import { type Tone, shortType, statusTone } from "../../lib/deploy";
import { ApiError, awsMessageParts, explainError } from "../../lib/errors";
import { Badge, CopyField, ErrorDetails } from "../ui";

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
