// Where the page looks: the AWS region and profile of the AgentCore calls, and Refresh.

import type { Settings } from "../../lib/api.gen";
import type { AgentCoreData } from "./useAgentCore";

export function TargetPicker({ ac, settings: s }: { ac: AgentCoreData; settings: Settings }) {
  const { target, setTarget, region, regions, providers, harnesses, reloadAll } = ac;
  return (
    <>
      <label className="ac-picker">
        <span className="muted small">Region</span>
        <select className="input input-sm" value={region} onChange={(e) => setTarget({ ...target, region: e.target.value || undefined })} data-testid="ac-region">
          {!region && <option value="">(not set)</option>}
          {regions.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label className="ac-picker">
        <span className="muted small">Profile</span>
        <select className="input input-sm" value={target.profile ?? ""} onChange={(e) => setTarget({ ...target, profile: e.target.value || undefined })} data-testid="ac-profile">
          <option value="">{s.profile ? `${s.profile} (default)` : "default credentials"}</option>
          {s.profiles
            .filter((p) => p !== s.profile)
            .map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
        </select>
      </label>
      <button type="button" className="btn btn-sm" onClick={reloadAll} data-testid="ac-refresh" disabled={providers.loading || harnesses.loading}>
        Refresh
      </button>
    </>
  );
}
