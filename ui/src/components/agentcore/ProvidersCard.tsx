// The credential providers of the region: the key each holds (and its team), its ARN, Rotate and
// Delete.

import type { ProviderView } from "../../lib/api.gen";
import { formatRelative } from "../../lib/format";
import { Spinner } from "../ui";
import { AwsErrorNotice, KeyHeld, LongId } from "./parts";

export function ProvidersCard({
  region,
  providers,
  loading,
  error,
  teamName,
  onNew,
  onRotate,
  onDelete,
}: {
  region: string;
  providers: ProviderView[];
  loading: boolean;
  error: unknown;
  teamName: (id: string | null) => string | null;
  onNew: () => void;
  onRotate: (p: ProviderView) => void;
  onDelete: (p: ProviderView) => void;
}) {
  return (
    <div className="card ac-card" data-testid="providers-card">
      <div className="card-head">
        <div>
          <h2>Credential providers (API key)</h2>
          <div className="muted small">AgentCore Identity → Outbound Auth, in {region || "the default region"}: the virtual key a harness sends to this gateway.</div>
        </div>
        <button type="button" className="btn btn-sm" onClick={onNew} data-testid="provider-new">
          New provider
        </button>
      </div>
      {error != null && <AwsErrorNotice error={error} testid="providers-error" />}
      {loading && <Spinner label="Listing credential providers…" />}
      {!loading && error == null && providers.length === 0 && (
        <div className="ac-empty-line muted" data-testid="providers-empty">
          No API-key credential provider in {region || "this region"} yet.
        </div>
      )}
      {providers.length > 0 && (
        <table className="table ac-table" data-testid="providers-table">
          <colgroup>
            <col style={{ width: "17%" }} />
            <col style={{ width: "30%" }} />
            <col />
            <col style={{ width: "110px" }} />
            <col style={{ width: "190px" }} />
          </colgroup>
          <thead>
            <tr>
              <th>Name</th>
              <th>Key it holds</th>
              <th>ARN</th>
              <th>Updated</th>
              <th className="right">Actions</th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.name} data-testid="provider-row" data-name={p.name}>
                <td className="wrap">
                  <strong>{p.name}</strong>
                </td>
                <td>
                  <KeyHeld provider={p} teamName={teamName} />
                  {p.key_secret && (
                    <div className="muted small ac-key-secret" data-testid="provider-key-secret" title={p.key_secret.secret_arn}>
                      read from secret <span className="mono">{secretName(p.key_secret.secret_arn)}</span> ({p.key_secret.json_key ?? "?"})
                    </div>
                  )}
                </td>
                <td className="ac-arn-cell">
                  <LongId value={p.credential_provider_arn} />
                </td>
                <td className="small" title={p.last_updated_time ?? ""}>
                  {p.last_updated_time ? formatRelative(p.last_updated_time) : <span className="muted">—</span>}
                </td>
                <td className="right nowrap">
                  <button type="button" className="btn btn-sm btn-ghost" onClick={() => onRotate(p)} data-testid="provider-rotate">
                    Rotate key
                  </button>
                  <button type="button" className="btn btn-sm btn-ghost danger" onClick={() => onDelete(p)} data-testid="provider-delete">
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** `harness/gateway-key` of `arn:aws:secretsmanager:…:secret:harness/gateway-key-AbCdEf`. */
export function secretName(arn: string): string {
  const at = arn.indexOf(":secret:");
  // Secrets Manager ends every ARN with a hyphen and six random characters.
  return at < 0 ? arn : arn.slice(at + 8).replace(/-[A-Za-z0-9]{6}$/, "");
}
