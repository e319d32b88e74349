// A harness's versions (each change makes one) with what changed between two, and its endpoints
// (DEFAULT follows the latest version; named ones serve the version they point at).

import { useCallback, useEffect, useState } from "react";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { EndpointView, VersionDiff, VersionView } from "../../lib/api.gen";
import { formatRelative } from "../../lib/format";
import { Badge, Spinner } from "../ui";
import { AwsErrorNotice } from "./parts";

const ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,47}$/;

function show(v: unknown): string {
  if (v === null || v === undefined) return "—";
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function HarnessVersions({ api, harnessId, onChanged }: { api: AgentCoreApi; harnessId: string; onChanged?: () => void }) {
  const [versions, setVersions] = useState<VersionView[] | null>(null);
  const [endpoints, setEndpoints] = useState<EndpointView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [diff, setDiff] = useState<VersionDiff | null>(null);
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [v, e] = await Promise.all([api.versions(harnessId), api.endpoints(harnessId)]);
      setVersions(v.versions);
      setEndpoints(e.endpoints);
      setError(null);
      if (v.versions.length > 1) {
        setFrom((f) => f || v.versions[1].version);
        setTo((t) => t || v.versions[0].version);
      }
    } catch (e) {
      setError(e);
    }
  }, [api, harnessId]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (work: () => Promise<unknown>, changes = true) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      await load();
      if (changes) onChanged?.();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const compare = () => act(async () => setDiff(await api.versionDiff(harnessId, from, to)), false);
  const nameError = name && !ENDPOINT_NAME.test(name) ? "Letters, digits and underscores, starting with a letter" : null;

  if (!versions || !endpoints) return error ? <AwsErrorNotice error={error} compact testid="hv-error" /> : <Spinner label="Reading versions and endpoints" />;
  return (
    <div className="ac-versions" data-testid="harness-versions">
      <div className="ac-versions-col">
        <h4>Versions</h4>
        <table className="table table-compact">
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} data-testid="hv-version" data-version={v.version}>
                <td className="mono">v{v.version}</td>
                <td>
                  <Badge tone={v.status === "READY" ? "green" : "amber"}>{v.status}</Badge>
                </td>
                <td className="muted small">{v.created_at ? formatRelative(v.created_at) : ""}</td>
                <td className="small">
                  {endpoints
                    .filter((e) => e.live_version === v.version)
                    .map((e) => (
                      <span key={e.name} className="ac-endpoint-badge" title={e.name}>
                        <Badge tone="violet">{e.name}</Badge>
                      </span>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {versions.length > 1 && (
          <div className="ac-inline-form">
            <label>
              Compare v
              <VersionSelect versions={versions} value={from} onChange={setFrom} testid="hv-from" />
            </label>
            <label>
              with v
              <VersionSelect versions={versions} value={to} onChange={setTo} testid="hv-to" />
            </label>
            <button type="button" className="btn btn-sm" onClick={compare} disabled={busy} data-testid="hv-compare">
              Compare
            </button>
          </div>
        )}
        {diff && (
          <div className="ac-diff" data-testid="hv-diff">
            {diff.changes.length === 0 ? (
              <div className="muted small">
                v{diff.from} and v{diff.to} are the same.
              </div>
            ) : (
              diff.changes.map((c) => (
                <div key={c.field} className="ac-diff-row" data-testid="hv-change" data-field={c.field}>
                  <code>{c.field}</code>
                  <span className="ac-diff-from">{show(c.from)}</span>
                  <span className="muted">→</span>
                  <span className="ac-diff-to">{show(c.to)}</span>
                </div>
              ))
            )}
          </div>
        )}
      </div>
      <div className="ac-versions-col">
        <h4>Endpoints</h4>
        <table className="table table-compact">
          <tbody>
            {endpoints.map((e) => (
              <tr key={e.name} data-testid="hv-endpoint" data-name={e.name}>
                <td className="ac-endpoint-cell">
                  <strong className="ac-break">{e.name}</strong>
                  {e.description && (
                    <div className="muted small ac-clamp" title={e.description}>
                      {e.description}
                    </div>
                  )}
                </td>
                <td className="nowrap">
                  {e.name === "DEFAULT" ? (
                    <span className="small">v{e.live_version} · follows the latest</span>
                  ) : (
                    <select
                      className="input input-sm"
                      value={e.live_version ?? ""}
                      onChange={(ev) => act(() => api.updateEndpoint(harnessId, e.name, { version: ev.target.value }))}
                      disabled={busy}
                      aria-label={`Version ${e.name} serves`}
                      data-testid="hv-point"
                    >
                      {versions.map((v) => (
                        <option key={v.version} value={v.version}>
                          v{v.version}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
                <td className="right">
                  {e.name !== "DEFAULT" && (
                    <button type="button" className="btn btn-sm btn-ghost danger" onClick={() => act(() => api.deleteEndpoint(harnessId, e.name))} disabled={busy} data-testid="hv-delete">
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="ac-inline-form">
          <input className="input input-sm" placeholder="new endpoint name" value={name} onChange={(e) => setName(e.target.value)} aria-label="New endpoint name" data-testid="hv-new-name" />
          <select className="input input-sm" value={version} onChange={(e) => setVersion(e.target.value)} aria-label="Version it serves" data-testid="hv-new-version">
            <option value="">latest</option>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="btn btn-sm"
            disabled={busy || !name || !!nameError}
            onClick={() =>
              act(async () => {
                await api.createEndpoint(harnessId, { name, ...(version ? { version } : {}) });
                setName("");
                setVersion("");
              })
            }
            data-testid="hv-create"
          >
            Create endpoint
          </button>
        </div>
        {nameError && <div className="error-text small">{nameError}</div>}
      </div>
      {error != null && <AwsErrorNotice error={error} compact testid="hv-error" />}
    </div>
  );
}

function VersionSelect({ versions, value, onChange, testid }: { versions: VersionView[]; value: string; onChange: (v: string) => void; testid: string }) {
  return (
    <select className="input input-sm" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testid}>
      {versions.map((v) => (
        <option key={v.version} value={v.version}>
          {v.version}
        </option>
      ))}
    </select>
  );
}
