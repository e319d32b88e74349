import { afterEach, describe, expect, it, vi } from "vitest";
import type { Deployment } from "../lib/api";
import { Gateway, queryString } from "../lib/api";
import type { KeyView, SpendLog, TeamRecord } from "../lib/api.gen";
import {
  agentCoreAgent,
  deploymentWhere,
  emptyKeyForm,
  emptyModelForm,
  emptyTeamForm,
  groupByAlias,
  keyPayload,
  modelFormOf,
  modelPayload,
  modelsForTeam,
  splitModel,
  teamPayload,
  teamUpdatePayload,
  validateKeyForm,
  validateModelForm,
  validateTeamForm,
} from "../lib/forms";
import { closeOpenFence } from "../lib/markdown";
import { filterQuery, matchesFilter, mergeRows, rowError, todayTotals } from "../lib/requests";
import { injectedSession, loadSession, saveSession, clearSession, defaultGatewayUrl } from "../lib/session";
import { buildChart, dailyFromLogs, lastDays, niceScale } from "../lib/spend";
import { historyOf } from "../pages/Playground";

const row = (over: Partial<SpendLog>): SpendLog => ({
  request_id: "r",
  call_type: "acompletion",
  api_key: "hash1",
  key_alias: "k1",
  team_id: "t1",
  user: null,
  model: "bedrock/x",
  model_group: "claude-haiku",
  model_id: "m1",
  custom_llm_provider: "bedrock",
  spend: 0.01,
  prompt_tokens: 1,
  completion_tokens: 2,
  total_tokens: 3,
  startTime: "2026-01-10T10:00:00Z",
  endTime: "2026-01-10T10:00:01Z",
  request_duration_ms: 1000,
  status: "success",
  metadata: {},
  ...over,
});

describe("model forms", () => {
  it("tells AgentCore agents (bedrock/agentcore/<ARN>) from Bedrock models", () => {
    const harness = "bedrock/agentcore/arn:aws:bedrock-agentcore:us-west-2:123456789012:harness/desk_harness-a1b2c3d4e5";
    expect(agentCoreAgent(harness)).toEqual({ kind: "harness", name: "desk_harness-a1b2c3d4e5", region: "us-west-2" });
    expect(agentCoreAgent("bedrock/agentcore/arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/agent-x")?.kind).toBe("runtime");
    expect(agentCoreAgent("bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0")).toBeNull();
    expect(agentCoreAgent("bedrock/agentcore/my_harness")).toBeNull();
    const deployment = { model_name: "desk", litellm_params: { model: harness }, model_info: { id: "1" } } as unknown as Deployment;
    expect(deploymentWhere(deployment)).toBe("us-west-2");
  });
  it("builds a Bedrock model", () => {
    const f = { ...emptyModelForm(), alias: "claude-haiku", modelId: "us.anthropic.claude-haiku-4-5-20251001-v1:0", region: "us-east-1", profile: "dev" };
    expect(validateModelForm(f)).toEqual(expect.not.objectContaining({ alias: expect.any(String) }));
    expect(Object.values(validateModelForm(f)).filter(Boolean)).toEqual([]);
    expect(modelPayload(f)).toEqual({
      model_name: "claude-haiku",
      litellm_params: { model: "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0", aws_region_name: "us-east-1", aws_profile_name: "dev" },
    });
  });
  it("builds an OpenAI-compatible model with costs per token", () => {
    const f = { ...emptyModelForm(), alias: "local", provider: "hosted_vllm", modelId: "llama", apiBase: "http://127.0.0.1:8000/v1", apiKey: "os.environ/K", inputCost: "3", outputCost: "15" };
    expect(Object.values(validateModelForm(f)).filter(Boolean)).toEqual([]);
    const p = modelPayload(f).litellm_params;
    expect(p.model).toBe("hosted_vllm/llama");
    expect(p.api_base).toBe("http://127.0.0.1:8000/v1");
    expect(p.api_key).toBe("os.environ/K");
    expect(p.input_cost_per_token).toBeCloseTo(3e-6);
    expect(p.output_cost_per_token).toBeCloseTo(15e-6);
  });
  it("validates provider fields", () => {
    const e = validateModelForm({ ...emptyModelForm(), alias: "", modelId: "bedrock/x", region: "useast1" });
    expect(e.alias).toBeTruthy();
    expect(e.modelId).toMatch(/prefix/);
    expect(e.region).toMatch(/region/);
    expect(validateModelForm({ ...emptyModelForm(), alias: "a", provider: "hosted_vllm", modelId: "m" }).apiBase).toMatch(/required/);
    expect(validateModelForm({ ...emptyModelForm(), alias: "a", provider: "openai", modelId: "m", inputCost: "-1" }).inputCost).toMatch(/0 or more/);
  });
  it("sends cleared fields as null on edit, and round-trips a deployment", () => {
    const d: Deployment = {
      model_name: "m",
      litellm_params: { model: "openai/gpt-4o-mini", api_base: "http://x/v1", input_cost_per_token: 0.000001 },
      model_info: { id: "id1", db_model: true },
    };
    const f = modelFormOf(d);
    expect(f).toMatchObject({ alias: "m", provider: "openai", modelId: "gpt-4o-mini", apiBase: "http://x/v1", inputCost: "1", apiKey: "" });
    const p = modelPayload({ ...f, apiBase: "" }, { editing: true }).litellm_params;
    expect(p.api_base).toBeNull();
    expect("api_key" in p).toBe(false);
    expect(splitModel("bedrock/converse/x")).toEqual({ provider: "bedrock", id: "converse/x" });
  });
  it("groups deployments by alias", () => {
    const d = (name: string, id: string): Deployment => ({ model_name: name, litellm_params: { model: "openai/x" }, model_info: { id } });
    const g = groupByAlias([d("b", "1"), d("a", "2"), d("b", "3")]);
    expect(g.map((x) => [x.alias, x.deployments.length])).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
  });
});

describe("team and key forms", () => {
  const team: TeamRecord = { team_id: "t1", team_alias: "agentcore-harness", models: ["claude-sonnet", "claude-haiku"], spend: 0, blocked: false, members_with_roles: [], created_at: "", updated_at: "" };
  it("builds the seed's team", () => {
    const f = { ...emptyTeamForm(), alias: "agentcore-harness", models: ["claude-sonnet", "claude-haiku"] };
    expect(Object.values(validateTeamForm(f)).filter(Boolean)).toEqual([]);
    expect(teamPayload(f)).toEqual({ team_alias: "agentcore-harness", models: ["claude-sonnet", "claude-haiku"] });
  });
  it("refuses duplicate names and bad limits; edit clears with null", () => {
    const e = validateTeamForm({ ...emptyTeamForm(), alias: "agentcore-harness", maxBudget: "-2", budgetDuration: "1y", rpm: "1.5" }, [team]);
    expect(e.alias).toMatch(/already exists/);
    expect(e.maxBudget).toBeTruthy();
    expect(e.budgetDuration).toBeTruthy();
    expect(e.rpm).toMatch(/whole/);
    expect(validateTeamForm({ ...emptyTeamForm(), alias: "agentcore-harness" }, [team], "t1").alias).toBeUndefined();
    expect(teamUpdatePayload({ ...emptyTeamForm(), alias: "x", maxBudget: "5", budgetDuration: "monthly" }, "t1")).toStrictEqual({
      team_id: "t1",
      team_alias: "x",
      models: [],
      max_budget: 5,
      budget_duration: "monthly",
      tpm_limit: null,
      rpm_limit: null,
      max_parallel_requests: null,
    });
  });
  it("builds the seed's key", () => {
    const f = { ...emptyKeyForm(), alias: "agentcore-harness-key", teamId: "t1", duration: "30d", maxBudget: "10" };
    expect(Object.values(validateKeyForm(f)).filter(Boolean)).toEqual([]);
    expect(keyPayload(f)).toEqual({ key_alias: "agentcore-harness-key", team_id: "t1", duration: "30d", max_budget: 10 });
    expect(validateKeyForm({ ...f, duration: "30 days" }).duration).toBeTruthy();
  });
  it("offers a team's models to its keys", () => {
    expect(modelsForTeam(team, ["a", "claude-haiku"])).toEqual(["claude-sonnet", "claude-haiku"]);
    expect(modelsForTeam({ ...team, models: [] }, ["a"])).toEqual(["a"]);
    expect(modelsForTeam(undefined, ["a"])).toEqual(["a"]);
    const { models: _, ...noModels } = team;
    expect(modelsForTeam(noModels, ["a"])).toEqual(["a"]);
  });
});

describe("gateway client", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("pages whole keys, without bare hashes, searching aliases on the server", async () => {
    const key: KeyView = { token_id: "h1", key_name: "sk-...abcd", status: "active", created_at: "", updated_at: "" };
    const fetchMock = vi.fn().mockResolvedValue(new Response(JSON.stringify({ keys: ["h0", key], total_count: 2, current_page: 1, total_pages: 1 })));
    vi.stubGlobal("fetch", fetchMock);
    const page = await new Gateway("http://gw", "sk-master").keyPage({ page: 1, size: 20, search: " agent " });
    expect(page).toEqual({ keys: [key], total: 2, pages: 1, page: 1 });
    expect(fetchMock.mock.calls[0][0]).toBe("http://gw/key/list?return_full_object=true&page=1&size=20&key_alias=agent&substring_matching=true");
  });
  it("reads one key by its hash", async () => {
    const key: KeyView = { token_id: "h1", key_alias: "ci", key_name: "sk-...abcd", status: "active", created_at: "", updated_at: "" };
    const fetchMock = vi.fn().mockResolvedValue(new Response(JSON.stringify({ key: "h1", info: key })));
    vi.stubGlobal("fetch", fetchMock);
    expect(await new Gateway("http://gw", "sk-master").keyInfo("h1")).toEqual(key);
    expect(fetchMock.mock.calls[0][0]).toBe("http://gw/key/info?key=h1");
  });

  it("reads every team a hundred at a time, without their keys", async () => {
    const team = (n: number) => ({ team_id: `t${n}`, team_alias: `team ${n}`, models: [], spend: 0, blocked: false, metadata: {}, members_with_roles: [], created_at: "", updated_at: "" });
    const fetchMock = vi.fn().mockImplementation(async (url: string) => {
      const page = Number(new URL(url).searchParams.get("page"));
      const teams = page < 3 ? Array.from({ length: 100 }, (_, i) => team((page - 1) * 100 + i)) : [team(200)];
      return new Response(JSON.stringify({ teams, total: 201, page, page_size: 100, total_pages: 3 }));
    });
    vi.stubGlobal("fetch", fetchMock);
    const teams = await new Gateway("http://gw", "sk-master").teamList();
    expect(teams.map((t) => t.team_id)).toEqual(Array.from({ length: 201 }, (_, i) => `t${i}`));
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual([1, 2, 3].map((p) => `http://gw/v2/team/list?page=${p}&page_size=100&sort_by=created_at`));
  });

  it("asks the gateway for one page of keys, searching names as LiteLLM's UI does", async () => {
    const key: KeyView = { token_id: "h1", key_name: "sk-...abcd", status: "active", created_at: "", updated_at: "" };
    const answer = () => new Response(JSON.stringify({ keys: [key], total_count: 51, current_page: 2, total_pages: 2 }));
    const fetchMock = vi.fn().mockImplementation(async () => answer());
    vi.stubGlobal("fetch", fetchMock);
    const gw = new Gateway("http://gw", "sk-master");
    expect(await gw.keyPage({ page: 2, size: 50, search: " Svc 1 " })).toEqual({ keys: [key], total: 51, pages: 2, page: 2 });
    expect(fetchMock.mock.calls[0][0]).toBe("http://gw/key/list?return_full_object=true&page=2&size=50&key_alias=Svc%201&substring_matching=true");
    await gw.keyPage({ page: 1, size: 50, search: "  " });
    expect(fetchMock.mock.calls[1][0]).toBe("http://gw/key/list?return_full_object=true&page=1&size=50");
  });
});

describe("request log", () => {
  it("merges new rows first without duplicates, capped", () => {
    const a = row({ request_id: "a", startTime: "2026-01-10T10:00:00Z" });
    const b = row({ request_id: "b", startTime: "2026-01-10T10:00:05Z" });
    const c = row({ request_id: "c", startTime: "2026-01-10T10:00:09Z" });
    expect(mergeRows([a, b], [c, b]).map((r) => r.request_id)).toEqual(["c", "b", "a"]);
    expect(mergeRows([a, b], [c], 2).map((r) => r.request_id)).toEqual(["c", "b"]);
  });
  it("filters by key, team, model and status", () => {
    const r = row({});
    expect(matchesFilter(r, {})).toBe(true);
    expect(matchesFilter(r, { key: "hash1", team: "t1", model: "claude-haiku", status: "success" })).toBe(true);
    expect(matchesFilter(r, { status: "failure" })).toBe(false);
    expect(matchesFilter(r, { model: "claude-sonnet" })).toBe(false);
    expect(filterQuery({ key: "h", status: "success" })).toEqual({ api_key: "h", team_id: undefined, model: undefined, status: "success" });
    expect(queryString({ a: 1, b: "", c: undefined, d: "x y" })).toBe("?a=1&d=x%20y");
  });
  it("reads errors and today's totals", () => {
    expect(rowError(row({ metadata: { error_information: { error_message: "boom" } } }))).toBe("boom");
    expect(rowError(row({}))).toBeNull();
    expect(rowError(row({ status: "failure", metadata: { outcome: "client_disconnected" } }))).toMatch(/stopped/);
    const t = todayTotals([row({ spend: 0.5 }), row({ status: "failure", spend: 0 }), row({ startTime: "2026-01-09T23:00:00Z" })], new Date("2026-01-10T12:00:00Z"));
    expect(t).toEqual({ requests: 2, errors: 1, spend: 0.5 });
  });
});

describe("spend charts", () => {
  it("lists the last n UTC days", () => {
    expect(lastDays(3, new Date("2026-03-01T05:00:00Z"))).toEqual(["2026-02-27", "2026-02-28", "2026-03-01"]);
  });
  it("stacks groups per day and folds the tail into 'others'", () => {
    const days = ["2026-01-01", "2026-01-02"];
    const rows = [
      { date: "2026-01-01", group: "a", label: "A", spend: 1, requests: 1, tokens: 10 },
      { date: "2026-01-02", group: "a", label: "A", spend: 2, requests: 1, tokens: 10 },
      { date: "2026-01-02", group: "b", label: null, spend: 0.5, requests: 1, tokens: 10 },
      { date: "2026-01-02", group: "c", label: "C", spend: 0.25, requests: 1, tokens: 10 },
      { date: "2025-12-01", group: "a", label: "A", spend: 100, requests: 1, tokens: 10 },
    ];
    const chart = buildChart(rows, days, "spend", 2);
    expect(chart.series.map((s) => s.label)).toEqual(["A", "2 others"]);
    expect(chart.series[1].values).toEqual([0, 0.75]);
    expect(chart.max).toBe(2.75);
    expect(chart.total).toBe(3.75);
    expect(buildChart(rows, days, "requests").series.find((s) => s.key === "b")?.label).toBe("b");
  });
  it("builds daily rows from spend logs and picks nice axes", () => {
    const d = dailyFromLogs([row({}), row({ request_id: "x" }), row({ model_group: "claude-sonnet" })], "model");
    expect(d.find((r) => r.group === "claude-haiku")).toMatchObject({ date: "2026-01-10", requests: 2, tokens: 6 });
    expect(dailyFromLogs([row({})], "team", () => "Team 1")[0].label).toBe("Team 1");
    expect(niceScale(0)).toEqual({ max: 1, step: 0.25 });
    expect(niceScale(0.37)).toEqual({ max: 0.4, step: 0.1 });
    expect(niceScale(870).max).toBe(1000);
  });
});

describe("session", () => {
  const storage = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m } as unknown as Storage & { m: Map<string, string> };
  };
  it("prefers the desktop app's injected gateway", () => {
    expect(injectedSession({ __SWITCHBOARD__: { url: "http://127.0.0.1:4123/", masterKey: "sk-x" } })).toEqual({ url: "http://127.0.0.1:4123", masterKey: "sk-x", injected: true });
    expect(injectedSession({ __SWITCHBOARD__: undefined })).toBeNull();
    expect(injectedSession({ __SWITCHBOARD__: { url: "" } })).toBeNull();
  });
  it("keeps the sign-in in the given storage and forgets it on sign-out", () => {
    (globalThis as unknown as { window: object }).window = {};
    const s = storage();
    expect(loadSession(s)).toBeNull();
    saveSession({ url: "http://h", masterKey: "sk-1" }, s);
    expect(loadSession(s)).toEqual({ url: "http://h", masterKey: "sk-1", injected: false });
    clearSession(s);
    expect(loadSession(s)).toBeNull();
  });
  it("starts from the page's origin when served at /ui/", () => {
    expect(defaultGatewayUrl({ origin: "http://127.0.0.1:4000", pathname: "/ui/", protocol: "http:" }, false)).toBe("http://127.0.0.1:4000");
    expect(defaultGatewayUrl({ origin: "http://localhost:5173", pathname: "/ui/", protocol: "http:" }, true)).toBe("http://127.0.0.1:4000");
    expect(defaultGatewayUrl({ origin: "file://", pathname: "/x", protocol: "file:" }, false)).toBe("http://127.0.0.1:4000");
  });
});

describe("playground", () => {
  it("builds the history: system first, failed answers left out, tool turns kept", () => {
    const h = historyOf(
      [
        { kind: "user", id: 1, content: "hi" },
        { kind: "assistant", id: 2, model: "a", content: "", toolCalls: [], streaming: false, stopped: false, error: null, metrics: null, finishReason: null },
        { kind: "user", id: 3, content: "weather?" },
        { kind: "assistant", id: 4, model: "b", content: "", toolCalls: [{ id: "c1", name: "get_weather", arguments: "{}" }], streaming: false, stopped: false, error: null, metrics: null, finishReason: "tool_calls" },
        { kind: "tool", id: 5, toolCallId: "c1", name: "get_weather", content: "sunny" },
      ],
      "Be brief",
    );
    expect(h.map((m) => m.role)).toEqual(["system", "user", "user", "assistant", "tool"]);
  });
  it("closes an open code fence while streaming", () => {
    expect(closeOpenFence("```js\nlet x")).toBe("```js\nlet x\n```");
    expect(closeOpenFence("```\nx\n```")).toBe("```\nx\n```");
  });
});
