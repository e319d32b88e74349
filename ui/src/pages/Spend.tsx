import { useMemo, useState } from "react";
import { StackedBarChart } from "../components/BarChart";
import { EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useInterval } from "../hooks";
import { isMissingRoute } from "../lib/api";
import { formatCost, formatTokens, shortId } from "../lib/format";
import { type Metric, buildChart, dailyFromLogs, lastDays } from "../lib/spend";
import { Segmented } from "./shared";

type Group = "team" | "key" | "model";

export function SpendPage() {
  const { gw, session } = useApp();
  const [group, setGroup] = useState<Group>("model");
  const [days, setDays] = useState(30);
  const [metric, setMetric] = useState<Metric>("spend");

  const daily = useAsync(async () => {
    try {
      return { rows: await gw.dailySpend(group, days), exact: true };
    } catch (e) {
      if (!isMissingRoute(e)) throw e;
      const [logs, teams] = await Promise.all([gw.spendLogs({ limit: 1000 }), gw.teamList()]);
      const alias = new Map(teams.map((t) => [t.team_id, t.team_alias]));
      return { rows: dailyFromLogs(logs, group, (id) => alias.get(id) ?? null), exact: false };
    }
  }, [gw, group, days]);
  const totals = useAsync(async () => {
    const [global, keys, teams, models] = await Promise.all([gw.globalSpend(), gw.spendByKey(), gw.spendByTeam(), gw.spendByModel()]);
    return { global: global.spend, keys, teams: teams.total_spend_per_team ?? [], models };
  }, [gw]);
  useInterval(() => {
    void daily.reload();
    void totals.reload();
  }, 10_000);

  const chart = useMemo(() => buildChart(daily.data?.rows ?? [], lastDays(days), metric), [daily.data, days, metric]);
  const table = useMemo(() => {
    const t = totals.data;
    if (!t) return [];
    if (group === "key") return t.keys.map((k) => ({ id: k.api_key, label: k.key_alias ?? shortId(k.api_key), spend: k.total_spend, requests: k.requests, tokens: k.total_tokens }));
    if (group === "team") return t.teams.map((k) => ({ id: k.team_id, label: k.team_alias ?? k.team_id, spend: k.total_spend, requests: k.requests, tokens: undefined }));
    return t.models.map((k) => ({ id: k.model, label: k.model, spend: k.total_spend, requests: k.requests, tokens: k.total_tokens }));
  }, [totals.data, group]);
  const noData = daily.data && totals.data && totals.data.global === 0 && chart.total === 0 && table.every((r) => !r.requests);

  return (
    <div className="page">
      <PageHeader title="Spend" subtitle="What was spent, by whom and on what. Days are UTC." />
      <div className="toolbar">
        <Segmented label="Group by" value={group} options={[["model", "Model"], ["team", "Team"], ["key", "Key"]]} onChange={(v) => setGroup(v as Group)} testid="spend-group" />
        <Segmented label="Show" value={metric} options={[["spend", "Spend"], ["requests", "Requests"], ["tokens", "Tokens"]]} onChange={(v) => setMetric(v as Metric)} testid="spend-metric" />
        <Segmented label="Period" value={String(days)} options={[["7", "7 days"], ["30", "30 days"], ["90", "90 days"]]} onChange={(v) => setDays(Number(v))} testid="spend-days" />
        <div className="toolbar-total">
          <span className="muted small">Total spend</span> <strong className="mono" data-testid="spend-total">{totals.data ? formatCost(totals.data.global) : "…"}</strong>
        </div>
      </div>
      {(daily.error ?? totals.error) != null && <ErrorNotice error={daily.error ?? totals.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
      {!daily.data && daily.loading && <Spinner label="Loading spend…" />}
      {noData ? (
        <EmptyState title="Nothing spent yet" action={<a className="btn btn-primary" href="#/playground">Open the playground</a>}>
          Spend is recorded for every request that reaches a provider. Send a request, and it shows here by model, team and key.
        </EmptyState>
      ) : (
        daily.data && (
          <>
            <div className="card">
              <div className="card-head">
                <h2>
                  {metric === "spend" ? "Spend" : metric === "requests" ? "Requests" : "Tokens"} per day by {group}
                </h2>
                {!daily.data.exact && <span className="muted small">from the last 1,000 requests (this gateway has no /switchboard/spend/daily)</span>}
              </div>
              <StackedBarChart chart={chart} metric={metric} />
            </div>
            <div className="card card-flush">
              <table className="table" data-testid="spend-table">
                <thead>
                  <tr>
                    <th>{group === "key" ? "Key" : group === "team" ? "Team" : "Model"}</th>
                    <th className="num">Requests</th>
                    <th className="num">Tokens</th>
                    <th className="num">Spend (all time)</th>
                  </tr>
                </thead>
                <tbody>
                  {table.length === 0 && (
                    <tr>
                      <td colSpan={4} className="muted center">
                        No spend by {group} yet.
                      </td>
                    </tr>
                  )}
                  {table.map((r) => (
                    <tr key={r.id ?? r.label} data-testid="spend-row">
                      <td className="ellipsis" title={r.id ?? ""}>
                        {r.label}
                      </td>
                      <td className="num mono">{r.requests != null ? formatTokens(r.requests) : "—"}</td>
                      <td className="num mono">{r.tokens != null ? formatTokens(r.tokens) : "—"}</td>
                      <td className="num mono">{formatCost(r.spend)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )
      )}
    </div>
  );
}
