import { useEffect, useMemo, useRef, useState } from "react";
import { KeyFilter } from "../components/KeyFilter";
import { Badge, CopyButton, EmptyState, ErrorNotice, Modal, PageHeader, StatusBadge } from "../components/ui";
import { useApp } from "../context";
import { useAsync } from "../hooks";
import { isMissingRoute } from "../lib/api";
import type { SpendLog } from "../lib/api.gen";
import { formatCost, formatMs, formatTime, formatTokens, shortId } from "../lib/format";
import { type RequestFilter, filterFromHash, filterQuery, matchesFilter, mergeRows, rowError } from "../lib/requests";

type Live = "connecting" | "live" | "polling" | "reconnecting" | "paused";

export function RequestsPage() {
  const { gw, session } = useApp();
  const [filter, setFilter] = useState<RequestFilter>(() => filterFromHash(window.location.hash));
  const [rows, setRows] = useState<SpendLog[]>([]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [live, setLive] = useState<Live>("connecting");
  const [paused, setPaused] = useState(false);
  const [detail, setDetail] = useState<SpendLog | null>(null);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  const lists = useAsync(async () => {
    const [teams, aliases] = await Promise.all([gw.teamList(), gw.modelNames()]);
    return { teams, aliases };
  }, [gw]);
  const initial = useAsync(() => gw.spendLogs({ limit: 200, ...filterQuery(filter) }), [gw, filter.key, filter.team, filter.model, filter.status]);
  useEffect(() => {
    if (initial.data) setRows((current) => mergeRows(current.filter((r) => matchesFilter(r, filterRef.current)), initial.data ?? []));
  }, [initial.data]);

  const teamName = useMemo(() => new Map((lists.data?.teams ?? []).map((t) => [t.team_id, t.team_alias ?? t.team_id])), [lists.data]);

  // Live rows: the gateway's SSE stream; polling /spend/logs when the gateway has none.
  useEffect(() => {
    const controller = new AbortController();
    let stopped = false;
    let pollTimer = 0;
    const add = (incoming: SpendLog[]) => {
      if (pausedRef.current) return;
      const matching = incoming.filter((r) => matchesFilter(r, filterRef.current));
      if (!matching.length) return;
      setRows((current) => mergeRows(current, matching));
      setFresh((f) => new Set([...f, ...matching.map((r) => r.request_id)]));
      window.setTimeout(() => setFresh((f) => new Set([...f].filter((id) => !matching.some((r) => r.request_id === id)))), 2500);
    };
    const poll = async () => {
      if (stopped) return;
      try {
        add(await gw.spendLogs({ limit: 50, ...filterQuery(filterRef.current) }));
        setLive("polling");
      } catch {
        setLive("reconnecting");
      }
      pollTimer = window.setTimeout(poll, 3000);
    };
    const follow = async () => {
      let delay = 500;
      while (!stopped) {
        try {
          await gw.followRequests((row) => add([row]), controller.signal, () => {
            setLive("live");
            delay = 500;
          });
        } catch (e) {
          if (isMissingRoute(e)) {
            void poll();
            return;
          }
        }
        if (stopped) return;
        setLive("reconnecting");
        await new Promise((r) => window.setTimeout(r, delay));
        delay = Math.min(delay * 2, 8000);
      }
    };
    void follow();
    return () => {
      stopped = true;
      controller.abort();
      window.clearTimeout(pollTimer);
    };
  }, [gw]);

  const setF = (k: keyof RequestFilter) => (v: string) => setFilter((f) => ({ ...f, [k]: v || undefined }));
  const anyFilter = Object.values(filter).some(Boolean);
  const shown = rows.filter((r) => matchesFilter(r, filter));
  const keyLabel = (r: SpendLog) => r.key_alias ?? (r.api_key === "litellm-proxy-master-key" ? "master key" : shortId(r.api_key, 8, 0));

  return (
    <div className="page">
      <PageHeader
        title="Requests"
        subtitle="Every call through the gateway, as it completes."
        actions={
          <>
            <LiveIndicator state={paused ? "paused" : live} />
            <button type="button" className="btn btn-sm" onClick={() => setPaused((p) => !p)} data-testid="requests-pause">
              {paused ? "Resume" : "Pause"}
            </button>
          </>
        }
      />
      <div className="filters" data-testid="requests-filters">
        <KeyFilter gw={gw} value={filter.key} onChange={(token) => setF("key")(token ?? "")} />
        <select className="input input-sm" value={filter.team ?? ""} onChange={(e) => setF("team")(e.target.value)} aria-label="Team" data-testid="filter-team">
          <option value="">All teams</option>
          {(lists.data?.teams ?? []).map((t) => (
            <option key={t.team_id} value={t.team_id}>
              {t.team_alias ?? t.team_id}
            </option>
          ))}
        </select>
        <select className="input input-sm" value={filter.model ?? ""} onChange={(e) => setF("model")(e.target.value)} aria-label="Model" data-testid="filter-model">
          <option value="">All models</option>
          {(lists.data?.aliases ?? []).map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <select className="input input-sm" value={filter.status ?? ""} onChange={(e) => setF("status")(e.target.value)} aria-label="Status" data-testid="filter-status">
          <option value="">Any status</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
        </select>
        {anyFilter && (
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => setFilter({})}>
            Clear filters
          </button>
        )}
        <span className="muted small filters-count">{shown.length} requests</span>
      </div>
      {initial.error != null && <ErrorNotice error={initial.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
      {initial.data && shown.length === 0 ? (
        anyFilter ? (
          <EmptyState title="No request matches these filters" action={<button type="button" className="btn" onClick={() => setFilter({})}>Clear filters</button>}>
            New requests that match appear here as they complete.
          </EmptyState>
        ) : (
          <EmptyState title="No requests yet" action={<a className="btn btn-primary" href="#/playground">Open the playground</a>}>
            Requests appear here live, as they complete. Send one from the playground, or point a client at <code>{session.url}/v1</code>.
          </EmptyState>
        )
      ) : (
        <div className="card card-flush">
          <table className="table table-hover" data-testid="requests-table">
            <colgroup>
              <col style={{ width: "84px" }} />
              <col style={{ width: "82px" }} />
              <col style={{ width: "15%" }} />
              <col style={{ width: "13%" }} />
              <col style={{ width: "15%" }} />
              <col style={{ width: "104px" }} />
              <col style={{ width: "100px" }} />
              <col style={{ width: "84px" }} />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th>Time</th>
                <th>Status</th>
                <th>Key</th>
                <th>Team</th>
                <th>Model</th>
                <th className="num">Tokens in/out</th>
                <th className="num">Cost</th>
                <th className="num">Duration</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => {
                const err = rowError(r);
                return (
                  <tr
                    key={r.request_id}
                    className={fresh.has(r.request_id) ? "fresh" : ""}
                    onClick={() => setDetail(r)}
                    onKeyDown={(e) => e.key === "Enter" && setDetail(r)}
                    tabIndex={0}
                    data-testid="request-row"
                    data-model={r.model_group}
                    data-status={r.status}
                  >
                    <td className="mono nowrap" title={r.startTime}>
                      {formatTime(r.startTime)}
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td className="ellipsis" title={r.key_alias ?? r.api_key}>
                      {keyLabel(r)}
                    </td>
                    <td className="ellipsis">{r.team_id ? (teamName.get(r.team_id) ?? shortId(r.team_id)) : <span className="muted">—</span>}</td>
                    <td className="ellipsis" title={`${r.model_group} → ${r.model}`}>
                      {r.model_group}
                    </td>
                    <td className="num mono">
                      {formatTokens(r.prompt_tokens)}/{formatTokens(r.completion_tokens)}
                    </td>
                    <td className="num mono" data-testid="request-cost">
                      {formatCost(r.spend)}
                    </td>
                    <td className="num mono">{formatMs(r.request_duration_ms)}</td>
                    <td className="ellipsis error-text" title={err ?? ""}>
                      {err ?? ""}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {detail && <RequestDetail row={detail} teamName={detail.team_id ? teamName.get(detail.team_id) : undefined} onClose={() => setDetail(null)} />}
    </div>
  );
}

function LiveIndicator({ state }: { state: Live }) {
  const label = { connecting: "Connecting…", live: "Live", polling: "Live (polling every 3 s)", reconnecting: "Reconnecting…", paused: "Paused" }[state];
  return (
    <span className={`live live-${state}`} data-testid="live-indicator" data-state={state}>
      <span className="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function RequestDetail({ row, teamName, onClose }: { row: SpendLog; teamName?: string; onClose: () => void }) {
  const err = rowError(row);
  const json = JSON.stringify(row, null, 2);
  return (
    <Modal title="Request" onClose={onClose} wide testid="request-detail">
      <dl className="dl dl-grid">
        <dt>Request id</dt>
        <dd className="mono">{row.request_id}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={row.status} />
        </dd>
        <dt>Key</dt>
        <dd>{row.key_alias ?? row.api_key}</dd>
        <dt>Team</dt>
        <dd>{teamName ?? row.team_id ?? "—"}</dd>
        <dt>Model</dt>
        <dd>
          {row.model_group} → <span className="mono">{row.model}</span> <Badge>{row.custom_llm_provider}</Badge>
        </dd>
        <dt>Tokens</dt>
        <dd>
          {formatTokens(row.prompt_tokens)} in · {formatTokens(row.completion_tokens)} out · {formatTokens(row.total_tokens)} total
        </dd>
        <dt>Cost</dt>
        <dd>{formatCost(row.spend)}</dd>
        <dt>Time</dt>
        <dd>
          {row.startTime} · {formatMs(row.request_duration_ms)}
        </dd>
        {err && (
          <>
            <dt>Error</dt>
            <dd className="error-text">{err}</dd>
          </>
        )}
      </dl>
      <div className="snippet">
        <pre className="json">{json}</pre>
        <div className="snippet-copy">
          <CopyButton text={json} />
        </div>
      </div>
    </Modal>
  );
}
