import { useState } from "react";
import { CopyButton, CopyField, ErrorNotice, PageHeader, StatusBadge } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useInterval } from "../hooks";
import { isMissingRoute } from "../lib/api";
import type { GatewayInfo, Monitoring, ReplicaInfo, SpendLog, SpendStats } from "../lib/api.gen";
import { formatCost, formatMs, formatTime, formatTokens, formatUptime, formatRelative } from "../lib/format";
import { todayTotals } from "../lib/requests";
import { KEY_PLACEHOLDER, SNIPPET_KEY_ENV, SNIPPET_LABELS, type SnippetKind, openaiBaseUrl, prometheusScrapeConfig, snippet } from "../lib/snippets";

interface OverviewData {
  info: GatewayInfo | null;
  stats: SpendStats;
  statsExact: boolean;
  recent: SpendLog[];
  aliases: string[];
  teams: number;
  keys: number;
}

export function OverviewPage() {
  const { gw, session, go } = useApp();
  const data = useAsync<OverviewData>(async () => {
    const [infoR, statsR, recent, aliases, teams, keys] = await Promise.all([
      gw.info().catch(async (e) => {
        if (!isMissingRoute(e)) throw e;
        const r = await gw.readiness();
        return { version: r.switchboard_version ?? r.litellm_version ?? "?", uptime_seconds: r.uptime_seconds ?? NaN, database: r.db ?? "?", models: r.models ?? 0, deployments: NaN } satisfies GatewayInfo;
      }),
      gw.stats().catch((e) => (isMissingRoute(e) ? null : Promise.reject(e))),
      gw.spendLogs({ limit: 200 }),
      gw.modelNames(),
      gw.teamCount(),
      // The count, not the keys: a page of one says how many there are (a million, or none).
      gw.keyPage({ page: 1, size: 1 }),
    ]);
    let stats = statsR;
    if (!stats) {
      const t = todayTotals(recent);
      stats = { requests_today: t.requests, errors_today: t.errors, spend_today: t.spend, requests_total: recent.length, spend_total: NaN };
    }
    return { info: infoR, stats, statsExact: statsR != null, recent: recent.slice(0, 6), aliases, teams, keys: keys.total };
  }, [gw]);
  useInterval(() => void data.reload(), 5000);
  const d = data.data;

  return (
    <div className="page">
      <PageHeader title="Overview" subtitle={<span className="mono">{session.url}</span>} />
      {data.error != null && !d && <ErrorNotice error={data.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
      <div className="stat-grid" data-testid="overview-stats">
        <StatCard label="Health" testid="stat-health" value={d ? <StatusBadge status={data.error ? "unreachable" : "healthy"} /> : "…"} sub={d?.info ? `v${d.info.version} · ${d.info.database}` : ""} />
        <StatCard label="Uptime" testid="stat-uptime" value={d?.info ? formatUptime(d.info.uptime_seconds) : "…"} sub={d?.info ? `${d.info.models} models${Number.isFinite(d.info.deployments) ? ` · ${d.info.deployments} deployments` : ""}` : ""} />
        <StatCard label="Requests today" testid="stat-requests" value={d ? formatTokens(d.stats.requests_today) : "…"} sub={d && Number.isFinite(d.stats.requests_total) ? `${formatTokens(d.stats.requests_total)} in total` : ""} />
        <StatCard label="Spend today" testid="stat-spend" value={d ? formatCost(d.stats.spend_today) : "…"} sub={d && Number.isFinite(d.stats.spend_total) ? `${formatCost(d.stats.spend_total)} in total` : "UTC day"} />
        <StatCard label="Errors today" testid="stat-errors" value={d ? formatTokens(d.stats.errors_today) : "…"} tone={d && d.stats.errors_today > 0 ? "red" : undefined} sub={d && d.stats.requests_today ? `${Math.round((100 * d.stats.errors_today) / d.stats.requests_today)} % of requests` : ""} />
      </div>
      {d && !d.statsExact && <p className="muted small">Today's numbers are counted from the last 200 requests: this gateway has no /switchboard/stats.</p>}

      <div className="grid-2">
        <ConnectCard aliases={d?.aliases ?? []} />
        <div className="card">
          <div className="card-head">
            <h2>Get started</h2>
          </div>
          <ol className="checklist" data-testid="checklist">
            <Check done={(d?.aliases.length ?? 0) > 0} label="Add a model" detail={d ? plural(d.aliases.length, "model alias", "model aliases") : ""} onClick={() => go("models")} />
            <Check done={(d?.teams ?? 0) > 0} label="Create a team with the models it may use" detail={d ? plural(d.teams, "team") : ""} onClick={() => go("teams")} />
            <Check done={(d?.keys ?? 0) > 0} label="Generate a virtual key for the team" detail={d ? plural(d.keys, "key") : ""} onClick={() => go("keys")} />
            <Check done={(d?.stats.requests_total ?? 0) > 0 || (d?.recent.length ?? 0) > 0} label="Send a first request in the playground" detail="" onClick={() => go("playground")} />
          </ol>
          <div className="card-head">
            <h2>Recent requests</h2>
            <a href="#/requests" className="btn-link">
              All requests →
            </a>
          </div>
          {d && d.recent.length === 0 ? (
            <p className="muted">No requests yet. Send one from the playground, or point a client at the base URL.</p>
          ) : (
            <table className="table table-compact recent">
              <colgroup>
                <col style={{ width: "74px" }} />
                <col />
                <col />
                <col style={{ width: "96px" }} />
                <col style={{ width: "64px" }} />
                <col style={{ width: "74px" }} />
              </colgroup>
              <tbody>
                {(d?.recent ?? []).map((r) => (
                  <tr key={r.request_id}>
                    <td className="mono nowrap">{formatTime(r.startTime)}</td>
                    <td className="ellipsis" title={r.model_group}>
                      {r.model_group}
                    </td>
                    <td className="ellipsis" title={r.key_alias ?? ""}>
                      {r.key_alias ?? (r.api_key === "litellm-proxy-master-key" ? "master key" : "—")}
                    </td>
                    <td className="num">{formatCost(r.spend)}</td>
                    <td className="num nowrap">{formatMs(r.request_duration_ms)}</td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      {d?.info?.replicas && d.info.replicas.length > 1 && <ReplicasCard replicas={d.info.replicas} sharedLimits={d.info.shared_limits} />}
      {d?.info?.monitoring && <MonitoringCard monitoring={d.info.monitoring} />}
    </div>
  );
}

/** The replicas on the gateway's PostgreSQL database (a deployment with several tasks). */
function ReplicasCard({ replicas, sharedLimits }: { replicas: ReplicaInfo[]; sharedLimits: GatewayInfo["shared_limits"] }) {
  return (
    <div className="card card-flush" data-testid="replicas-card">
      <div className="card-head pad">
        <h2>Replicas</h2>
        <span className="muted small" data-testid="replicas-sharing">
          {plural(replicas.length, "replica")} on one database: keys, changes and spend shared
          {sharedLimits ? (sharedLimits.redis_up ? "; limits, budgets and routing shared through Redis" : "; Redis is away, each limits its own calls") : "; rate limits per replica (no Redis)"}
        </span>
      </div>
      <table className="table table-compact" data-testid="replicas">
        <thead>
          <tr>
            <th>Host</th>
            <th>Version</th>
            <th>Started</th>
            <th>Last heard</th>
          </tr>
        </thead>
        <tbody>
          {replicas.map((r) => (
            <tr key={r.id} data-testid="replica" data-this-one={r.this_one ? "true" : "false"}>
              <td className="mono ellipsis" title={`${r.host} · ${r.id}`}>
                {r.host} <span className="muted small">{r.id.slice(0, 8)}</span> {r.this_one && <span className="muted small">(this one)</span>}
              </td>
              <td className="mono">{r.version}</td>
              <td>{formatRelative(r.started_at)}</td>
              <td>{r.this_one ? "now" : formatRelative(r.last_seen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Where Prometheus and an OpenTelemetry collector read this gateway. */
function MonitoringCard({ monitoring }: { monitoring: Monitoring }) {
  const { session } = useApp();
  const base = session.url.replace(/\/+$/, "");
  const scrape = prometheusScrapeConfig(base, !monitoring.metrics_open);
  return (
    <div className="card" data-testid="monitoring-card">
      <div className="card-head">
        <h2>Monitoring</h2>
      </div>
      <div className="kv">
        <div className="kv-label">Prometheus metrics</div>
        <CopyField value={`${base}/metrics`} testid="metrics-url" />
        <div className="kv-label">Scraping</div>
        <div data-testid="metrics-access">
          {monitoring.metrics_open
            ? "Open to anyone on this machine (the gateway listens on loopback)."
            : monitoring.metrics_token_set
              ? "Needs the metrics token (general_settings.metrics_token), the master key or an admin key."
              : "Needs the master key or an admin key; set general_settings.metrics_token to give Prometheus a token of its own."}
        </div>
        <div className="kv-label">Traces</div>
        <div data-testid="traces-status">
          {monitoring.traces_endpoint ? (
            <>
              Sending OpenTelemetry spans to <code className="break-all">{monitoring.traces_endpoint}</code>
            </>
          ) : (
            <span className="muted">
              Off. Set <code>OTEL_EXPORTER_OTLP_ENDPOINT</code> (OTLP/HTTP) before starting the gateway.
            </span>
          )}
        </div>
      </div>
      <div className="snippet">
        <pre data-testid="scrape-config">{scrape}</pre>
        <div className="snippet-copy">
          <CopyButton text={scrape} testid="scrape-config-copy" />
        </div>
      </div>
      <p className="muted small">
        Metric names and labels are LiteLLM&apos;s, so its Grafana dashboards work unchanged.
      </p>
    </div>
  );
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function StatCard({ label, value, sub, tone, testid }: { label: string; value: React.ReactNode; sub?: string; tone?: "red"; testid?: string }) {
  return (
    <div className={`stat${tone ? ` stat-${tone}` : ""}`} data-testid={testid}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      <div className="stat-sub">{sub || "\u00a0"}</div>
    </div>
  );
}

function Check({ done, label, detail, onClick }: { done: boolean; label: string; detail: string; onClick: () => void }) {
  return (
    <li className={done ? "done" : ""}>
      <span className="check-mark" aria-hidden="true">
        {done ? "✓" : ""}
      </span>
      <button type="button" className="btn-link" onClick={onClick}>
        {label}
      </button>
      {detail && <span className="muted small"> · {detail}</span>}
    </li>
  );
}

/** The base URL and snippets for the openai SDK, curl, litellm_proxy/<alias> and a harness. */
export function ConnectCard({ aliases }: { aliases: string[] }) {
  const { session, sessionKeys } = useApp();
  const [kind, setKind] = useState<SnippetKind>("python");
  const [model, setModel] = useState("");
  const [keyToken, setKeyToken] = useState("");
  const alias = model || aliases[0] || "claude-haiku";
  const key = sessionKeys.find((k) => k.token === keyToken)?.key ?? KEY_PLACEHOLDER;
  const text = snippet(kind, { gatewayUrl: session.url, model: alias, apiKey: key });
  return (
    <div className="card" data-testid="connect-card">
      <div className="card-head">
        <h2>Connect a client</h2>
        <div className="snippet-opts">
          <select className="input input-sm" value={alias} onChange={(e) => setModel(e.target.value)} aria-label="Model for the snippets" data-testid="snippet-model">
            {(aliases.length ? aliases : [alias]).map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
          <select className="input input-sm" value={keyToken} onChange={(e) => setKeyToken(e.target.value)} aria-label="Key for the snippets">
            <option value="">key placeholder</option>
            {sessionKeys.map((k) => (
              <option key={k.token} value={k.token}>
                {k.alias ?? k.key.slice(0, 8)} (this tab)
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="kv">
        <div className="kv-label">OpenAI base URL</div>
        <CopyField value={openaiBaseUrl(session.url)} testid="base-url" />
        <div className="kv-label">LiteLLM clients</div>
        <CopyField value={`litellm_proxy/${alias}`} testid="litellm-model" />
      </div>
      <div className="snippet-bar">
        <div className="tabs" role="tablist">
          {(Object.keys(SNIPPET_LABELS) as SnippetKind[]).map((k) => (
            <button key={k} type="button" role="tab" aria-selected={kind === k} className={`tab${kind === k ? " active" : ""}`} onClick={() => setKind(k)} data-testid={`snippet-tab-${k}`}>
              {SNIPPET_LABELS[k]}
            </button>
          ))}
        </div>
      </div>
      <div className="snippet">
        <pre data-testid="snippet">{text}</pre>
        <div className="snippet-copy">
          <CopyButton text={text} testid="snippet-copy" />
        </div>
      </div>
      {kind === "claude-code" || kind === "agents" ? (
        <p className="muted small" data-testid="snippet-note">
          {kind === "claude-code" ? (
            <>
              Claude Code speaks Anthropic&apos;s Messages API: the gateway serves it at <code>/v1/messages</code> for every model.{" "}
            </>
          ) : (
            <>
              The Agents SDK calls Chat Completions at <code>{openaiBaseUrl(session.url)}</code>; tracing is turned off as it would go to OpenAI.{" "}
            </>
          )}
          The key comes from <code>{SNIPPET_KEY_ENV}</code>: <code>export {SNIPPET_KEY_ENV}=sk-…</code> with a virtual key first.
        </p>
      ) : kind === "litellm" || kind === "harness" ? (
        <p className="muted small">
          LiteLLM-based clients (the litellm SDK, Strands Agents, an AgentCore harness) need the <code>litellm_proxy/</code> prefix; without it they fail with “LLM Provider NOT provided”.
        </p>
      ) : (
        <p className="muted small">
          The OpenAI SDK uses the alias as it is: <code>{alias}</code>.
        </p>
      )}
    </div>
  );
}
