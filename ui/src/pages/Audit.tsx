import { Fragment, useMemo, useState } from "react";
import { Badge, EmptyState, ErrorNotice, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useDebounced } from "../hooks";
import type { AuditEntry } from "../lib/api.gen";
import { ACTIONS, OBJECT_TYPES, actionTone, actorLabel, callerKey, changeSummary, diffRecords, formatValue, objectName, objectType } from "../lib/audit";
import { formatTime, shortId } from "../lib/format";

const PAGE_SIZE = 25;

interface Filter {
  table_name?: string;
  action?: string;
  changed_by?: string;
  object_id?: string;
}

export function AuditPage() {
  const { gw, session } = useApp();
  const [filter, setFilter] = useState<Filter>({});
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const settled = useDebounced(filter, 300);
  const log = useAsync(() => gw.auditLog({ ...settled, page, page_size: PAGE_SIZE }), [gw, settled, page]);

  const setF = (k: keyof Filter) => (v: string) => {
    setFilter((f) => ({ ...f, [k]: v || undefined }));
    setPage(1);
  };
  const clear = () => {
    setFilter({});
    setPage(1);
  };
  const toggle = (id: string) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const anyFilter = Object.values(filter).some(Boolean);
  const data = log.data;
  const rows = data?.audit_logs ?? [];
  const totalPages = Math.max(1, data?.total_pages ?? 1);

  return (
    <div className="page">
      <PageHeader title="Audit" subtitle="Every change to keys, teams, users, models, budgets, organizations, customers, AgentCore and deployments: who, when, before and after." />
      <div className="filters" data-testid="audit-filters">
        <select className="input input-sm" value={filter.table_name ?? ""} onChange={(e) => setF("table_name")(e.target.value)} aria-label="Object type" data-testid="audit-filter-type">
          <option value="">All objects</option>
          {OBJECT_TYPES.map((t) => (
            <option key={t.table} value={t.table}>
              {t.label}
            </option>
          ))}
        </select>
        <select className="input input-sm" value={filter.action ?? ""} onChange={(e) => setF("action")(e.target.value)} aria-label="Action" data-testid="audit-filter-action">
          <option value="">Any action</option>
          {ACTIONS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <input className="input input-sm" value={filter.changed_by ?? ""} onChange={(e) => setF("changed_by")(e.target.value)} placeholder="Who" aria-label="Who" data-testid="audit-filter-who" />
        <input className="input input-sm" value={filter.object_id ?? ""} onChange={(e) => setF("object_id")(e.target.value)} placeholder="Object id" aria-label="Object id" data-testid="audit-filter-object" />
        {anyFilter && (
          <button type="button" className="btn btn-sm btn-ghost" onClick={clear}>
            Clear filters
          </button>
        )}
        <span className="muted small filters-count" data-testid="audit-count">
          {data ? `${data.total} ${data.total === 1 ? "change" : "changes"}` : log.loading ? <Spinner /> : ""}
        </span>
      </div>
      {log.error != null && <ErrorNotice error={log.error} ctx={{ admin: true, gatewayUrl: session.url }} testid="audit-error" />}
      {data && rows.length === 0 ? (
        anyFilter ? (
          <EmptyState title="No change matches these filters" action={<button type="button" className="btn" onClick={clear}>Clear filters</button>} />
        ) : (
          <EmptyState title="No changes yet">Creating, changing or deleting a key, a team, a model or anything else the gateway manages is recorded here, with who did it.</EmptyState>
        )
      ) : (
        data && (
          <div className="card card-flush">
            <table className="table table-hover audit-table" data-testid="audit-table">
              <colgroup>
                <col style={{ width: "28px" }} />
                <col style={{ width: "150px" }} />
                <col style={{ width: "96px" }} />
                <col style={{ width: "22%" }} />
                <col style={{ width: "16%" }} />
                <col />
              </colgroup>
              <thead>
                <tr>
                  <th aria-label="Expand" />
                  <th>Time</th>
                  <th>Action</th>
                  <th>Object</th>
                  <th>Who</th>
                  <th>Changed</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <Fragment key={e.id}>
                    <tr
                      className={`audit-row${open.has(e.id) ? " open" : ""}`}
                      onClick={() => toggle(e.id)}
                      onKeyDown={(ev) => (ev.key === "Enter" || ev.key === " ") && (ev.preventDefault(), toggle(e.id))}
                      tabIndex={0}
                      aria-expanded={open.has(e.id)}
                      data-testid="audit-row"
                      data-table={e.table_name}
                      data-action={e.action}
                      data-object={e.object_id}
                    >
                      <td className="muted" aria-hidden="true">
                        {open.has(e.id) ? "▾" : "▸"}
                      </td>
                      <td className="mono nowrap" title={e.updated_at}>
                        {formatTime(e.updated_at)}
                      </td>
                      <td>
                        <Badge tone={actionTone(e.action)}>{e.action}</Badge>
                      </td>
                      <td className="ellipsis" title={`${e.table_name} ${e.object_id}`}>
                        <span className="muted">{objectType(e.table_name)}</span> {objectName(e) ?? <span className="mono">{shortId(e.object_id, 10, 4)}</span>}
                      </td>
                      <td className="ellipsis" title={callerKey(e) ?? "no key"}>
                        {actorLabel(e)}
                      </td>
                      <td className="ellipsis muted">{changeSummary(e)}</td>
                    </tr>
                    {open.has(e.id) && (
                      <tr className="audit-detail-row">
                        <td colSpan={6}>
                          <AuditDiff entry={e} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      {data && data.total > 0 && (
        <div className="pager" data-testid="audit-pager">
          <button type="button" className="btn btn-sm" disabled={page <= 1 || log.loading} onClick={() => setPage((p) => Math.max(1, p - 1))} data-testid="audit-prev">
            ← Newer
          </button>
          <span className="muted small" data-testid="audit-page">
            Page {data.page} of {totalPages}
          </span>
          <button type="button" className="btn btn-sm" disabled={page >= totalPages || log.loading} onClick={() => setPage((p) => p + 1)} data-testid="audit-next">
            Older →
          </button>
        </div>
      )}
    </div>
  );
}

/** The record before and after, field by field; changed fields highlighted. */
function AuditDiff({ entry }: { entry: AuditEntry }) {
  const [all, setAll] = useState(false);
  const changes = useMemo(() => diffRecords(entry.before_value, entry.updated_values), [entry]);
  const changed = changes.filter((c) => c.kind !== "same");
  const shown = all || changed.length === 0 ? changes : changed;
  return (
    <div className="audit-diff" data-testid="audit-diff">
      <div className="audit-diff-head">
        <span className="mono small">
          {entry.table_name} · {entry.object_id}
        </span>
        <span className="muted small">
          by {actorLabel(entry)}
          {callerKey(entry) ? ` · with ${callerKey(entry)}` : ""} · {entry.updated_at}
        </span>
        {changed.length !== changes.length && (
          <button type="button" className="btn btn-xs btn-ghost" onClick={() => setAll((a) => !a)} data-testid="audit-diff-all">
            {all ? "Only changed fields" : `All ${changes.length} fields`}
          </button>
        )}
      </div>
      {shown.length === 0 ? (
        <div className="muted small">Nothing recorded for this change.</div>
      ) : (
        <table className="diff-table">
          <colgroup>
            <col style={{ width: "24%" }} />
            <col style={{ width: "38%" }} />
            <col style={{ width: "38%" }} />
          </colgroup>
          <thead>
            <tr>
              <th>Field</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.path} className={`diff-${c.kind}`} data-testid="audit-diff-field" data-field={c.path} data-kind={c.kind}>
                <td className="mono">
                  <div>{c.path}</div>
                </td>
                <td className="mono">
                  <div className="diff-before">{formatValue(c.before)}</div>
                </td>
                <td className="mono">
                  <div className="diff-after">{formatValue(c.after)}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
