// The Audit page's logic: what an audit entry is about, who made it, and the field-by-field
// difference between the record before and after the change.

import type { AuditEntry } from "./api.gen";

/** The object types the audit log records, by `table_name` (LiteLLM's names, then Switchboard's). */
export const OBJECT_TYPES: ReadonlyArray<{ table: string; label: string }> = [
  { table: "LiteLLM_VerificationToken", label: "Key" },
  { table: "LiteLLM_TeamTable", label: "Team" },
  { table: "LiteLLM_UserTable", label: "User" },
  { table: "LiteLLM_ProxyModelTable", label: "Model" },
  { table: "LiteLLM_BudgetTable", label: "Budget" },
  { table: "LiteLLM_OrganizationTable", label: "Organization" },
  { table: "LiteLLM_EndUserTable", label: "Customer" },
  { table: "Switchboard_AgentCoreCredentialProvider", label: "Credential provider" },
  { table: "Switchboard_AgentCoreHarness", label: "Harness" },
  { table: "Switchboard_DeployStack", label: "AWS stack" },
];

export const ACTIONS = ["created", "updated", "deleted", "rotated", "blocked", "unblocked"] as const;

export function objectType(table: string): string {
  return OBJECT_TYPES.find((t) => t.table === table)?.label ?? table;
}

/** The badge tone of an action. */
export function actionTone(action: string): "green" | "red" | "amber" | "blue" | "violet" | "neutral" {
  switch (action) {
    case "created":
    case "unblocked":
      return "green";
    case "deleted":
    case "blocked":
      return "red";
    case "updated":
      return "blue";
    case "rotated":
      return "violet";
    default:
      return "neutral";
  }
}

/** Members that name a record, in the order they are tried. */
const NAME_MEMBERS = ["key_alias", "team_alias", "model_name", "organization_alias", "harness_name", "user_email", "alias", "stack_name", "name", "key_name"];

/** A human name for the object of an entry ("ci-key", "red team"), when its record has one. */
export function objectName(entry: AuditEntry): string | null {
  for (const record of [entry.updated_values, entry.before_value]) {
    if (!record) continue;
    for (const member of NAME_MEMBERS) {
      const v = record[member];
      if (typeof v === "string" && v) return v;
    }
  }
  return null;
}

/** What the gateway records as the master key's hash (spend logs use the same id). */
export const MASTER_KEY_ID = "litellm-proxy-master-key";

/** Who made the change: the person (`LiteLLM-Changed-By`), the key's alias, or the master key. */
export function actorLabel(entry: AuditEntry): string {
  if (entry.changed_by === "master") return "master key";
  return entry.changed_by || "unknown";
}

/** The key the change was made with, when it says more than the actor: "master key", "key 3f2a9c…81d0". */
export function callerKey(entry: AuditEntry): string | null {
  const key = entry.changed_by_api_key;
  if (!key) return null;
  if (key === MASTER_KEY_ID) return entry.changed_by === "master" ? null : "master key";
  return `key ${key.length > 14 ? `${key.slice(0, 8)}…${key.slice(-4)}` : key}`;
}

export type ChangeKind = "added" | "removed" | "changed" | "same";

export interface FieldChange {
  /** Dotted path of the member (`litellm_params.api_base`). */
  path: string;
  before: unknown;
  after: unknown;
  kind: ChangeKind;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Members of a record by dotted path: nested objects are opened, lists and values are leaves. */
function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (isPlainObject(value) && (Object.keys(value).length > 0 || prefix === "")) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (prefix) out.set(prefix, value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A member absent, null or empty reads as "not set": `{}` → `null` is no change worth showing. */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || (isPlainObject(v) && Object.keys(v).length === 0);
}

/**
 * The field-by-field difference of two records (either may be null: created, deleted), in the
 * order the fields appear (after's order, then fields only before had).
 */
export function diffRecords(before: Record<string, unknown> | null | undefined, after: Record<string, unknown> | null | undefined): FieldChange[] {
  const b = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  flatten(before ?? {}, "", b);
  flatten(after ?? {}, "", a);
  const paths = [...a.keys(), ...[...b.keys()].filter((p) => !a.has(p))];
  return paths.map((path) => {
    const was = b.get(path);
    const now = a.get(path);
    let kind: ChangeKind;
    if (sameValue(was, now) || (isUnset(was) && isUnset(now))) kind = "same";
    else if (isUnset(was)) kind = "added";
    else if (isUnset(now)) kind = "removed";
    else kind = "changed";
    return { path, before: was, after: now, kind };
  });
}

/** Only the fields that changed. */
export function changedFields(changes: FieldChange[]): FieldChange[] {
  return changes.filter((c) => c.kind !== "same");
}

/** A value as the diff shows it: strings as they are, the rest as JSON; absent as "—". */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "—";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** One line on what changed: "max_budget, models" (at most `max` names). */
export function changeSummary(entry: AuditEntry, max = 3): string {
  if (!entry.before_value && entry.updated_values) return "new record";
  if (entry.before_value && !entry.updated_values) return "record removed";
  const changed = changedFields(diffRecords(entry.before_value, entry.updated_values)).filter((c) => c.path !== "updated_at");
  if (changed.length === 0) return "no field changed";
  const names = changed.slice(0, max).map((c) => c.path);
  return changed.length > max ? `${names.join(", ")} +${changed.length - max}` : names.join(", ");
}
