import { describe, expect, it } from "vitest";
import type { HarnessView } from "../lib/api.gen";
import { emptyHookRow, emptyToolRow, rowId, settingsBody, settingsStateOf, settingsSummary, validateSettings } from "../lib/harnessSettings";

const HIDDEN = "<hidden:1a2b3c4d>";

function harness(over: Partial<HarnessView> = {}): HarnessView {
  return {
    harness_id: "h-1",
    harness_name: "h",
    arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/h-1",
    status: "READY",
    tools: [
      { type: "remote_mcp", name: "docs", config: { remote_mcp: { url: "https://mcp.example.com/mcp", headers: { Authorization: HIDDEN } } } },
      {
        type: "agentcore_gateway",
        name: "gw",
        config: {
          agentcore_gateway: {
            gateway_arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/g",
            outbound_auth: { oauth: { provider_arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/o", scopes: ["read"], grant_type: "CLIENT_CREDENTIALS" } },
          },
        },
      },
    ],
    allowed_tools: ["*"],
    skills: [{ git: { url: "https://github.com/acme/skills", path: "review", auth: { credential_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:git" } } }],
    memory: {
      agentcore_memory: { arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/m", actor_id: "support", retrieval_config: { "/facts": { top_k: 5 } } },
    },
    truncation: { strategy: "sliding_window", config: { sliding_window: { messages_count: 20 } } },
    hooks: [{ before_tool_call: { name: "guard", target: { lambda: { arn: "arn:aws:lambda:us-east-1:123456789012:function:guard", timeout_seconds: 60, failure_mode: "deny" } } } }],
    max_iterations: 75,
    invocation_max_tokens: null,
    timeout_seconds: 3600,
    environment_variables: { TOKEN: HIDDEN, LOG_LEVEL: "<hidden:99999999>" },
    ...over,
  };
}

describe("harness settings form", () => {
  it("an unchanged harness sends nothing, hidden values included", () => {
    const h = harness();
    expect(settingsBody(settingsStateOf(h), h)).toEqual({});
  });

  it("keeps what the form does not edit: OAuth, git auth, memory retrieval", () => {
    const h = harness();
    const s = settingsStateOf(h);
    s.tools[1].name = "gateway";
    s.actorId = "sales";
    s.skills[0].path = "triage";
    const body = settingsBody(s, h);
    expect(body.tools?.[1].config).toEqual(h.tools[1].config);
    expect(body.tools?.[0]).toEqual(h.tools[0]);
    expect(body.skills?.[0]).toEqual({ git: { url: "https://github.com/acme/skills", path: "triage", auth: { credential_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:git" } } });
    expect(body.memory).toEqual({ agentcore_memory: { arn: "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/m", actor_id: "sales", retrieval_config: { "/facts": { top_k: 5 } } } });
    expect(body.truncation).toBeUndefined();
  });

  it("environment edits are sent as changes", () => {
    const h = harness();
    const s = settingsStateOf(h);
    s.env = s.env.filter((v) => v.name !== "LOG_LEVEL");
    s.env.push({ id: rowId(), name: "REGION_HINT", value: "eu" });
    expect(settingsBody(s, h).environment_variables).toEqual({ REGION_HINT: "eu", LOG_LEVEL: null });
    const renamed = settingsStateOf(h);
    renamed.env[0].name = "API_TOKEN";
    expect(validateSettings(renamed)["env.0.value"]).toMatch(/type the value again/);
    renamed.env[0].value = "new";
    expect(settingsBody(renamed, h).environment_variables).toEqual({ API_TOKEN: "new", TOKEN: null });
  });

  it("a new harness sends what is set", () => {
    const s = settingsStateOf(null);
    expect(settingsBody(s)).toEqual({});
    const fn = { ...emptyToolRow("inline_function"), name: "lookup", description: "Finds an order" };
    s.tools = [fn];
    s.memory = "managed";
    s.strategies = ["SEMANTIC"];
    s.truncation = "summarization";
    s.summaryRatio = "0.3";
    s.maxIterations = "10";
    expect(settingsBody(s)).toEqual({
      tools: [{ type: "inline_function", name: "lookup", config: { inline_function: { description: "Finds an order", input_schema: { type: "object", properties: {} } } } }],
      memory: { managed: { strategies: ["SEMANTIC"] } },
      truncation: { strategy: "summarization", config: { summarization: { summary_ratio: 0.3 } } },
      max_iterations: 10,
    });
  });

  it("checks what the gateway checks", () => {
    const s = settingsStateOf(null);
    s.tools = [
      { ...emptyToolRow("remote_mcp"), name: "a b", url: "ftp://x", headers: "Bad Header: x" },
      { ...emptyToolRow("inline_function"), name: "f", schema: "[1]" },
      { ...emptyToolRow("agentcore_gateway"), name: "f", gatewayArn: "gw" },
    ];
    s.skills = [{ id: rowId(), kind: "s3", value: "bucket/x", path: "" }];
    s.memory = "agentcore_memory";
    s.memoryArn = "memory";
    s.truncation = "summarization";
    s.summaryRatio = "0";
    s.maxIterations = "0";
    s.env = [{ id: rowId(), name: "1X", value: "v" }];
    const e = validateSettings(s);
    expect(Object.keys(e).sort()).toEqual(
      [
        "tools.0.name",
        "tools.0.url",
        "tools.0.headers",
        "tools.1.description",
        "tools.1.schema",
        "tools.2.name",
        "tools.2.gatewayArn",
        "skills.0.value",
        "memoryArn",
        "summaryRatio",
        "maxIterations",
        "env.0.name",
      ].sort(),
    );
    expect(validateSettings(settingsStateOf(harness()))).toEqual({});
  });

  it("summarizes the settings", () => {
    expect(settingsSummary(harness())).toEqual(["2 tools: docs, gw", "1 skill", "memory: your AgentCore Memory", "truncation: sliding window", "1 hook", "env: TOKEN, LOG_LEVEL"]);
    expect(settingsSummary(harness({ tools: [], memory: { disabled: {} }, truncation: null, environment_variables: {}, skills: [], hooks: [] }))).toEqual(["no tools", "memory off"]);
  });

  it("edits hooks: event, name, target", () => {
    const h = harness();
    const s = settingsStateOf(h);
    expect(s.hooks[0]).toMatchObject({ event: "before_tool_call", name: "guard", target: "lambda", timeout: "60", failureMode: "deny" });
    s.hooks[0].failureMode = "allow";
    s.hooks.push({ ...emptyHookRow(), event: "after_invocation", name: "audit", target: "event_bridge", arn: "arn:aws:events:us-east-1:123456789012:event-bus/default" });
    expect(settingsBody(s, h).hooks).toEqual([
      { before_tool_call: { name: "guard", target: { lambda: { arn: "arn:aws:lambda:us-east-1:123456789012:function:guard", timeout_seconds: 60, failure_mode: "allow" } } } },
      { after_invocation: { name: "audit", target: { event_bridge: { arn: "arn:aws:events:us-east-1:123456789012:event-bus/default" } } } },
    ]);
    s.hooks.push({ ...emptyHookRow(), name: "guard", target: "sns", arn: "arn:aws:lambda:us-east-1:123456789012:function:x", timeout: "0" });
    const e = validateSettings(s);
    expect(e["hooks.2.name"]).toMatch(/Another hook/);
    expect(e["hooks.2.arn"]).toMatch(/SNS topic ARN/);
    expect(e["hooks.2.timeout"]).toBeUndefined();
  });
});
