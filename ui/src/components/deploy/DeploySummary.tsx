// The column beside the deploy form: the gateway's verdict on the form, the cost estimate, the
// resources it creates, whether the stack exists, and the Deploy (or Update) button.

import type { CheckedPlan, StackReport } from "../../lib/api.gen";
import { FIELD_LABELS, type FormKey, formatMonthly, issuesByField, resourceSummary, sentence, shortType } from "../../lib/deploy";
import { formatRelative } from "../../lib/format";
import type { DeployRefused, StackTarget } from "../../lib/deployApi";
import { Spinner } from "../ui";
import { AwsErrorNotice, CfnStatus } from "./parts";
import type { Check, DeployChecks, StackInfo } from "./useDeploy";

export function DeploySummary({
  checks,
  fieldErrors,
  onField,
  refused,
  busy,
  blockedCount,
  onFollow,
  onDeploy,
}: {
  checks: DeployChecks;
  /** Every field error, touched or not. */
  fieldErrors: Partial<Record<FormKey, string>>;
  onField: (k: FormKey) => void;
  /** The last Deploy, refused by the gateway before anything was created. */
  refused: DeployRefused | null;
  busy: boolean;
  /** Fields to fix before a deploy is sent (0: none, or not asked yet). */
  blockedCount: number;
  onFollow: () => void;
  onDeploy: () => void;
}) {
  const { check, current, stack, stackNow, target, targetOk } = checks;
  const exists = !!stackNow?.exists && stackNow.status !== "ROLLBACK_COMPLETE";
  return (
    <aside className="deploy-side">
      <div className="card plan-card" data-testid="deploy-summary">
        <div className="card-head">
          <h2>Before you deploy</h2>
          {check.pending && <Spinner label="checking…" />}
        </div>
        <ValidationSummary check={check} current={current} fieldErrors={fieldErrors} onField={onField} />
        {refused && !refused.validation && <AwsErrorNotice error={refused} testid="deploy-up-refused" />}
        {check.result && <CostView result={check.result} />}
        {check.result && check.result.resources.length > 0 && <ResourcesView result={check.result} />}
        <StackLine info={stack} current={stackNow} targetOk={targetOk} target={target} onFollow={onFollow} />
        <button
          type="button"
          className="btn btn-primary btn-block deploy-button"
          onClick={onDeploy}
          disabled={busy || !!stackNow?.in_progress}
          data-testid="deploy-submit"
          data-action={exists ? "update" : "deploy"}
        >
          {busy ? "Running…" : !targetOk ? "Deploy" : exists ? `Update ${target?.stack}` : stackNow?.status === "ROLLBACK_COMPLETE" ? `Deploy ${target?.stack} again` : `Deploy ${target?.stack}`}
        </button>
        {blockedCount > 0 && (
          <p className="error-text small center" data-testid="deploy-blocked">
            Fix the {blockedCount === 1 ? "field" : `${blockedCount} fields`} marked in red first.
          </p>
        )}
        {stackNow?.status === "ROLLBACK_COMPLETE" && <p className="muted small">The last deploy was rolled back: the empty stack is deleted first.</p>}
      </div>
    </aside>
  );
}

function ValidationSummary({
  check,
  current,
  fieldErrors,
  onField,
}: {
  check: Check;
  current: CheckedPlan | undefined;
  fieldErrors: Partial<Record<FormKey, string>>;
  onField: (k: FormKey) => void;
}) {
  if (check.error != null) return <AwsErrorNotice error={check.error} testid="deploy-validate-error" compact />;
  const r = check.result;
  if (!r) return <p className="muted">Checking the form…</p>;
  const general = issuesByField(r.errors).general;
  const listed = Object.entries(fieldErrors) as Array<[FormKey, string]>;
  const count = listed.length + general.length;
  return (
    <div data-testid="deploy-validation" data-ok={count === 0 && current ? "true" : "false"}>
      {count === 0 ? (
        <div className="check-line ok">
          <span className="check-icon">✓</span> The form is valid{current ? "" : " (checking the last change…)"}.
        </div>
      ) : (
        <>
          <div className="check-line bad" data-testid="deploy-error-count">
            <span className="check-icon">!</span> {count === 1 ? "1 field to fix" : `${count} fields to fix`}
          </div>
          <ul className="field-errors" data-testid="deploy-field-errors">
            {listed.map(([k, message]) => (
              <li key={k}>
                <button type="button" className="btn-link" onClick={() => onField(k)}>
                  {FIELD_LABELS[k]}
                </button>
                <span className="muted">: {message}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {general.map((g) => (
        <div key={g.field + g.message} className="notice notice-error compact">
          <span className="mono">{g.field}</span>: {g.message}
        </div>
      ))}
      {r.warnings.length > 0 && (
        <ul className="warnings" data-testid="deploy-warnings">
          {r.warnings.map((w) => (
            <li key={w.field + w.message}>
              <span className="warn-icon" aria-hidden="true">
                ⚠
              </span>
              <span>{sentence(w.message)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CostView({ result }: { result: CheckedPlan }) {
  const e = result.estimate;
  return (
    <div className="cost" data-testid="deploy-cost">
      <div className="cost-head">
        <h3 className="section-title">Monthly cost estimate</h3>
        <span className="cost-total" data-testid="deploy-cost-total">
          ≈ {formatMonthly(e.total_monthly_usd)}
          <span className="muted small"> / month</span>
        </span>
      </div>
      <table className="cost-table">
        <tbody>
          {e.lines.map((l) => (
            <tr key={l.item}>
              <td>
                <div>{l.item}</div>
                <div className="muted small">{l.detail}</div>
              </td>
              <td className="num nowrap">{formatMonthly(l.monthly_usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {e.region_note && <div className="field-warn block">{sentence(e.region_note)}</div>}
      <details className="cost-notes">
        <summary>What the estimate is based on</summary>
        <p className="small">{sentence(e.basis)}</p>
        <p className="small muted">Not included: {e.excludes}.</p>
      </details>
    </div>
  );
}

function ResourcesView({ result }: { result: CheckedPlan }) {
  const groups = resourceSummary(result.resources);
  return (
    <details className="resources" data-testid="deploy-resources">
      <summary>
        Creates <strong data-testid="deploy-resource-count">{result.resources.length}</strong> resources in stack <span className="mono">{result.stack_name}</span>
      </summary>
      <ul>
        {groups.map(([type, n]) => (
          <li key={type} title={type}>
            <span className="ellipsis-line">{shortType(type)}</span>
            {n > 1 && <span className="muted"> × {n}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}

function StackLine({
  info,
  current,
  targetOk,
  target,
  onFollow,
}: {
  info: StackInfo;
  current: StackReport | undefined;
  targetOk: boolean;
  target: StackTarget | null;
  onFollow: () => void;
}) {
  if (!targetOk || !target) return <div className="stack-line muted small">Enter a valid region and name prefix to look for the stack.</div>;
  if (info.error != null && info.key) return <AwsErrorNotice error={info.error} testid="deploy-stack-error" compact />;
  if (!current) return <div className="stack-line muted small">{info.loading ? "Looking for the stack…" : ""}</div>;
  return (
    <div className="stack-line" data-testid="deploy-stack-line" data-exists={current.exists ? "true" : "false"}>
      {current.exists ? (
        <>
          <span className="muted">Stack</span> <span className="mono">{current.stack_name}</span> <CfnStatus status={current.status} />
          {current.last_updated || current.created ? <span className="muted small"> · {formatRelative((current.last_updated || current.created) as string)}</span> : null}
          {current.in_progress && (
            <div className="notice notice-info compact">
              An operation is running on this stack.{" "}
              <button type="button" className="btn-link" onClick={onFollow} data-testid="deploy-follow">
                Follow it
              </button>
            </div>
          )}
        </>
      ) : (
        <span className="muted small">
          No stack <span className="mono">{current.stack_name}</span> in {current.region} yet: Deploy creates it.
        </span>
      )}
    </div>
  );
}
