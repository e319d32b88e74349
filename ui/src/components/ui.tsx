import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { type ExplainContext, ApiError, explainError } from "../lib/errors";
import { budgetRatio, formatCost } from "../lib/format";

// ---------- copy ----------

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed";
  ta.style.opacity = "0";
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

export function CopyButton({ text, label = "Copy", testid, small }: { text: string; label?: string; testid?: string; small?: boolean }) {
  const [state, setState] = useState<"idle" | "done" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = window.setTimeout(() => setState("idle"), 1600);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className={`btn ${small ? "btn-xs" : "btn-sm"} btn-ghost copy-btn`}
      data-testid={testid}
      data-copied={state === "done" ? "true" : undefined}
      onClick={async () => setState((await copyText(text)) ? "done" : "failed")}
      title="Copy to the clipboard"
    >
      <span className="copy-label">{state === "done" ? "Copied" : state === "failed" ? "Select & copy" : label}</span>
    </button>
  );
}

/** A value in monospace with a copy button. */
export function CopyField({ value, testid, secret }: { value: string; testid?: string; secret?: boolean }) {
  return (
    <div className={`copy-field${secret ? " secret" : ""}`}>
      <code data-testid={testid ? `${testid}-value` : undefined}>{value}</code>
      <CopyButton text={value} testid={testid ? `${testid}-copy` : undefined} />
    </div>
  );
}

// ---------- modal ----------

/** Open modals, innermost last: only the innermost handles Escape and Tab. */
const modalStack: symbol[] = [];

export function Modal({
  title,
  onClose,
  children,
  footer,
  wide,
  testid,
  dismissable = true,
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testid?: string;
  dismissable?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const me = Symbol("modal");
    modalStack.push(me);
    const el = ref.current;
    const first = el?.querySelector<HTMLElement>("[autofocus], input:not([type=hidden]), select, textarea, button.btn-primary, button");
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (modalStack[modalStack.length - 1] !== me) return;
      if (e.key === "Escape" && dismissable) {
        e.stopPropagation();
        onClose();
      }
      if (e.key === "Tab" && el) {
        const focusables = [...el.querySelectorAll<HTMLElement>("a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex='0']")];
        if (!focusables.length) return;
        const firstEl = focusables[0];
        const lastEl = focusables[focusables.length - 1];
        if (e.shiftKey && document.activeElement === firstEl) {
          e.preventDefault();
          lastEl.focus();
        } else if (!e.shiftKey && document.activeElement === lastEl) {
          e.preventDefault();
          firstEl.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      modalStack.splice(modalStack.indexOf(me), 1);
      previous?.focus?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => dismissable && e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? " modal-wide" : ""}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} data-testid={testid}>
        <div className="modal-head">
          <h2 id={titleId}>{title}</h2>
          {dismissable && (
            <button type="button" className="btn btn-ghost btn-icon" aria-label="Close" onClick={onClose}>
              ×
            </button>
          )}
        </div>
        <div className="modal-body">{children}</div>
        {footer && <div className="modal-foot">{footer}</div>}
      </div>
    </div>
  );
}

/** A confirmation for a destructive action: the action runs on confirm, errors stay in the dialog. */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  danger = true,
  onConfirm,
  onClose,
}: {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      testid="confirm-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy} data-testid="confirm-cancel">
            Cancel
          </button>
          <button type="button" className={`btn ${danger ? "btn-danger" : "btn-primary"}`} onClick={run} disabled={busy} data-testid="confirm-button" autoFocus>
            {busy ? "Working…" : confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-body">{body}</div>
      {error != null && <ErrorNotice error={error} ctx={{ admin: true }} />}
    </Modal>
  );
}

// ---------- errors, empty states, badges ----------

export function ErrorNotice({ error, ctx, compact, testid = "error" }: { error: unknown; ctx?: ExplainContext; compact?: boolean; testid?: string }) {
  const { title, hint } = explainError(error, ctx);
  const api = error instanceof ApiError ? error : null;
  const raw = api?.message ?? null;
  const status = api?.status ? `${api.status}${api.type ? ` ${api.type}` : ""}` : null;
  // The gateway's own fix, when it sends one, knows more than the panel's guess.
  const fix = api?.fix || hint;
  return (
    <div className={`notice notice-error${compact ? " compact" : ""}`} role="alert" data-testid={testid}>
      <div className="notice-title">{title}</div>
      {fix && <div className="notice-hint">{fix}</div>}
      {raw && raw !== title && (
        <div className="notice-raw">
          {status && <span className="mono">{status}</span>} <span className="raw-message">{raw}</span>
        </div>
      )}
      {api?.detail && <ErrorDetails text={api.detail} />}
    </div>
  );
}

/** The raw text behind an error (an AWS SDK's error chain): folded away; long text wraps and scrolls. */
export function ErrorDetails({ text, testid }: { text: string; testid?: string }) {
  return (
    <details className="raw-details" data-testid={testid}>
      <summary>Details</summary>
      <pre>{text}</pre>
    </details>
  );
}

export function EmptyState({ title, children, action, testid }: { title: string; children?: ReactNode; action?: ReactNode; testid?: string }) {
  return (
    <div className="empty" data-testid={testid ?? "empty-state"}>
      <div className="empty-title">{title}</div>
      {children && <div className="empty-text">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

export function Badge({ children, tone = "neutral", title }: { children: ReactNode; tone?: "neutral" | "green" | "red" | "amber" | "blue" | "violet"; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === "active" || status === "success" || status === "healthy" ? "green" : status === "blocked" || status === "failure" ? "red" : "amber";
  return <Badge tone={tone}>{status}</Badge>;
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      {label && <span className="muted">{label}</span>}
    </span>
  );
}

export function BudgetBar({ spend, budget }: { spend: number; budget: number | null | undefined }) {
  const ratio = budgetRatio(spend, budget);
  return (
    <div className="budget">
      <div className="budget-text">
        <span className="mono">{formatCost(spend)}</span>
        {budget != null && <span className="muted"> / {formatCost(budget)}</span>}
      </div>
      {ratio != null && (
        <div className="bar" title={`${Math.round(ratio * 100)} % of the budget`}>
          <div className={`bar-fill${ratio >= 1 ? " over" : ratio >= 0.8 ? " warn" : ""}`} style={{ width: `${Math.min(100, ratio * 100)}%` }} />
        </div>
      )}
    </div>
  );
}

// ---------- forms ----------

export function Field({
  label,
  error,
  hint,
  children,
  htmlFor,
  optional,
}: {
  label: ReactNode;
  error?: string | null;
  hint?: ReactNode;
  children: ReactNode;
  htmlFor?: string;
  optional?: boolean;
}) {
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={htmlFor}>
        {label}
        {optional && <span className="optional"> optional</span>}
      </label>
      {children}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : (
        hint && <div className="field-hint">{hint}</div>
      )}
    </div>
  );
}

export function TextInput({
  id,
  value,
  onChange,
  placeholder,
  testid,
  type = "text",
  mono,
  autoFocus,
  invalid,
  inputMode,
  list,
}: {
  id?: string;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
  testid?: string;
  type?: string;
  mono?: boolean;
  autoFocus?: boolean;
  invalid?: boolean;
  inputMode?: "decimal" | "numeric" | "text";
  list?: string;
}) {
  return (
    <input
      id={id}
      className={`input${mono ? " mono" : ""}`}
      type={type}
      value={value}
      placeholder={placeholder}
      onChange={(e) => onChange(e.target.value)}
      data-testid={testid}
      autoFocus={autoFocus}
      aria-invalid={invalid || undefined}
      inputMode={inputMode}
      spellCheck={false}
      autoComplete="off"
      list={list}
    />
  );
}

/** A filterable multi-select of options shown as toggle chips. */
export function MultiSelect({
  options,
  value,
  onChange,
  testid,
  emptyLabel,
}: {
  options: string[];
  value: string[];
  onChange: (v: string[]) => void;
  testid?: string;
  emptyLabel?: string;
}) {
  const [filter, setFilter] = useState("");
  const all = [...new Set([...options, ...value])];
  const shown = all.filter((o) => o.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (o: string) => onChange(value.includes(o) ? value.filter((x) => x !== o) : [...value, o]);
  return (
    <div className="multiselect" data-testid={testid}>
      {all.length > 8 && <input className="input input-sm" placeholder="Filter models…" value={filter} onChange={(e) => setFilter(e.target.value)} />}
      <div className="chips">
        {shown.map((o) => (
          <label key={o} className={`chip${value.includes(o) ? " on" : ""}`} data-testid={testid ? `${testid}-option` : undefined} data-value={o}>
            <input type="checkbox" checked={value.includes(o)} onChange={() => toggle(o)} />
            <span className="chip-text">{o}</span>
          </label>
        ))}
        {all.length === 0 && <span className="muted">{emptyLabel ?? "No models yet"}</span>}
      </div>
      <div className="multiselect-foot">
        <span className="muted">{value.length === 0 ? "None selected: every model is allowed" : `${value.length} selected`}</span>
        {all.length > 1 && (
          <>
            <button type="button" className="btn-link" onClick={() => onChange(options)}>
              all
            </button>
            <button type="button" className="btn-link" onClick={() => onChange([])}>
              none
            </button>
          </>
        )}
      </div>
    </div>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle && <div className="page-sub">{subtitle}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** Where a page stands in a long list, and buttons to the pages beside it. */
export function Pager({ page, pages, size, total, onPage, testid = "pager", top }: { page: number; pages: number; size: number; total: number; onPage: (page: number) => void; testid?: string; top?: boolean }) {
  const first = total === 0 ? 0 : (page - 1) * size + 1;
  const last = Math.min(page * size, total);
  return (
    <div className={top ? "pager pager-top" : "pager"} data-testid={testid}>
      <span className="muted small" data-testid={`${testid}-range`}>
        {first.toLocaleString()}–{last.toLocaleString()} of {total.toLocaleString()}
      </span>
      <button type="button" className="btn btn-sm btn-ghost" disabled={page <= 1} onClick={() => onPage(page - 1)} data-testid={`${testid}-prev`}>
        ‹ Newer
      </button>
      <span className="small">
        Page {page.toLocaleString()} of {pages.toLocaleString()}
      </span>
      <button type="button" className="btn btn-sm btn-ghost" disabled={page >= pages} onClick={() => onPage(page + 1)} data-testid={`${testid}-next`}>
        Older ›
      </button>
    </div>
  );
}

/** Chips of model names; a long list is cut with "+N". */
export function ModelChips({ models, max = 4, allLabel = "all models" }: { models: string[]; max?: number; allLabel?: string }) {
  if (models.length === 0) return <span className="muted">{allLabel}</span>;
  const shown = models.slice(0, max);
  return (
    <span className="model-chips" title={models.join(", ")}>
      {shown.map((m) => (
        <span className="tag" key={m}>
          {m}
        </span>
      ))}
      {models.length > max && <span className="muted"> +{models.length - max}</span>}
    </span>
  );
}
