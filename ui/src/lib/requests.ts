// The live request log: merging streamed rows into the list and filtering them.

import type { SpendLog } from "./api.gen";

export interface RequestFilter {
  key?: string; // token hash
  team?: string; // team id
  model?: string; // model group (alias)
  status?: string; // success | failure
}

export const MAX_ROWS = 500;

/** New rows first, no duplicates (by request_id), at most `max` rows. */
export function mergeRows(current: SpendLog[], incoming: SpendLog[], max = MAX_ROWS): SpendLog[] {
  const seen = new Set<string>();
  const out: SpendLog[] = [];
  const all = [...incoming, ...current].sort((a, b) => (b.startTime ?? "").localeCompare(a.startTime ?? ""));
  for (const row of all) {
    const id = row.request_id || `${row.startTime}-${row.api_key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(row);
    if (out.length >= max) break;
  }
  return out;
}

export function matchesFilter(row: SpendLog, f: RequestFilter): boolean {
  if (f.key && row.api_key !== f.key) return false;
  if (f.team && row.team_id !== f.team) return false;
  if (f.model && row.model_group !== f.model && row.model !== f.model) return false;
  if (f.status && row.status !== f.status) return false;
  return true;
}

/** The filter a link names: `#/requests?key=<token hash>&team=&model=&status=`. */
export function filterFromHash(hash: string): RequestFilter {
  const q = hash.indexOf("?");
  if (q === -1) return {};
  const params = new URLSearchParams(hash.slice(q + 1));
  const f: RequestFilter = {};
  for (const k of ["key", "team", "model", "status"] as const) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** The query string the gateway's /spend/logs understands for a filter. */
export function filterQuery(f: RequestFilter): Record<string, string | undefined> {
  return { api_key: f.key, team_id: f.team, model: f.model, status: f.status };
}

/** The error message stored with a failed request, if any. */
export function rowError(row: SpendLog): string | null {
  const info = row.metadata?.error_information as Record<string, unknown> | undefined;
  if (!info) {
    const outcome = row.metadata?.outcome;
    if (outcome === "client_disconnected") return "the client disconnected (stopped) before the end";
    if (typeof outcome === "string" && row.status !== "success" && outcome !== "completed") return outcome;
    return null;
  }
  const msg = info.error_message ?? info.message ?? info.error;
  if (typeof msg === "string") return msg;
  return JSON.stringify(info);
}

/** Today's (UTC day) totals from rows, for gateways without /switchboard/stats. */
export function todayTotals(rows: SpendLog[], now: Date = new Date()): { requests: number; errors: number; spend: number } {
  const day = now.toISOString().slice(0, 10);
  let requests = 0;
  let errors = 0;
  let spend = 0;
  for (const r of rows) {
    if (!r.startTime?.startsWith(day)) continue;
    requests++;
    if (r.status !== "success") errors++;
    spend += r.spend || 0;
  }
  return { requests, errors, spend };
}
