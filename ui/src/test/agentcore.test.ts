import { afterEach, describe, expect, it, vi } from "vitest";
import { AgentCoreApi, AgentCoreError, agentCoreErrorFrom, explainAgentCoreError, type InvokeEvent } from "../lib/agentcore";
import { secretName } from "../components/agentcore/ProvidersCard";
import { Gateway } from "../lib/api";
import type { HarnessView, Step, WireResult } from "../lib/api.gen";
import {
  aliasOf,
  applyInvokeEvent,
  applyWireEvent,
  callTotals,
  classifyApiBase,
  doctorBodyOfForm,
  emptyHarnessForm,
  emptyTurn,
  harnessCreateBody,
  harnessFormOf,
  harnessPatchBody,
  initialWireState,
  lacksPrefix,
  modelIdOf,
  nextKeyAlias,
  providerBody,
  providerKeyLabel,
  suggestHarnessName,
  switchTarget,
  turnCalls,
  turnText,
  validateHarnessForm,
  validateHarnessName,
  validateProviderName,
  validateRoleArn,
  wireRefusedByDoctor,
  wireRequestBody,
} from "../lib/agentcoreLogic";
import { filterFromHash } from "../lib/requests";

const ROLE = "arn:aws:iam::123456789012:role/AgentCoreHarnessRole";

function harness(over: Partial<HarnessView> = {}, model: Partial<NonNullable<HarnessView["model"]>> | null = {}): HarnessView {
  return {
    harness_id: "seed_harness-6t6swt99ge",
    harness_name: "seed_harness",
    arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/seed_harness-6t6swt99ge",
    status: "READY",
    failure_reason: null,
    harness_version: "1",
    execution_role_arn: ROLE,
    created_at: null,
    updated_at: null,
    model:
      model === null
        ? null
        : {
            source: "litellm",
            model_id: "litellm_proxy/claude-haiku",
            alias: "claude-haiku",
            api_key_arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/litellm-proxy",
            api_base: "https://gateway.example.com",
            max_tokens: 512,
            temperature: 0.2,
            top_p: null,
            ...model,
          },
    system_prompt: "Be brief.",
    max_iterations: 75,
    invocation_max_tokens: null,
    timeout_seconds: 3600,
    tools: [],
    allowed_tools: ["*"],
    skills: [],
    hooks: [],
    environment_variables: {},
    credential_provider: { name: "litellm-proxy", credential_provider_arn: "arn:...", key: null },
    ...over,
  };
}

describe("harness names", () => {
  it("accepts AgentCore's pattern", () => {
    for (const ok of ["seed_harness", "a", "H1", "x".repeat(40)]) expect(validateHarnessName(ok), ok).toBeNull();
  });
  it("refuses hyphens with a suggestion", () => {
    const p = validateHarnessName("litellm-harness");
    expect(p?.message).toMatch(/no hyphens/);
    expect(p?.suggestion).toBe("litellm_harness");
  });
  it("explains the other refusals", () => {
    expect(validateHarnessName("")?.message).toMatch(/required/);
    expect(validateHarnessName("1harness")).toEqual({ message: expect.stringMatching(/start with a letter/), suggestion: "h_1harness" });
    expect(validateHarnessName("x".repeat(41))?.message).toMatch(/at most 40/);
    expect(validateHarnessName("my harness")?.suggestion).toBe("my_harness");
  });
  it("suggests like the gateway does", () => {
    expect(suggestHarnessName("litellm-harness")).toBe("litellm_harness");
    expect(suggestHarnessName("_x")).toBe("h__x");
    expect(suggestHarnessName("a".repeat(50))).toHaveLength(40);
  });
  it("checks provider names and role ARNs", () => {
    expect(validateProviderName("litellm-proxy")).toBeNull();
    expect(validateProviderName("litellm proxy")).toMatch(/Letters, digits/);
    expect(validateRoleArn(ROLE)).toBeNull();
    expect(validateRoleArn("arn:aws-cn:iam::123456789012:role/path/Role")).toBeNull();
    for (const bad of ["AgentCoreRole", "arn:aws:iam::12345:role/R", "arn:aws:iam:us-east-1:123456789012:role/R", "arn:aws:iam::123456789012:user/R", "arn:aws:iam::123456789012:role/"]) {
      expect(validateRoleArn(bad), bad).toMatch(/IAM role ARN/);
    }
  });
});

describe("models", () => {
  it("always sends litellm_proxy/<alias>", () => {
    expect(modelIdOf("claude-haiku")).toBe("litellm_proxy/claude-haiku");
    expect(modelIdOf("litellm_proxy/claude-haiku")).toBe("litellm_proxy/claude-haiku");
  });
  it("switches haiku ↔ sonnet in one action", () => {
    const aliases = ["claude-haiku", "claude-sonnet", "gpt-4o-mini"];
    expect(switchTarget(harness(), aliases)).toBe("claude-sonnet");
    expect(switchTarget(harness({}, { model_id: "litellm_proxy/claude-sonnet", alias: "claude-sonnet" }), aliases)).toBe("claude-haiku");
    expect(switchTarget(harness({}, { model_id: "litellm_proxy/a", alias: "a" }), ["a", "b"])).toBe("b");
    expect(switchTarget(harness({}, { model_id: "litellm_proxy/a", alias: "a" }), ["a", "b", "c"])).toBeNull();
    expect(switchTarget(harness({}, { source: "bedrock", model_id: "us.anthropic.x", alias: null }), aliases)).toBeNull();
    expect(switchTarget(harness({}, null), aliases)).toBeNull();
  });
  it("reads a harness with only the members the schema requires", () => {
    const bare: HarnessView = {
      arn: "arn:h",
      harness_id: "h-1",
      harness_name: "h",
      status: "READY",
      model: { model_id: "litellm_proxy/claude-haiku", source: "litellm" },
      tools: [],
      allowed_tools: [],
      skills: [],
      hooks: [],
      environment_variables: {},
    };
    expect(aliasOf(bare)).toBe("claude-haiku");
    expect(lacksPrefix(bare)).toBe(false);
    expect(switchTarget(bare, ["claude-haiku", "claude-sonnet"])).toBe("claude-sonnet");
    expect(harnessFormOf(bare)).toMatchObject({ name: "h", roleArn: "", alias: "claude-haiku", provider: "", apiBase: "", systemPrompt: "", maxTokens: "" });
    expect(aliasOf({ ...bare, model: undefined })).toBeNull();
    expect(providerKeyLabel({})).toBe("holds a key this gateway didn't store");
  });
  it("offers to fix the seed's bare model id", () => {
    const bare = harness({}, { model_id: "claude-haiku", alias: null });
    expect(lacksPrefix(bare)).toBe(true);
    expect(aliasOf(bare)).toBe("claude-haiku");
    expect(switchTarget(bare, ["claude-haiku", "claude-sonnet"])).toBe("claude-haiku");
    expect(lacksPrefix(harness())).toBe(false);
  });
});

describe("the harness form → requests", () => {
  const form = {
    ...emptyHarnessForm({ alias: "claude-haiku", provider: "litellm-proxy", apiBase: "https://gw.example.com/" }),
    name: "seed_harness",
    roleArn: ROLE,
    systemPrompt: "  You are a helpful assistant. ",
    maxTokens: "512",
    temperature: "0.2",
  };

  it("validates before sending", () => {
    expect(validateHarnessForm(form, "create", { aliases: ["claude-haiku"] })).toEqual({});
    const bad = validateHarnessForm({ ...form, name: "seed-harness", roleArn: "Role", temperature: "2.5", topP: "1.5", maxTokens: "0", alias: "", apiBase: "gateway:4000x" }, "create");
    expect(bad.name).toMatch(/Try seed_harness/);
    expect(bad.roleArn).toMatch(/IAM role ARN/);
    expect(bad.temperature).toBe("Temperature must be between 0 and 2");
    expect(bad.topP).toBe("Top P must be between 0 and 1");
    expect(bad.maxTokens).toBe("Max tokens must be at least 1");
    expect(bad.alias).toMatch(/Pick one/);
    expect(validateHarnessForm({ ...form, apiBase: "ftp://x" }, "create").apiBase).toMatch(/http/);
    expect(validateHarnessForm({ ...form, alias: "gpt-5" }, "create", { aliases: ["claude-haiku"] }).alias).toMatch(/no model gpt-5/);
    // Editing: no name; wiring an existing harness: no name, no role needed.
    expect(validateHarnessForm({ ...form, name: "" }, "edit")).toEqual({});
    expect(validateHarnessForm({ ...form, name: "", roleArn: "" }, "wire", { existingHarness: true })).toEqual({});
    expect(validateHarnessForm({ ...form, provider: "bad name" }, "wire").provider).toMatch(/Letters/);
    expect(validateHarnessForm({ ...form, provider: "" }, "create").provider).toMatch(/create one first/);
  });

  it("creates with the alias (sent as litellm_proxy/<alias> by the gateway)", () => {
    expect(harnessCreateBody(form)).toEqual({
      harness_name: "seed_harness",
      execution_role_arn: ROLE,
      model: "claude-haiku",
      credential_provider: "litellm-proxy",
      api_base: "https://gw.example.com",
      system_prompt: "You are a helpful assistant.",
      max_tokens: 512,
      temperature: 0.2,
    });
    expect(harnessCreateBody({ ...form, alias: "litellm_proxy/claude-haiku" }, true)).toMatchObject({ model: "claude-haiku", force: true });
  });

  it("patches only what changed", () => {
    const h = harness();
    const f = harnessFormOf(h);
    expect(f).toMatchObject({ alias: "claude-haiku", provider: "litellm-proxy", maxTokens: "512", temperature: "0.2", topP: "" });
    expect(harnessPatchBody(f, h)).toEqual({});
    expect(harnessPatchBody({ ...f, systemPrompt: "Be terse." }, h)).toEqual({ system_prompt: "Be terse." });
    expect(harnessPatchBody({ ...f, alias: "claude-sonnet" }, h, true)).toEqual({ model: "claude-sonnet", force: true });
    expect(harnessPatchBody({ ...f, topP: "0.9", temperature: "" }, h)).toEqual({ top_p: 0.9 });
    // A bare id or another model source: saving sends the model (with the prefix, by the gateway).
    expect(harnessPatchBody(harnessFormOf(harness({}, { model_id: "claude-haiku", alias: null })), harness({}, { model_id: "claude-haiku", alias: null }))).toEqual({ model: "claude-haiku" });
  });

  it("wires with team, key and harness", () => {
    const body = wireRequestBody(form, { teamAlias: "agentcore-harness", keyAlias: "agentcore-harness-key", keyBudget: "10" });
    expect(body).toEqual({
      harness_name: "seed_harness",
      execution_role_arn: ROLE,
      model: "claude-haiku",
      credential_provider: "litellm-proxy",
      api_base: "https://gw.example.com",
      system_prompt: "You are a helpful assistant.",
      max_tokens: 512,
      temperature: 0.2,
      team_alias: "agentcore-harness",
      key_alias: "agentcore-harness-key",
      key_settings: { max_budget: 10 },
    });
    const existing = wireRequestBody({ ...form, name: "", roleArn: "" }, { harnessId: "h-1", teamId: "t-1", teamAlias: "ignored", keyAlias: "k" }, true);
    expect(existing).toMatchObject({ harness_id: "h-1", team_id: "t-1", key_alias: "k", force: true });
    expect(existing).not.toHaveProperty("harness_name");
    expect(existing).not.toHaveProperty("team_alias");
    expect(existing).not.toHaveProperty("execution_role_arn");
  });

  it("asks the doctor about the model id as it would be sent", () => {
    expect(doctorBodyOfForm(form)).toEqual({ model: "litellm_proxy/claude-haiku", api_base: "https://gw.example.com", credential_provider: "litellm-proxy" });
    expect(doctorBodyOfForm({ ...form, apiBase: "" }, "h-1")).toEqual({ harness_id: "h-1", model: "litellm_proxy/claude-haiku", credential_provider: "litellm-proxy" });
  });
});

describe("credential providers", () => {
  it("says which key a provider holds", () => {
    expect(providerKeyLabel({ key: { token: "t", key_alias: "agentcore-harness-key", key_name: "sk-...abcd", team_id: null, status: "active" } })).toBe("holds key agentcore-harness-key");
    expect(providerKeyLabel({ key: { token: "t", key_alias: null, key_name: "sk-...abcd", team_id: null, status: "active" } })).toBe("holds key sk-...abcd");
    expect(providerKeyLabel({ key: null })).toBe("holds a key this gateway didn't store");
  });
  it("builds create/rotate bodies", () => {
    expect(providerBody("litellm-proxy", { kind: "paste", key: " sk-abc123456 " })).toEqual({ name: "litellm-proxy", key: "sk-abc123456" });
    expect(providerBody(null, { kind: "generate", teamId: "t1", keyAlias: "k-2", maxBudget: "" })).toEqual({ generate: { team_id: "t1", key_alias: "k-2" } });
    expect(providerBody("p", { kind: "generate", teamId: "", keyAlias: "", maxBudget: "" })).toEqual({ name: "p", generate: true });
    expect(providerBody("p", { kind: "generate", teamId: "", keyAlias: "k", maxBudget: "5" })).toEqual({ name: "p", generate: { key_alias: "k", max_budget: 5 } });
    expect(providerBody("p", { kind: "secret", secretId: " harness/gateway-key ", jsonKey: "api_key" })).toEqual({ name: "p", secret: { secret_id: "harness/gateway-key", json_key: "api_key" } });
    expect(secretName("arn:aws:secretsmanager:us-east-1:123456789012:secret:harness/gateway-key-AbC123")).toBe("harness/gateway-key");
    expect(secretName("harness/gateway-key")).toBe("harness/gateway-key");
  });
  it("names the rotated key", () => {
    expect(nextKeyAlias("agentcore-harness-key")).toBe("agentcore-harness-key-2");
    expect(nextKeyAlias("agentcore-harness-key-2")).toBe("agentcore-harness-key-3");
    expect(nextKeyAlias(null)).toBe("agentcore-harness-key-2");
  });
});

describe("the API base", () => {
  it("knows what AWS cannot reach", () => {
    expect(classifyApiBase("http://127.0.0.1:4000").kind).toBe("loopback");
    expect(classifyApiBase("http://localhost:4000").kind).toBe("loopback");
    expect(classifyApiBase("http://[::1]:4000").kind).toBe("loopback");
    expect(classifyApiBase("http://10.0.0.5").kind).toBe("private");
    expect(classifyApiBase("http://172.20.1.1").kind).toBe("private");
    expect(classifyApiBase("http://172.32.1.1").kind).toBe("public");
    expect(classifyApiBase("http://192.168.1.2").kind).toBe("private");
    expect(classifyApiBase("http://100.64.0.1").kind).toBe("private");
    expect(classifyApiBase("http://169.254.169.254").kind).toBe("link-local");
    expect(classifyApiBase("http://[fe80::1]").kind).toBe("link-local");
    expect(classifyApiBase("http://[fd00::1]").kind).toBe("private");
    expect(classifyApiBase("http://0.0.0.0:4000").kind).toBe("unspecified");
    expect(classifyApiBase("http://gateway:4000").kind).toBe("local-name");
    expect(classifyApiBase("http://box.local").kind).toBe("local-name");
    expect(classifyApiBase("").kind).toBe("missing");
    expect(classifyApiBase("gateway:4000").kind).toBe("invalid");
    expect(classifyApiBase("https://gw.example.com")).toEqual({ kind: "public", reason: "", insecure: false });
    expect(classifyApiBase("http://gw.example.com").insecure).toBe(true);
    expect(classifyApiBase("http://127.0.0.1:4000").reason).toMatch(/loopback/);
  });
});

describe("AWS errors", () => {
  it("keeps the service's message and the fix", () => {
    const text = JSON.stringify({
      error: { message: "AgentCore ListHarnesses failed: ThrottlingException: Rate exceeded", type: "aws_throttling", param: null, code: "429", fix: "AgentCore is throttling requests: wait a few seconds and try again." },
    });
    const e = agentCoreErrorFrom(429, text, "3", "/agentcore/harnesses");
    expect(e).toBeInstanceOf(AgentCoreError);
    expect(e.retryAfter).toBe(3);
    const x = explainAgentCoreError(e);
    expect(x.title).toBe("AgentCore is throttling requests.");
    expect(x.message).toMatch(/ThrottlingException: Rate exceeded/);
    expect(x.fix).toMatch(/wait a few seconds/);
  });
  it("names Secrets Manager when the secret a provider names is the problem", () => {
    const text = JSON.stringify({
      error: { message: "Secrets Manager GetSecretValue failed: ResourceNotFoundException: Secrets Manager can't find the specified secret.", type: "aws_not_found", param: null, code: "404", fix: "Check the secret's name" },
    });
    expect(explainAgentCoreError(agentCoreErrorFrom(404, text, null, "/agentcore/providers")).title).toBe("Not found in Secrets Manager.");
  });
  it("carries the doctor's report of a refused save, and whether force is offered", () => {
    const report = { ok: false, errors: 1, warnings: 0, findings: [{ check: "api_base_unreachable", severity: "error", message: "loopback", fix: "Deploy" }], passed: [], subject: {} };
    const text = JSON.stringify({ error: { message: 'The doctor found 1 problem(s); nothing was saved. Fix them, or send "force": true to save anyway.', type: "doctor_findings", code: "400" }, doctor: report });
    const e = agentCoreErrorFrom(400, text, null, "/agentcore/harnesses");
    expect(e.refusedByDoctor).toBe(true);
    expect(e.forceOffered).toBe(true);
    expect(e.doctor?.findings[0].check).toBe("api_base_unreachable");
    const plain = agentCoreErrorFrom(400, JSON.stringify({ error: { message: "harness_name ... Try 'litellm_harness'", type: "invalid_request_error", param: "harness_name" } }), null, "/x");
    expect(plain.refusedByDoctor).toBe(false);
    expect(explainAgentCoreError(plain).title).toMatch(/nothing was sent to AWS/);
  });
});

describe("the wiring's stream", () => {
  const step = (id: string, status: Step["status"], more: Partial<Step> = {}): Step => ({ id, title: id, status, message: null, fix: null, error: null, detail: null, ...more });

  it("updates each step in place as it changes, then takes the result", () => {
    let s = initialWireState();
    expect(s.steps.map((x) => x.id)).toEqual(["preflight", "team", "key", "provider", "harness", "ready"]);
    expect(s.steps.every((x) => x.status === "not_started")).toBe(true);
    s = applyWireEvent(s, { type: "step", step: step("preflight", "running") });
    s = applyWireEvent(s, { type: "step", step: step("preflight", "done", { message: "ok" }) });
    s = applyWireEvent(s, { type: "step", step: step("team", "running") });
    expect(s.steps.map((x) => x.status)).toEqual(["done", "running", "not_started", "not_started", "not_started", "not_started"]);
    expect(s.steps[0].message).toBe("ok");
    const failed = step("harness", "failed", { message: "AccessDeniedException: ...", fix: "iam:PassRole", error: { kind: "access_denied", code: "AccessDeniedException", message: "...", status: 403 } });
    const result: WireResult = {
      ok: false,
      message: 'Stopped at "harness"',
      fix: "iam:PassRole",
      region: "us-east-1",
      steps: [step("preflight", "done"), step("team", "done"), step("key", "done"), step("provider", "done"), failed, step("ready", "not_started")],
      team: null,
      key: null,
      provider: null,
      harness: null,
      doctor: null,
    };
    s = applyWireEvent(s, { type: "result", result });
    expect(s.result?.ok).toBe(false);
    expect(s.steps.map((x) => x.status)).toEqual(["done", "done", "done", "done", "failed", "not_started"]);
    expect(wireRefusedByDoctor(s)).toBe(false);
  });

  it("offers to go on when only the doctor stopped it", () => {
    const report = { ok: false, errors: 1, warnings: 1, findings: [], passed: [], subject: {} };
    const s = applyWireEvent(initialWireState(), { type: "step", step: step("preflight", "failed", { detail: report }) });
    expect(wireRefusedByDoctor(s)).toBe(true);
    const invalid = applyWireEvent(initialWireState(), { type: "step", step: step("preflight", "failed", { message: "Try 'litellm_harness'" }) });
    expect(wireRefusedByDoctor(invalid)).toBe(false);
  });
});

describe("the playground's stream", () => {
  const play = (events: InvokeEvent[]) => events.reduce(applyInvokeEvent, emptyTurn());

  it("streams text, stop reason and usage", () => {
    const t = play([
      { type: "session", session_id: "s".repeat(40), harness_id: "h", model_id: "litellm_proxy/claude-haiku" },
      { type: "message_start", role: "assistant" },
      { type: "text", index: 0, text: "Hello from " },
      { type: "text", index: 0, text: "fake-bedrock!" },
      { type: "content_block_stop", index: 0 },
      { type: "message_stop", stop_reason: "end_turn" },
      { type: "metadata", usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 }, latency_ms: 120 },
      { type: "done" },
    ]);
    expect(t.sessionId).toBe("s".repeat(40));
    expect(t.modelId).toBe("litellm_proxy/claude-haiku");
    expect(turnText(t)).toBe("Hello from fake-bedrock!");
    expect(t.stopReason).toBe("end_turn");
    expect(t.usage?.total_tokens).toBe(15);
    expect(t.latencyMs).toBe(120);
    expect(t.done).toBe(true);
    expect(t.blocks.map((b) => b.kind)).toEqual(["text", "stop"]);
  });

  it("shows tool use, hook events and tool results in order; indices restart per message", () => {
    const t = play([
      { type: "message_start", role: "assistant" },
      { type: "tool_use_start", index: 0, tool_use_id: "tu1", name: "current_time", tool_type: "inline_function", server_name: null },
      { type: "tool_use_input", index: 0, input: '{"city":' },
      { type: "tool_use_input", index: 0, input: '"Paris"}' },
      { type: "message_stop", stop_reason: "tool_use" },
      { type: "hook", hook_event_id: "e1", name: "audit_tool_calls", hook_type: "before_tool_call", decision: "allow", reason: null },
      { type: "message_start", role: "user" },
      { type: "tool_result_start", index: 0, tool_use_id: "tu1", status: "success" },
      { type: "tool_result", index: 0, content: [{ text: "It is 12:00 in Paris." }, { json: { ok: true } }] },
      { type: "message_stop", stop_reason: "tool_result" },
      { type: "message_start", role: "assistant" },
      { type: "text", index: 0, text: "The tool said: It is 12:00 in Paris." },
      { type: "message_stop", stop_reason: "end_turn" },
    ]);
    expect(t.blocks.map((b) => b.kind)).toEqual(["tool_use", "stop", "hook", "tool_result", "stop", "text", "stop"]);
    const use = t.blocks[0];
    expect(use.kind === "tool_use" && use.input).toBe('{"city":"Paris"}');
    const res = t.blocks[3];
    expect(res.kind === "tool_result" && res.content).toEqual(["It is 12:00 in Paris.", '{"ok":true}']);
    const hook = t.blocks[2];
    expect(hook.kind === "hook" && hook.hookType).toBe("before_tool_call");
    expect(turnText(t)).toBe("The tool said: It is 12:00 in Paris.");
    expect(t.stopReason).toBe("end_turn");
  });

  it("ends on an error with its fix", () => {
    const t = play([
      { type: "message_start", role: "assistant" },
      { type: "error", kind: "runtime_client", code: "RuntimeClientError", message: "litellm.BadRequestError: LLM Provider NOT provided", fix: "Use litellm_proxy/<alias>", status: 424 },
    ]);
    expect(t.done).toBe(true);
    expect(t.error).toEqual({ kind: "runtime_client", code: "RuntimeClientError", message: "litellm.BadRequestError: LLM Provider NOT provided", fix: "Use litellm_proxy/<alias>", detail: null });
  });

  it("puts the harness's gateway calls among its events, and adds them up", () => {
    const call = (model: string, status: string, spend: number) => ({
      request_id: model + status, model_group: model, key_alias: "agentcore-harness-key", api_key: "hash", prompt_tokens: 10, completion_tokens: 4,
      spend, duration_ms: 12, status, start_time: "2026-12-06T10:00:00.000Z", end_time: "2026-12-06T10:00:00.012Z", matched_by: "trace" as const,
    });
    const t = play([
      { type: "message_start", role: "assistant" },
      { type: "gateway_call", call: call("claude-haiku", "success", 0.001) },
      { type: "text", index: 0, text: "Hi" },
      { type: "message_stop", stop_reason: "end_turn" },
      { type: "gateway_call", call: call("claude-sonnet", "failure", 0) },
      { type: "gateway_call" },
    ]);
    expect(t.blocks.map((b) => b.kind)).toEqual(["call", "text", "stop", "call"]);
    expect(turnCalls(t).map((c) => c.model_group)).toEqual(["claude-haiku", "claude-sonnet"]);
    expect(callTotals(turnCalls(t))).toEqual({ calls: 2, failed: 1, promptTokens: 20, completionTokens: 8, spend: 0.001 });
    expect(turnText(t)).toBe("Hi");
  });

  it("does not mutate the turn it is given", () => {
    const a = play([{ type: "message_start", role: "assistant" }, { type: "text", index: 0, text: "a" }]);
    const b = applyInvokeEvent(a, { type: "text", index: 0, text: "b" });
    expect(turnText(a)).toBe("a");
    expect(turnText(b)).toBe("ab");
  });
});

describe("the AgentCore API client", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("puts the region and profile after a path's own query", async () => {
    const fetchMock = vi.fn().mockImplementation(async () => new Response('{"harness_id":"h","from":"1","to":"2","changes":[]}', { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    const api = new AgentCoreApi(new Gateway("http://gw", "sk-master"), { region: "us-west-2", profile: "dev" });
    await api.versionDiff("h 1", "1", "2");
    await api.versions("h");
    await api.deleteEndpoint("h", "stable");
    expect(fetchMock.mock.calls.map((c) => c[0])).toEqual([
      "http://gw/agentcore/harnesses/h%201/versions/diff?from=1&to=2&region=us-west-2&profile=dev",
      "http://gw/agentcore/harnesses/h/versions?region=us-west-2&profile=dev",
      "http://gw/agentcore/harnesses/h/endpoints/stable?region=us-west-2&profile=dev",
    ]);
  });
});

describe("links to the request log", () => {
  it("reads the filter from the hash", () => {
    expect(filterFromHash("#/requests?key=abc123&model=claude-haiku")).toEqual({ key: "abc123", model: "claude-haiku" });
    expect(filterFromHash("#/requests")).toEqual({});
  });
});
