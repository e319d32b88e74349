// Small pieces of the AgentCore page: AWS errors with their fix, the doctor's report, the
// wiring's steps, which key a provider holds, long ARNs.

import { useState } from "react";
import type { KeyRef, ProviderView, Report, Step } from "../../lib/api.gen";
import { explainAgentCoreError } from "../../lib/agentcore";
import { harnessStatusTone, keyStatusTone, providerKeyLabel, stepDoctor } from "../../lib/agentcoreLogic";
import { Badge, CopyButton, ErrorDetails } from "../ui";

/** An error of the AgentCore API: what happened, the service's message, what to do, the raw detail folded away. */
export function AwsErrorNotice({ error, testid = "aws-error", compact }: { error: unknown; testid?: string; compact?: boolean }) {
  const x = explainAgentCoreError(error);
  return (
    <div className={`notice notice-error${compact ? " compact" : ""}`} role="alert" data-testid={testid}>
      <div className="notice-title">{x.title}</div>
      {x.message && (
        <div className="ac-raw" data-testid={`${testid}-message`}>
          {x.code && <span className="mono">{x.code}</span>} {x.message}
        </div>
      )}
      {x.fix && (
        <div className="ac-fix" data-testid={`${testid}-fix`}>
          <span className="ac-fix-label">What to do:</span> <FixText text={x.fix} />
        </div>
      )}
      {x.detail && <ErrorDetails text={x.detail} testid={`${testid}-detail`} />}
    </div>
  );
}

/** A fix, with "the Deploy page" turned into a link to it. */
export function FixText({ text }: { text: string }) {
  const i = text.indexOf("the Deploy page");
  if (i === -1) return <>{text}</>;
  return (
    <>
      {text.slice(0, i)}
      <a href="#/deploy">the Deploy page</a>
      {text.slice(i + "the Deploy page".length)}
    </>
  );
}

/** The doctor's findings, each with its fix; the checks that passed on demand. */
export function DoctorReportView({ report, testid = "doctor-report", title }: { report: Report; testid?: string; title?: string }) {
  const [showPassed, setShowPassed] = useState(false);
  const s = report.subject;
  const summary = report.ok
    ? report.warnings
      ? `No errors, ${report.warnings} warning${report.warnings > 1 ? "s" : ""}`
      : "Every check passed"
    : `${report.errors} error${report.errors > 1 ? "s" : ""}${report.warnings ? `, ${report.warnings} warning${report.warnings > 1 ? "s" : ""}` : ""}`;
  return (
    <div className={`ac-doctor ${report.ok ? "ok" : "bad"}`} data-testid={testid} data-ok={report.ok ? "true" : "false"}>
      <div className="ac-doctor-head">
        <strong>{title ?? "Doctor"}</strong>
        <Badge tone={report.ok ? (report.warnings ? "amber" : "green") : "red"}>{summary}</Badge>
      </div>
      <div className="ac-doctor-subject muted small">
        Checked: {[s.harness_id && `harness ${s.harness_id}`, s.model_id && `model ${s.model_id}`, s.api_base && `API base ${s.api_base}`, s.credential_provider && `provider ${s.credential_provider}`].filter(Boolean).join(" · ") || "the draft"}
      </div>
      {report.findings.length > 0 && (
        <ul className="ac-findings">
          {report.findings.map((f, i) => (
            <li key={`${f.check}-${i}`} className={`ac-finding ac-${f.severity}`} data-testid="finding" data-check={f.check} data-severity={f.severity}>
              <div className="ac-finding-head">
                <Badge tone={f.severity === "error" ? "red" : "amber"}>{f.severity}</Badge>
                <code>{f.check}</code>
              </div>
              <div className="ac-finding-message">{f.message}</div>
              <div className="ac-fix" data-testid="finding-fix">
                <span className="ac-fix-label">Fix:</span> <FixText text={f.fix} />
              </div>
            </li>
          ))}
        </ul>
      )}
      {report.passed.length > 0 && (
        <div className="ac-passed">
          <button type="button" className="btn-link small" onClick={() => setShowPassed((v) => !v)} aria-expanded={showPassed}>
            {showPassed ? "Hide" : "Show"} the {report.passed.length} check{report.passed.length > 1 ? "s" : ""} that passed
          </button>
          {showPassed && (
            <ul className="ac-passed-list">
              {report.passed.map((p) => (
                <li key={p.check}>
                  <span className="ac-ok-mark" aria-hidden="true">
                    ✓
                  </span>{" "}
                  <code>{p.check}</code> <span className="muted">{p.message}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

const STATUS_LABEL: Record<string, string> = {
  not_started: "not started",
  running: "running…",
  done: "done",
  failed: "failed",
  rolled_back: "rolled back",
};

const STATUS_MARK: Record<string, string> = { not_started: "", running: "", done: "✓", failed: "✕", rolled_back: "↺" };

/** The six steps of the wiring, as they progress. */
export function WireSteps({ steps }: { steps: Step[] }) {
  return (
    <ol className="ac-steps" data-testid="wire-steps">
      {steps.map((s, i) => {
        const report = stepDoctor(s);
        return (
          <li key={s.id} className={`ac-step ac-step-${s.status}`} data-testid="wire-step" data-step={s.id} data-status={s.status}>
            <span className="ac-step-mark" aria-hidden="true">
              {s.status === "running" ? <span className="spinner" /> : STATUS_MARK[s.status] || i + 1}
            </span>
            <div className="ac-step-body">
              <div className="ac-step-head">
                <span className="ac-step-title">{s.title}</span>
                <span className={`ac-step-status ac-status-${s.status}`} data-testid="wire-step-status">
                  {STATUS_LABEL[s.status] ?? s.status}
                </span>
                {s.error?.code && <Badge tone="red">{s.error.code}</Badge>}
              </div>
              {s.message && (
                <div className="ac-step-message" data-testid="wire-step-message">
                  {s.message}
                </div>
              )}
              {s.fix && (
                <div className="ac-fix" data-testid="wire-step-fix">
                  <span className="ac-fix-label">What to do:</span> <FixText text={s.fix} />
                </div>
              )}
              {s.error?.detail && <ErrorDetails text={s.error.detail} />}
              {report && (s.status === "failed" || report.findings.length > 0) && (
                <details className="ac-step-detail" open={s.status === "failed"}>
                  <summary className="small">
                    Doctor: {report.errors} error{report.errors === 1 ? "" : "s"}, {report.warnings} warning{report.warnings === 1 ? "" : "s"}
                  </summary>
                  <DoctorReportView report={report} testid={`wire-doctor-${s.id}`} />
                </details>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** "holds key agentcore-harness-key" (+ its status), or the warning for a key made elsewhere. */
export function KeyHeld({ provider, teamName }: { provider: Pick<ProviderView, "key">; teamName?: (id: string | null) => string | null }) {
  const k: KeyRef | null = provider.key ?? null;
  if (!k) {
    return (
      <span className="ac-keyheld unknown" data-testid="provider-key" title="Created outside this gateway (e.g. in the AWS console): rotate it to a key of this gateway to see and govern its traffic.">
        <Badge tone="amber">unknown key</Badge> {providerKeyLabel(provider)}
      </span>
    );
  }
  const team = teamName?.(k.team_id ?? null);
  return (
    <span className="ac-keyheld" data-testid="provider-key">
      <span className="ac-keyheld-text">{providerKeyLabel(provider)}</span>{" "}
      {k.status !== "active" && <Badge tone={keyStatusTone(k.status)}>{k.status}</Badge>}
      <span className="mono muted small ac-keyname">
        {k.key_name}
        {team ? ` · team ${team}` : ""}
      </span>
    </span>
  );
}

export function HarnessStatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="harness-status" data-status={status}>
      <Badge tone={harnessStatusTone(status)}>{status}</Badge>
    </span>
  );
}

/** A long identifier (an ARN): one line, cut in the middle of the line with its copy button. */
export function LongId({ value, testid, wrap }: { value: string; testid?: string; wrap?: boolean }) {
  return (
    <span className={`ac-longid${wrap ? " wrapped" : ""}`} title={value}>
      <code className="ac-longid-text" data-testid={testid}>
        <span>{value}</span>
      </code>
      <CopyButton text={value} small label="Copy" />
    </span>
  );
}
