// The harnesses of the region: status, model source and id (a bare id lacking litellm_proxy/ is
// flagged), the provider and its key, and the one-click switch, Try, Doctor and Edit.

import type { HarnessView } from "../../lib/api.gen";
import { LITELLM_PREFIX, lacksPrefix, settling, switchTarget } from "../../lib/agentcoreLogic";
import { Badge, Spinner } from "../ui";
import { AwsErrorNotice, HarnessStatusBadge, KeyHeld } from "./parts";

export function HarnessesCard({
  region,
  harnesses,
  aliases,
  loading,
  error,
  switching,
  onNew,
  onWire,
  onOpen,
  onDoctor,
  onEdit,
  onPlay,
  onSwitch,
}: {
  region: string;
  harnesses: HarnessView[];
  aliases: string[];
  loading: boolean;
  error: unknown;
  switching: string | null;
  onNew: () => void;
  onWire: () => void;
  onOpen: (h: HarnessView) => void;
  onDoctor: (h: HarnessView) => void;
  onEdit: (h: HarnessView) => void;
  onPlay: (h: HarnessView) => void;
  onSwitch: (h: HarnessView, alias: string) => void;
}) {
  return (
    <div className="card ac-card" data-testid="harnesses-card">
      <div className="card-head">
        <div>
          <h2>Harnesses</h2>
          <div className="muted small">AgentCore managed harnesses in {region || "the default region"}; those with model source LiteLLM call this gateway.</div>
        </div>
        <div className="page-actions">
          <button type="button" className="btn btn-sm" onClick={onNew} data-testid="harness-new">
            New harness
          </button>
          <button type="button" className="btn btn-sm btn-primary" onClick={onWire} data-testid="harness-wire">
            Wire everything
          </button>
        </div>
      </div>
      {error != null && <AwsErrorNotice error={error} testid="harnesses-error" />}
      {loading && <Spinner label="Listing harnesses…" />}
      {!loading && error == null && harnesses.length === 0 && (
        <div className="ac-empty-line muted" data-testid="harnesses-empty">
          No harness in {region || "this region"} yet. <button type="button" className="btn-link" onClick={onWire}>Wire everything</button> creates the team, the key, the credential provider and the harness in one click.
        </div>
      )}
      {harnesses.length > 0 && (
        <table className="table table-hover ac-table" data-testid="harnesses-table">
          <colgroup>
            <col style={{ width: "15%" }} />
            <col style={{ width: "10%" }} />
            <col style={{ width: "7%" }} />
            <col style={{ width: "21%" }} />
            <col />
            <col style={{ width: "292px" }} />
          </colgroup>
          <thead>
            <tr>
              <th>Harness</th>
              <th>Status</th>
              <th>Source</th>
              <th>Model id</th>
              <th>Credential provider</th>
              <th className="right">Actions</th>
            </tr>
          </thead>
          <tbody>
            {harnesses.map((h) => {
              const to = switchTarget(h, aliases);
              const bare = lacksPrefix(h);
              return (
                <tr key={h.harness_id} data-testid="harness-row" data-name={h.harness_name} data-status={h.status} data-model={h.model?.model_id ?? ""} onClick={() => onOpen(h)} tabIndex={0} onKeyDown={(e) => e.key === "Enter" && e.target === e.currentTarget && onOpen(h)}>
                  <td className="ac-name-cell">
                    <strong className="ac-ellipsis">{h.harness_name}</strong>
                    <div className="mono muted small ac-ellipsis" title={h.harness_id}>
                      {h.harness_id}
                    </div>
                  </td>
                  <td>
                    <HarnessStatusBadge status={h.status} />
                    {h.failure_reason && (
                      <div className="error-text small ac-clamp" title={h.failure_reason} data-testid="harness-failure">
                        {h.failure_reason}
                      </div>
                    )}
                  </td>
                  <td>{h.model ? <Badge tone={h.model.source === "litellm" ? "violet" : "neutral"}>{h.model.source}</Badge> : <span className="muted">?</span>}</td>
                  <td className="ac-model-cell" data-testid="harness-model-id">
                    {h.model ? <code className="ac-ellipsis" title={h.model.model_id}>{h.model.model_id}</code> : <span className="muted">details not readable</span>}
                    {bare && <div className="error-text small">lacks {LITELLM_PREFIX}</div>}
                  </td>
                  <td className="ac-provider-cell-list">
                    {h.credential_provider ? (
                      <>
                        <span className="ac-ellipsis">{h.credential_provider.name ?? <span className="muted">not found</span>}</span>
                        <div className="small ac-ellipsis">
                          <KeyHeld provider={h.credential_provider} />
                        </div>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="right nowrap" onClick={(e) => e.stopPropagation()}>
                    {to && (
                      <button type="button" className="btn btn-sm btn-ghost" onClick={() => onSwitch(h, to)} disabled={switching === h.harness_id || settling(h.status)} data-testid="harness-switch" data-target={to} title={`PATCH the harness: model ${LITELLM_PREFIX}${to}, everything else kept`}>
                        {switching === h.harness_id ? "Switching…" : bare ? `Fix → ${LITELLM_PREFIX}${to}` : `→ ${to}`}
                      </button>
                    )}
                    <button type="button" className="btn btn-sm btn-ghost" onClick={() => onPlay(h)} data-testid="harness-play">
                      Try
                    </button>
                    <button type="button" className="btn btn-sm btn-ghost" onClick={() => onDoctor(h)} data-testid="harness-doctor-run">
                      Doctor
                    </button>
                    <button type="button" className="btn btn-sm btn-ghost" onClick={() => onEdit(h)} data-testid="harness-edit">
                      Edit
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
