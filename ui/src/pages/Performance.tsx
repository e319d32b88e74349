import { useMemo, useState } from "react";
import { LineChart } from "../components/LineChart";
import { Badge, EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useInterval } from "../hooks";
import { formatMs, formatTokens } from "../lib/format";
import { WINDOWS, type WindowName, deploymentRows, formatErrorRate, isHighErrorRate, latencyChart, modelsByTraffic, slotLabel } from "../lib/latency";
import { Segmented } from "./shared";

export function PerformancePage() {
  const { gw, session } = useApp();
  const [windowName, setWindowName] = useState<WindowName>("24h");
  const [chosen, setChosen] = useState<string | null>(null);
  const win = WINDOWS[windowName];

  const report = useAsync(() => gw.latency(win.hours, win.bucket), [gw, win.hours, win.bucket]);
  useInterval(() => void report.reload(), 15_000);

  const models = useMemo(() => modelsByTraffic(report.data), [report.data]);
  // The chosen model while it has calls in the window, else the busiest.
  const model = models.find((m) => m.model_group === chosen) ?? models[0];
  const chart = useMemo(() => latencyChart(model, win.hours, win.bucket), [model, win.hours, win.bucket]);
  const deployments = useMemo(() => deploymentRows(report.data, model?.model_group ?? null), [report.data, model]);
  const axisLabel = (slot: string) => slotLabel(slot, win.hours);

  return (
    <div className="page">
      <PageHeader title="Performance" subtitle="How fast models answer and how often deployments fail, from the spend rows. Hours are UTC." />
      <div className="toolbar">
        <label className="segmented">
          <span className="muted small">Model</span>
          <select className="input input-sm perf-model" value={model?.model_group ?? ""} onChange={(e) => setChosen(e.target.value)} disabled={!models.length} data-testid="perf-model" title={model?.model_group}>
            {!models.length && <option value="">No models yet</option>}
            {models.map((m) => (
              <option key={m.model_group} value={m.model_group}>
                {m.model_group} ({formatTokens(m.requests)})
              </option>
            ))}
          </select>
        </label>
        <Segmented label="Window" value={windowName} options={Object.entries(WINDOWS).map(([k, w]) => [k, w.label])} onChange={(v) => setWindowName(v as WindowName)} testid="perf-window" />
        {report.data?.truncated && <span className="muted small">from the newest 200,000 requests of the window</span>}
      </div>
      {report.error != null && <ErrorNotice error={report.error} ctx={{ admin: true, gatewayUrl: session.url }} testid="perf-error" />}
      {!report.data && report.loading && <Spinner label="Loading latency…" />}
      {report.data && !model && (
        <EmptyState title="No requests in this window" testid="perf-empty" action={<a className="btn btn-primary" href="#/playground">Open the playground</a>}>
          Latency and time to first token are measured on every request that reaches a provider. Send a request, and its figures show here by model and deployment.
        </EmptyState>
      )}
      {report.data && model && (
        <>
          <div className="card">
            <div className="card-head">
              <h2 className="ellipsis-line" title={model.model_group}>
                Latency and time to first token · {model.model_group}
              </h2>
              <span className="muted small nowrap">
                {formatTokens(model.requests)} requests · {formatErrorRate(model.requests ? model.errors / model.requests : 0)} errors
              </span>
            </div>
            {chart.series.length ? (
              <LineChart chart={chart} format={formatMs} slotLabel={axisLabel} minScale={4} testid="perf-chart" />
            ) : (
              <p className="muted" data-testid="perf-no-latency">
                No call of this model reached a deployment in this window.
              </p>
            )}
            {!chart.series.some((s) => s.key.startsWith("ttft")) && chart.series.length > 0 && <p className="muted small">Time to first token is measured on streamed requests; this model had none.</p>}
          </div>
          <div className="card card-flush">
            <table className="table perf-table" data-testid="perf-deployments">
              <thead>
                <tr>
                  <th className="perf-deployment-col">Deployment</th>
                  <th>Provider</th>
                  <th className="num">Requests</th>
                  <th className="num">Error rate</th>
                  <th className="num">p50</th>
                  <th className="num">p95</th>
                </tr>
              </thead>
              <tbody>
                {deployments.length === 0 && (
                  <tr>
                    <td colSpan={6} className="muted center">
                      No call of this model reached a deployment in this window.
                    </td>
                  </tr>
                )}
                {deployments.map((d) => {
                  const high = isHighErrorRate(d.error_rate);
                  return (
                    <tr key={`${d.model_group}|${d.model_id}`} data-testid="perf-deployment" className={high ? "row-danger" : undefined}>
                      <td title={`${d.model} (${d.model_id})`}>
                        <div className="mono ellipsis-line">{d.model}</div>
                        <div className="muted small mono ellipsis-line">{d.model_id}</div>
                      </td>
                      <td>{d.provider}</td>
                      <td className="num mono">{formatTokens(d.requests)}</td>
                      <td className="num mono" data-testid="perf-error-rate">
                        {high ? <Badge tone="red" title={`${d.errors} of ${d.requests} failed`}>{formatErrorRate(d.error_rate)}</Badge> : formatErrorRate(d.error_rate)}
                      </td>
                      <td className="num mono">{formatMs(d.latency_p50_ms)}</td>
                      <td className="num mono">{formatMs(d.latency_p95_ms)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
