// The AgentCore page: the seed article's manual story as buttons. Browse the API-key credential
// providers and harnesses of a region/profile, create and rotate providers, create and edit
// harnesses with model source LiteLLM (after the doctor), wire the whole chain in one click,
// switch the model in one click, and play with a harness — its calls show in the request log
// under the key its provider holds.

import { useCallback, useMemo, useState } from "react";
import { HarnessDetails } from "../components/agentcore/HarnessDetails";
import { DoctorPanel } from "../components/agentcore/DoctorPanel";
import { HarnessDialog } from "../components/agentcore/HarnessForm";
import { HarnessPlayground } from "../components/agentcore/HarnessPlayground";
import { ProviderDialog } from "../components/agentcore/ProviderDialog";
import { WirePanel } from "../components/agentcore/WirePanel";
import { AwsErrorNotice, DoctorReportView, HarnessStatusBadge, KeyHeld, LongId } from "../components/agentcore/parts";
import "../components/agentcore/agentcore.css";
import { Badge, ConfirmDialog, EmptyState, Modal, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useInterval } from "../hooks";
import { isMissingRoute } from "../lib/api";
import { AgentCoreApi, AgentCoreError, type Harness, type Provider, type Target } from "../lib/agentcore";
import { LITELLM_PREFIX, classifyApiBase, lacksPrefix, providerKeyLabel, settling, switchTarget } from "../lib/agentcoreLogic";
import { formatRelative } from "../lib/format";

type Tab = "resources" | "wire" | "doctor" | "playground";

const TABS: Array<{ id: Tab; label: string }> = [
  { id: "resources", label: "Providers & harnesses" },
  { id: "wire", label: "Wire everything" },
  { id: "doctor", label: "Doctor" },
  { id: "playground", label: "Harness playground" },
];

const TARGET_KEY = "switchboard.agentcore.target";
/** Set by the Deploy page: the URL of the gateway deployed to AWS. */
const DEPLOYED_KEY = "switchboard.deployedUrl";

function loadTarget(): Target {
  try {
    const v = JSON.parse(sessionStorage.getItem(TARGET_KEY) ?? "{}") as Target;
    return { region: typeof v.region === "string" && v.region ? v.region : undefined, profile: typeof v.profile === "string" && v.profile ? v.profile : undefined };
  } catch {
    return {};
  }
}

function readDeployedUrl(): string | null {
  try {
    const v = sessionStorage.getItem(DEPLOYED_KEY);
    return v && /^https?:\/\//.test(v.trim()) ? v.trim().replace(/\/+$/, "") : null;
  } catch {
    return null;
  }
}

type Dialog =
  | { kind: "harness"; harness: Harness | null }
  | { kind: "provider"; provider: Provider | null }
  | { kind: "details"; harnessId: string; doctor?: boolean }
  | { kind: "delete-harness"; harness: Harness }
  | { kind: "delete-provider"; provider: Provider }
  | { kind: "switch"; harness: Harness; alias: string; error: unknown }
  | null;

export function AgentCorePage() {
  const { gw, toast, go, sessionKeys } = useApp();
  const [target, setTargetState] = useState<Target>(loadTarget);
  const setTarget = (t: Target) => {
    setTargetState(t);
    sessionStorage.setItem(TARGET_KEY, JSON.stringify(t));
  };
  const api = useMemo(() => new AgentCoreApi(gw, target), [gw, target]);
  const settings = useAsync(() => new AgentCoreApi(gw).settings(), [gw]);
  const providers = useAsync(() => api.providers(), [api]);
  const harnesses = useAsync(() => api.harnesses(), [api]);
  const teams = useAsync(() => gw.teams(), [gw]);

  const [tab, setTab] = useState<Tab>("resources");
  const [dialog, setDialog] = useState<Dialog>(null);
  const [playHarness, setPlayHarness] = useState("");
  const [doctorSubject, setDoctorSubject] = useState("");
  const [switching, setSwitching] = useState<string | null>(null);
  const [deployedUrl] = useState(readDeployedUrl);
  const [apiBaseOverride, setApiBaseOverride] = useState<string | null>(null);

  const s = settings.data;
  const aliases = useMemo(() => (s?.models ?? []).map((m) => m.alias), [s]);
  const providerList = providers.data?.providers ?? [];
  const harnessList = harnesses.data?.harnesses ?? [];
  const region = target.region ?? providers.data?.region ?? s?.region ?? "";
  const apiBase = apiBaseOverride ?? s?.default_api_base ?? "";
  const reach = classifyApiBase(apiBase);
  const defaults = {
    alias: aliases.includes("claude-haiku") ? "claude-haiku" : (aliases[0] ?? ""),
    provider: s?.defaults.credential_provider ?? "litellm-proxy",
    apiBase,
    teamAlias: s?.defaults.team_alias ?? "agentcore-harness",
    keyAlias: s?.defaults.key_alias ?? "agentcore-harness-key",
  };
  const teamName = useCallback(
    (id: string | null) => {
      if (!id) return null;
      const t = (teams.data ?? []).find((x) => x.team_id === id);
      return t ? (t.team_alias ?? t.team_id) : null;
    },
    [teams.data],
  );

  // Harnesses on their way to READY (or being updated) are looked at again until they settle.
  useInterval(() => void harnesses.reload(), harnessList.some((h) => settling(h.status)) ? 2000 : null);

  const reloadAll = () => {
    void providers.reload();
    void harnesses.reload();
    void teams.reload();
  };

  const openRequests = (token: string) => go(`requests?key=${encodeURIComponent(token)}`);
  const play = (id: string) => {
    setPlayHarness(id);
    setTab("playground");
    setDialog(null);
  };

  const switchModel = async (h: Harness, alias: string, force = false) => {
    setSwitching(h.harness_id);
    try {
      const saved = await api.updateHarness(h.harness_id, force ? { model: alias, force: true } : { model: alias });
      toast(`${h.harness_name} now calls ${saved.harness.model?.model_id ?? `${LITELLM_PREFIX}${alias}`}`);
      setDialog((d) => (d?.kind === "switch" ? null : d));
      harnesses.setData((cur) => (cur ? { ...cur, harnesses: cur.harnesses.map((x) => (x.harness_id === h.harness_id ? saved.harness : x)) } : cur));
      void harnesses.reload();
    } catch (e) {
      setDialog({ kind: "switch", harness: h, alias, error: e });
    } finally {
      setSwitching(null);
    }
  };

  const noApi = isMissingRoute(settings.error);
  const detailsHarness = dialog?.kind === "details" ? harnessList.find((h) => h.harness_id === dialog.harnessId) : undefined;
  const regions = [...new Set([...(s?.regions ?? []), ...(s?.region ? [s.region] : []), ...(region ? [region] : [])])];

  return (
    <div className="page ac-page">
      <PageHeader
        title="AgentCore"
        subtitle="Wire this gateway into an Amazon Bedrock AgentCore harness with model source LiteLLM."
        actions={
          s && (
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
          )
        }
      />
      {noApi && (
        <EmptyState title="This gateway has no AgentCore API" testid="ac-no-api">
          It may be an older Switchboard, or a LiteLLM proxy: <code>/agentcore/settings</code> answered 404.
        </EmptyState>
      )}
      {settings.error != null && !noApi && <AwsErrorNotice error={settings.error} />}
      {settings.loading && !s && <Spinner label="Loading AgentCore settings…" />}
      {s && (
        <>
          <div className="card ac-base" hidden={tab === "playground"} data-testid="ac-api-base" data-reachable={reach.kind === "public" ? "true" : "false"}>
            <div className="ac-base-line">
              <span className="muted">API base harnesses call</span>
              <code className="ac-base-url" data-testid="ac-api-base-value">
                {apiBase || "(none)"}
              </code>
              <span className="muted small">
                {apiBaseOverride ? "chosen here, for the forms below" : s.public_url && s.public_url === apiBase ? "general_settings.public_url" : "the URL this panel talks to (no public URL set)"}
              </span>
              {reach.kind === "public" ? <Badge tone={reach.insecure ? "amber" : "green"}>{reach.insecure ? "public, plain http" : "reachable from AWS"}</Badge> : <Badge tone="red">not reachable from AWS</Badge>}
              {apiBaseOverride && (
                <button type="button" className="btn btn-xs btn-ghost" onClick={() => setApiBaseOverride(null)} data-testid="ac-api-base-reset">
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
                <button type="button" className="btn btn-xs btn-primary" onClick={() => setApiBaseOverride(deployedUrl)} data-testid="ac-use-deployed">
                  Use it as the API base
                </button>
              </div>
            )}
          </div>

          <div className="tabs ac-tabs" role="tablist">
            {TABS.map((t) => (
              <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? " active" : ""}`} onClick={() => setTab(t.id)} data-testid={`ac-tab-${t.id}`}>
                {t.label}
              </button>
            ))}
          </div>

          <div hidden={tab !== "resources"} data-testid="ac-panel-resources">
            <ProvidersCard
              region={region}
              providers={providerList}
              loading={providers.loading && !providers.data}
              error={providers.error}
              teamName={teamName}
              onNew={() => setDialog({ kind: "provider", provider: null })}
              onRotate={(p) => setDialog({ kind: "provider", provider: p })}
              onDelete={(p) => setDialog({ kind: "delete-provider", provider: p })}
            />
            <HarnessesCard
              region={region}
              harnesses={harnessList}
              aliases={aliases}
              loading={harnesses.loading && !harnesses.data}
              error={harnesses.error}
              switching={switching}
              onNew={() => setDialog({ kind: "harness", harness: null })}
              onWire={() => setTab("wire")}
              onOpen={(h) => setDialog({ kind: "details", harnessId: h.harness_id })}
              onDoctor={(h) => setDialog({ kind: "details", harnessId: h.harness_id, doctor: true })}
              onEdit={(h) => setDialog({ kind: "harness", harness: h })}
              onPlay={(h) => play(h.harness_id)}
              onSwitch={(h, a) => switchModel(h, a)}
            />
          </div>
          <div hidden={tab !== "wire"} data-testid="ac-panel-wire">
            <WirePanel
              key={`${region}|${target.profile ?? ""}|${apiBase}`}
              api={api}
              aliases={aliases}
              harnesses={harnessList}
              providers={providerList}
              teams={teams.data ?? []}
              defaults={defaults}
              deployedUrl={deployedUrl}
              onWired={(r) => {
                reloadAll();
                if (r.ok && r.harness) setPlayHarness(r.harness.harness_id);
              }}
              onPlay={play}
              onRequests={openRequests}
            />
          </div>
          <div hidden={tab !== "doctor"} data-testid="ac-panel-doctor">
            <DoctorPanel
              key={`${region}|${target.profile ?? ""}|${apiBase}`}
              api={api}
              harnesses={harnessList}
              providers={providerList}
              aliases={aliases}
              defaults={defaults}
              subject={doctorSubject}
              onSubject={setDoctorSubject}
            />
          </div>
          <div hidden={tab !== "playground"} data-testid="ac-panel-playground">
            <HarnessPlayground
              key={`${region}|${target.profile ?? ""}`}
              api={api}
              harnesses={harnessList}
              aliases={aliases}
              selected={playHarness}
              onSelect={setPlayHarness}
              onSwitch={(h, a) => switchModel(h, a)}
              switching={switching != null}
              onRequests={openRequests}
            />
          </div>
        </>
      )}

      {dialog?.kind === "harness" && (
        <HarnessDialog
          api={api}
          harness={dialog.harness}
          aliases={aliases}
          providers={providerList}
          defaults={defaults}
          deployedUrl={deployedUrl}
          onClose={() => setDialog(null)}
          onSaved={(saved, created) => {
            setDialog(null);
            toast(`${created ? "Created" : "Saved"} ${saved.harness.harness_name}: ${saved.harness.model?.model_id ?? ""}`);
            void harnesses.reload();
          }}
        />
      )}
      {dialog?.kind === "provider" && (
        <ProviderDialog
          api={api}
          provider={dialog.provider}
          teams={teams.data ?? []}
          sessionKeys={sessionKeys}
          defaults={{ name: defaults.provider, keyAlias: defaults.keyAlias, teamAlias: defaults.teamAlias }}
          onClose={() => setDialog(null)}
          onSaved={(stored) => {
            setDialog(null);
            const was = stored.previous_key ? ` (was ${stored.previous_key.key_alias ?? stored.previous_key.key_name})` : "";
            toast(`Provider ${stored.provider.name} ${providerKeyLabel(stored.provider)}${was}`);
            reloadAll();
          }}
        />
      )}
      {dialog?.kind === "details" && detailsHarness && (
        <HarnessDetails
          api={api}
          harness={detailsHarness}
          autoDoctor={dialog.doctor}
          onClose={() => setDialog(null)}
          onEdit={() => setDialog({ kind: "harness", harness: detailsHarness })}
          onPlay={() => play(detailsHarness.harness_id)}
          onRequests={openRequests}
          switchTo={switchTarget(detailsHarness, aliases)}
          onSwitch={(a) => switchModel(detailsHarness, a)}
          switching={switching != null}
          onDelete={() => setDialog({ kind: "delete-harness", harness: detailsHarness })}
        />
      )}
      {dialog?.kind === "switch" && (
        <SwitchRefused
          harness={dialog.harness}
          alias={dialog.alias}
          error={dialog.error}
          busy={switching != null}
          onClose={() => setDialog(null)}
          onForce={() => switchModel(dialog.harness, dialog.alias, true)}
        />
      )}
      {dialog?.kind === "delete-harness" && (
        <ConfirmDialog
          title={`Delete harness ${dialog.harness.harness_name}?`}
          confirmLabel="Delete harness"
          body={<p>DeleteHarness in {region}: its sessions end. The credential provider and the key stay.</p>}
          onConfirm={async () => {
            await api.deleteHarness(dialog.harness.harness_id);
            toast(`Deleting ${dialog.harness.harness_name}`);
            await harnesses.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === "delete-provider" && (
        <ConfirmDialog
          title={`Delete credential provider ${dialog.provider.name}?`}
          confirmLabel="Delete provider"
          body={<p>Harnesses using it can no longer fetch their key and fail. The key stays a key of this gateway (block or delete it on the Keys page).</p>}
          onConfirm={async () => {
            await api.deleteProvider(dialog.provider.name);
            toast(`Deleted ${dialog.provider.name}`);
            await providers.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}

function SwitchRefused({ harness, alias, error, busy, onClose, onForce }: { harness: Harness; alias: string; error: unknown; busy: boolean; onClose: () => void; onForce: () => void }) {
  const refused = error instanceof AgentCoreError && error.refusedByDoctor ? error : null;
  return (
    <Modal
      title={refused ? `The doctor refused to switch ${harness.harness_name} to ${LITELLM_PREFIX}${alias}` : `Could not switch ${harness.harness_name}`}
      onClose={onClose}
      wide
      testid="switch-refused"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          {refused?.forceOffered && (
            <button type="button" className="btn btn-danger" onClick={onForce} disabled={busy} data-testid="switch-anyway">
              {busy ? "Switching…" : "Switch anyway"}
            </button>
          )}
        </>
      }
    >
      {refused?.doctor ? (
        <>
          <p>Nothing was changed. Fix what the doctor found, or switch anyway if the harness can work regardless (e.g. a local test).</p>
          <DoctorReportView report={refused.doctor} testid="switch-doctor-report" />
        </>
      ) : (
        <AwsErrorNotice error={error} testid="switch-error" />
      )}
    </Modal>
  );
}

function ProvidersCard({
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
  providers: Provider[];
  loading: boolean;
  error: unknown;
  teamName: (id: string | null) => string | null;
  onNew: () => void;
  onRotate: (p: Provider) => void;
  onDelete: (p: Provider) => void;
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

function HarnessesCard({
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
  harnesses: Harness[];
  aliases: string[];
  loading: boolean;
  error: unknown;
  switching: string | null;
  onNew: () => void;
  onWire: () => void;
  onOpen: (h: Harness) => void;
  onDoctor: (h: Harness) => void;
  onEdit: (h: Harness) => void;
  onPlay: (h: Harness) => void;
  onSwitch: (h: Harness, alias: string) => void;
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
