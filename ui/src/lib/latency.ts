import type { DeploymentLatency, LatencyBucket, LatencyPoint, LatencyReport, ModelLatency } from "./api.gen";

/** The windows the Performance page offers, and the buckets each is drawn in. */
export const WINDOWS = {
  "24h": { hours: 24, bucket: "hour", label: "24 h" },
  "7d": { hours: 168, bucket: "hour", label: "7 d" },
} as const satisfies Record<string, { hours: number; bucket: LatencyBucket; label: string }>;
export type WindowName = keyof typeof WINDOWS;

/** Above this error rate a deployment is highlighted. */
export const HIGH_ERROR_RATE = 0.05;

export interface LineSeries {
  key: string;
  label: string;
  /** One per slot; null where the slot had no calls (the line breaks there). */
  values: Array<number | null>;
  dashed?: boolean;
}

export interface LineChartData {
  /** The slots' starts (ISO 8601, UTC), oldest first. */
  slots: string[];
  series: LineSeries[];
  /** The largest value drawn (0 when there is none). */
  max: number;
}

const HOUR = 3_600_000;

/** The start of the slot `t` falls in (UTC). */
function slotStart(t: number, bucket: LatencyBucket): number {
  const size = bucket === "day" ? 24 * HOUR : HOUR;
  return Math.floor(t / size) * size;
}

/** The slot keys as the gateway writes them: `2026-01-02T03:00:00Z`. */
function slotKey(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Every slot from `hours` before `now` to now, whether it had calls or not. */
export function slotsOf(hours: number, bucket: LatencyBucket, now: Date = new Date()): string[] {
  const size = bucket === "day" ? 24 * HOUR : HOUR;
  const end = slotStart(now.getTime(), bucket);
  const first = slotStart(now.getTime() - hours * HOUR, bucket);
  const out: string[] = [];
  for (let t = first; t <= end; t += size) out.push(slotKey(t));
  return out;
}

/** A model's p50/p95 latency and time to first token per slot, for the line chart. */
export function latencyChart(model: ModelLatency | undefined, hours: number, bucket: LatencyBucket, now: Date = new Date()): LineChartData {
  const slots = slotsOf(hours, bucket, now);
  const byStart = new Map((model?.buckets ?? []).map((b) => [b.start, b]));
  const pick = (f: (b: LatencyPoint) => number | null | undefined) =>
    slots.map((s) => {
      const b = byStart.get(s);
      return b ? (f(b) ?? null) : null;
    });
  const series: LineSeries[] = [
    { key: "latency_p50", label: "Latency p50", values: pick((b) => b.latency_p50_ms) },
    { key: "latency_p95", label: "Latency p95", values: pick((b) => b.latency_p95_ms) },
    { key: "ttft_p50", label: "TTFT p50", values: pick((b) => b.ttft_p50_ms), dashed: true },
    { key: "ttft_p95", label: "TTFT p95", values: pick((b) => b.ttft_p95_ms), dashed: true },
  ].filter((s) => s.values.some((v) => v != null));
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v != null)));
  return { slots, series, max };
}

/** A slot's label on the time axis: the hour for a day's window, the day and hour beyond. */
export function slotLabel(iso: string, hours: number): string {
  const hh = iso.slice(11, 13);
  return hours <= 24 ? `${hh}:00` : `${iso.slice(5, 10)} ${hh}h`;
}

/** The model groups of a report, the busiest first. */
export function modelsByTraffic(report: LatencyReport | undefined): ModelLatency[] {
  return [...(report?.models ?? [])].sort((a, b) => b.requests - a.requests || a.model_group.localeCompare(b.model_group));
}

/** The deployments to list: the selected model's (all without one), the most failing first. */
export function deploymentRows(report: LatencyReport | undefined, model: string | null): DeploymentLatency[] {
  return (report?.deployments ?? [])
    .filter((d) => !model || d.model_group === model)
    .sort((a, b) => b.error_rate - a.error_rate || b.requests - a.requests || a.model_id.localeCompare(b.model_id));
}

/** 0.0625 → "6.3 %", 0 → "0 %": small rates keep a decimal, where 5 % is the line. */
export function formatErrorRate(rate: number | null | undefined): string {
  if (rate == null || !Number.isFinite(rate)) return "—";
  const pct = rate * 100;
  if (pct === 0 || pct >= 10) return `${Math.round(pct)} %`;
  return `${pct.toFixed(1).replace(/\.0$/, "")} %`;
}

export function isHighErrorRate(rate: number): boolean {
  return rate > HIGH_ERROR_RATE;
}
