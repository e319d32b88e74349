// Spend over time: daily rows → a stacked series per group (top N, the rest as "other").

import type { DailySpend, SpendLog } from "./api.gen";

export interface Series {
  key: string;
  label: string;
  values: number[]; // one per day
  total: number;
}

export interface Chart {
  days: string[]; // YYYY-MM-DD, oldest first, no gaps
  series: Series[];
  max: number; // highest daily stack
  total: number;
}

/** The `n` UTC days ending today, oldest first. */
export function lastDays(n: number, today: Date = new Date()): string[] {
  const out: string[] = [];
  const base = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (let i = n - 1; i >= 0; i--) out.push(new Date(base - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

export type Metric = "spend" | "requests" | "tokens";

export function buildChart(rows: DailySpend[], days: string[], metric: Metric = "spend", top = 6): Chart {
  const index = new Map(days.map((d, i) => [d, i]));
  const groups = new Map<string, Series>();
  for (const r of rows) {
    const i = index.get(r.date);
    if (i === undefined) continue;
    const key = r.group ?? "(none)";
    let s = groups.get(key);
    if (!s) {
      s = { key, label: r.label || (r.group ? r.group : "(none)"), values: days.map(() => 0), total: 0 };
      groups.set(key, s);
    }
    const v = Number(r[metric]) || 0;
    s.values[i] += v;
    s.total += v;
  }
  let series = [...groups.values()].filter((s) => s.total > 0).sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  if (series.length > top) {
    const rest = series.slice(top - 1);
    const other: Series = { key: "__other__", label: `${rest.length} others`, values: days.map(() => 0), total: 0 };
    for (const s of rest) {
      s.values.forEach((v, i) => (other.values[i] += v));
      other.total += s.total;
    }
    series = [...series.slice(0, top - 1), other];
  }
  const stacks = days.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  return { days, series, max: Math.max(0, ...stacks), total: stacks.reduce((a, b) => a + b, 0) };
}

/** Daily rows from spend-log rows, for gateways without /switchboard/spend/daily. */
export function dailyFromLogs(
  logs: SpendLog[],
  group: "team" | "key" | "model",
  teamAlias: (id: string) => string | null = () => null,
): DailySpend[] {
  const map = new Map<string, DailySpend>();
  for (const l of logs) {
    const date = (l.startTime ?? "").slice(0, 10);
    const g = group === "team" ? l.team_id : group === "key" ? l.api_key : l.model_group;
    const label = group === "team" ? (l.team_id ? teamAlias(l.team_id) : null) : group === "key" ? l.key_alias : l.model_group;
    const id = `${date}|${g ?? ""}`;
    let row = map.get(id);
    if (!row) {
      row = { date, group: g ?? null, label: label ?? null, spend: 0, requests: 0, tokens: 0 };
      map.set(id, row);
    }
    row.spend += l.spend || 0;
    row.requests += 1;
    row.tokens += l.total_tokens || 0;
  }
  return [...map.values()];
}

/** A "nice" axis maximum and ticks for a value range. */
export function niceScale(max: number, ticks = 4): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.25 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const stepNorm = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  const step = stepNorm * mag;
  return { max: step * Math.ceil(max / step), step };
}

export const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#64748b", "#0891b2", "#db2777"];
