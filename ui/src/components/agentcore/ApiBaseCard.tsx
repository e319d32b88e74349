// The API base the harnesses of this page's forms call, whether AWS can reach it, and the deployed
// gateway's URL offered instead.

import type { Settings } from "../../lib/api.gen";
import { classifyApiBase } from "../../lib/agentcoreLogic";
import { Badge } from "../ui";

export function ApiBaseCard({
  settings: s,
  apiBase,
  override,
  onOverride,
  deployedUrl,
  hidden,
}: {
  settings: Settings;
  apiBase: string;
  /** The API base chosen on this page, if any. */
  override: string | null;
  onOverride: (url: string | null) => void;
  deployedUrl: string | null;
  hidden: boolean;
}) {
  const reach = classifyApiBase(apiBase);
  return (
    <div className="card ac-base" hidden={hidden} data-testid="ac-api-base" data-reachable={reach.kind === "public" ? "true" : "false"}>
      <div className="ac-base-line">
        <span className="muted">API base harnesses call</span>
        <code className="ac-base-url" data-testid="ac-api-base-value">
          {apiBase || "(none)"}
        </code>
        <span className="muted small">
          {override ? "chosen here, for the forms below" : s.public_url && s.public_url === apiBase ? "general_settings.public_url" : "the URL this panel talks to (no public URL set)"}
        </span>
        {reach.kind === "public" ? <Badge tone={reach.insecure ? "amber" : "green"}>{reach.insecure ? "public, plain http" : "reachable from AWS"}</Badge> : <Badge tone="red">not reachable from AWS</Badge>}
        {override && (
          <button type="button" className="btn btn-xs btn-ghost" onClick={() => onOverride(null)} data-testid="ac-api-base-reset">
            Back to the gateway's URL
          </button>
        )}
      </div>
      {reach.kind !== "public" && (
        <div className="notice notice-warn compact" data-testid="ac-api-base-warning">
          AWS cannot reach <code>{apiBase || "this gateway"}</code>: {reach.reason}. A harness runs in AWS and calls its API base from there, so the doctor refuses it before saving. Deploy the gateway to AWS (
          <a href="#/deploy">Deploy page</a>) and use its URL, or expose this gateway and set <code>general_settings.public_url</code>. For a test where the harness can reach this machine, save anyway.
        </div>
      )}
      {deployedUrl && deployedUrl !== apiBase && (
        <div className="notice notice-ok compact ac-deployed" data-testid="ac-deployed-offer">
          The Deploy page deployed this gateway at <code>{deployedUrl}</code>.{" "}
          <button type="button" className="btn btn-xs btn-primary" onClick={() => onOverride(deployedUrl)} data-testid="ac-use-deployed">
            Use it as the API base
          </button>
        </div>
      )}
    </div>
  );
}
