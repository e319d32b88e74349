import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../lib/api.gen";
import { actionTone, actorLabel, callerKey, changeSummary, changedFields, diffRecords, formatValue, objectName, objectType } from "../lib/audit";

function entry(over: Partial<AuditEntry>): AuditEntry {
  return {
    id: "1",
    updated_at: "2026-12-05T10:00:00.000Z",
    changed_by: "master",
    changed_by_api_key: "litellm-proxy-master-key",
    action: "updated",
    table_name: "LiteLLM_TeamTable",
    object_id: "team-1",
    before_value: null,
    updated_values: null,
    ...over,
  };
}

describe("diffRecords", () => {
  it("marks changed, added, removed and unchanged fields, nested members by path", () => {
    const before = { team_alias: "red", max_budget: 5, models: ["a"], metadata: { owner: "ana", env: "dev" }, tpm_limit: 10 };
    const after = { team_alias: "blue", max_budget: 5, models: ["a", "b"], metadata: { owner: "ana" }, rpm_limit: 60 };
    const byPath = Object.fromEntries(diffRecords(before, after).map((c) => [c.path, c]));
    expect(byPath.team_alias).toMatchObject({ kind: "changed", before: "red", after: "blue" });
    expect(byPath.max_budget.kind).toBe("same");
    expect(byPath.models).toMatchObject({ kind: "changed", before: ["a"], after: ["a", "b"] });
    expect(byPath["metadata.owner"].kind).toBe("same");
    expect(byPath["metadata.env"]).toMatchObject({ kind: "removed", before: "dev", after: undefined });
    expect(byPath.rpm_limit).toMatchObject({ kind: "added", after: 60 });
    expect(byPath.tpm_limit.kind).toBe("removed");
  });

  it("keeps the after record's order, then fields only the before had", () => {
    const paths = diffRecords({ z: 1, a: 1, gone: 1 }, { a: 2, z: 1, b: 3 }).map((c) => c.path);
    expect(paths).toEqual(["a", "z", "b", "gone"]);
  });

  it("treats a created record as all added and a deleted one as all removed", () => {
    expect(diffRecords(null, { a: 1, b: "x" }).map((c) => c.kind)).toEqual(["added", "added"]);
    expect(diffRecords({ a: 1 }, undefined).map((c) => c.kind)).toEqual(["removed"]);
    expect(diffRecords(null, null)).toEqual([]);
  });

  it("does not call null, absent and {} a change", () => {
    const changes = diffRecords({ a: null, m: {} }, { a: undefined, m: null, n: {} });
    expect(changedFields(changes)).toEqual([]);
  });

  it("compares lists of objects as values", () => {
    const members = (role: string) => ({ members_with_roles: [{ user_id: "dee", role }] });
    expect(changedFields(diffRecords(members("user"), members("user")))).toEqual([]);
    expect(changedFields(diffRecords(members("user"), members("admin"))).map((c) => c.path)).toEqual(["members_with_roles"]);
  });
});

describe("entry labels", () => {
  it("names the object by its alias, else nothing", () => {
    expect(objectName(entry({ updated_values: { key_alias: "ci", key_name: "sk-...abcd" } }))).toBe("ci");
    expect(objectName(entry({ before_value: { team_alias: "red" } }))).toBe("red");
    expect(objectName(entry({ updated_values: { key_alias: null, key_name: "sk-...abcd" } }))).toBe("sk-...abcd");
    expect(objectName(entry({}))).toBeNull();
  });

  it("labels types, actions and actors", () => {
    expect(objectType("LiteLLM_VerificationToken")).toBe("Key");
    expect(objectType("Something_Else")).toBe("Something_Else");
    expect(actionTone("deleted")).toBe("red");
    expect(actionTone("rotated")).toBe("violet");
    expect(actionTone("other")).toBe("neutral");
    expect(actorLabel(entry({ changed_by: "master" }))).toBe("master key");
    expect(actorLabel(entry({ changed_by: "alice@example.com" }))).toBe("alice@example.com");
  });

  it("names the caller's key only when the actor does not already say it", () => {
    expect(callerKey(entry({ changed_by: "master" }))).toBeNull();
    expect(callerKey(entry({ changed_by: "alice@example.com" }))).toBe("master key");
    expect(callerKey(entry({ changed_by: "ops", changed_by_api_key: "3f2a9c0d11aa22bb33cc44dd81d0" }))).toBe("key 3f2a9c0d…81d0");
    expect(callerKey(entry({ changed_by: "system", changed_by_api_key: "" }))).toBeNull();
  });

  it("summarizes what an update changed, leaving out the timestamp", () => {
    const e = entry({ before_value: { a: 1, b: 1, c: 1, d: 1, updated_at: "x" }, updated_values: { a: 2, b: 2, c: 2, d: 2, updated_at: "y" } });
    expect(changeSummary(e)).toBe("a, b, c +1");
    expect(changeSummary(entry({ before_value: { a: 1, updated_at: "x" }, updated_values: { a: 1, updated_at: "y" } }))).toBe("no field changed");
    expect(changeSummary(entry({ updated_values: { a: 1 } }))).toBe("new record");
    expect(changeSummary(entry({ before_value: { a: 1 } }))).toBe("record removed");
  });

  it("formats values for the diff", () => {
    expect(formatValue(null)).toBe("—");
    expect(formatValue(undefined)).toBe("—");
    expect(formatValue("text")).toBe("text");
    expect(formatValue(0)).toBe("0");
    expect(formatValue(false)).toBe("false");
    expect(formatValue(["a"])).toBe('["a"]');
  });
});
