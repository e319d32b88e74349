// A harness's details as AgentCore has them, with the doctor on demand.

import { useEffect, useState } from "react";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { HarnessView, Report } from "../../lib/api.gen";
import { LITELLM_PREFIX, lacksPrefix } from "../../lib/agentcoreLogic";
import { formatRelative } from "../../lib/format";
import { settingsSummary } from "../../lib/harnessSettings";
import { Badge, Modal } from "../ui";
import { HarnessVersions } from "./HarnessVersions";
import { AwsErrorNotice, DoctorReportView, HarnessStatusBadge, KeyHeld, LongId } from "./parts";

export function HarnessDetails({
  api,
  harness,
  onClose,
  onEdit,
  onPlay,
  onRequests,
  switchTo,
  onSwitch,
  switching,
  autoDoctor,
  onDelete,
  onChanged,
}: {
  onDelete: () => void;
  /** An endpoint changed: what shows the harness's endpoints elsewhere reads them again. */
  onChanged?: () => void;
  api: AgentCoreApi;
  harness: HarnessView;
  /** Run the doctor as soon as the details open. */
  autoDoctor?: boolean;
  onClose: () => void;
  onEdit: () => void;
  onPlay: () => void;
  onRequests: (token: string) => void;
  switchTo: string | null;
  onSwitch: (alias: string) => void;
  switching: boolean;
}) {
  const [report, setReport] = useState<Report | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const h = harness;
  const m = h.model;
  const key = h.credential_provider?.key ?? null;

  const doctor = async () => {
    setBusy(true);
    setError(null);
    try {
      setReport(await api.doctor({ harness_id: h.harness_id }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (autoDoctor) void doctor();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const dash = <span className="muted">—</span>;
  return (
    <Modal
      title={`Harness ${h.harness_name}`}
      onClose={onClose}
      wide
      testid="harness-details"
      footer={
        <>
          <button type="button" className="btn" onClick={doctor} disabled={busy} data-testid="details-doctor">
            {busy ? "Checking…" : "Run the doctor"}
          </button>
          {key && (
            <button type="button" className="btn" onClick={() => onRequests(key.token)} data-testid="details-requests">
              Requests
            </button>
          )}
          <button type="button" className="btn btn-ghost danger" onClick={onDelete} data-testid="details-delete">
            Delete
          </button>
          <span className="ac-foot-spacer" />
          {switchTo && (
            <button type="button" className="btn" onClick={() => onSwitch(switchTo)} disabled={switching} data-testid="details-switch">
              {lacksPrefix(h) ? `Fix: use ${LITELLM_PREFIX}${switchTo}` : `Switch to ${switchTo}`}
            </button>
          )}
          <button type="button" className="btn" onClick={onEdit} data-testid="details-edit">
            Edit
          </button>
          <button type="button" className="btn btn-primary" onClick={onPlay} data-testid="details-play">
            Playground
          </button>
        </>
      }
    >
      <dl className="dl dl-grid ac-details">
        <dt>Status</dt>
        <dd>
          <HarnessStatusBadge status={h.status} /> {h.harness_version && <span className="muted small">version {h.harness_version}</span>}
        </dd>
        {h.failure_reason && (
          <>
            <dt>Failure reason</dt>
            <dd className="error-text" data-testid="details-failure">
              {h.failure_reason}
            </dd>
          </>
        )}
        <dt>Id</dt>
        <dd className="mono">{h.harness_id}</dd>
        <dt>ARN</dt>
        <dd>
          <LongId value={h.arn} testid="details-arn" wrap />
        </dd>
        <dt>Execution role</dt>
        <dd>{h.execution_role_arn ? <LongId value={h.execution_role_arn} wrap /> : dash}</dd>
        <dt>Model source</dt>
        <dd>{m ? <Badge tone={m.source === "litellm" ? "violet" : "neutral"}>{m.source}</Badge> : <span className="muted">unknown (details not readable)</span>}</dd>
        <dt>Model id</dt>
        <dd data-testid="details-model-id">
          {m ? <code>{m.model_id}</code> : dash}
          {lacksPrefix(h) && <span className="error-text small"> lacks {LITELLM_PREFIX}: “LLM Provider NOT provided”</span>}
        </dd>
        <dt>API base</dt>
        <dd className="mono">{m?.api_base ?? dash}</dd>
        <dt>Credential provider</dt>
        <dd>
          {h.credential_provider ? (
            <div className="ac-provider-cell">
              <strong>{h.credential_provider.name ?? "(not found)"}</strong> <KeyHeld provider={h.credential_provider} />
              <LongId value={h.credential_provider.credential_provider_arn} wrap />
            </div>
          ) : (
            dash
          )}
        </dd>
        <dt>Parameters</dt>
        <dd className="small">
          max tokens per call {m?.max_tokens ?? "default"} · temperature {m?.temperature ?? "default"} · top P {m?.top_p ?? "default"}
          {h.max_iterations != null && ` · max iterations ${h.max_iterations}`}
          {h.invocation_max_tokens != null && ` · max tokens per invocation ${h.invocation_max_tokens}`}
          {h.timeout_seconds != null && ` · timeout ${h.timeout_seconds} s`}
        </dd>
        <dt>Tools and memory</dt>
        <dd className="small" data-testid="details-settings">
          {settingsSummary(h).join(" · ")}
        </dd>
        <dt>System prompt</dt>
        <dd className="ac-prompt">{h.system_prompt ?? dash}</dd>
        <dt>Updated</dt>
        <dd className="small" title={h.updated_at ?? ""}>
          {h.updated_at ? formatRelative(h.updated_at) : dash} {h.created_at && <span className="muted">· created {formatRelative(h.created_at)}</span>}
        </dd>
      </dl>
      <HarnessVersions api={api} harnessId={h.harness_id} onChanged={onChanged} />
      {error != null && <AwsErrorNotice error={error} />}
      {report && <DoctorReportView report={report} testid="details-doctor-report" />}
    </Modal>
  );
}
