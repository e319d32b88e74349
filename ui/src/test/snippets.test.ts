import { describe, expect, it } from "vitest";
import { KEY_PLACEHOLDER, SNIPPET_KEY_ENV, SNIPPET_LABELS, openaiBaseUrl, prometheusScrapeConfig, snippet } from "../lib/snippets";

const input = { gatewayUrl: "http://127.0.0.1:4000/", model: "claude-haiku" };

describe("snippets", () => {
  it("builds the OpenAI base URL", () => {
    expect(openaiBaseUrl("http://127.0.0.1:4000/")).toBe("http://127.0.0.1:4000/v1");
  });
  it("uses the bare alias for the openai SDK and curl", () => {
    const py = snippet("python", input);
    expect(py).toContain('base_url="http://127.0.0.1:4000/v1"');
    expect(py).toContain('model="claude-haiku"');
    expect(py).toContain(KEY_PLACEHOLDER);
    const curl = snippet("curl", { ...input, apiKey: "sk-abc" });
    expect(curl).toContain("'http://127.0.0.1:4000/v1/chat/completions'");
    expect(curl).toContain("Authorization: Bearer sk-abc");
    expect(curl).toContain('"model":"claude-haiku"');
  });
  it("uses litellm_proxy/<alias> for LiteLLM clients and the harness", () => {
    expect(snippet("litellm", input)).toContain('model="litellm_proxy/claude-haiku"');
    expect(snippet("litellm", input)).toContain('api_base="http://127.0.0.1:4000"');
    const h = snippet("harness", input);
    expect(h).toContain("litellm_proxy/claude-haiku");
    expect(h).toContain("LiteLLM API base:  http://127.0.0.1:4000");
  });
  it("quotes single quotes in curl bodies", () => {
    expect(snippet("curl", { ...input, model: "it's" })).toContain(`it'\\''s`);
  });
});

describe("agent tool snippets", () => {
  it("Claude Code: base URL, auth token from the environment, model, then claude", () => {
    const cc = snippet("claude-code", { ...input, apiKey: "sk-secret-key-1234" });
    const lines = cc.split("\n");
    expect(lines).toEqual([
      "export ANTHROPIC_BASE_URL='http://127.0.0.1:4000'",
      `export ANTHROPIC_AUTH_TOKEN="$${SNIPPET_KEY_ENV}"  # a virtual key`,
      "export ANTHROPIC_MODEL='claude-haiku'",
      "export ANTHROPIC_DEFAULT_HAIKU_MODEL='claude-haiku'",
      "claude",
    ]);
    expect(cc).not.toContain("sk-secret");
  });
  it("OpenAI Agents SDK: AsyncOpenAI at <gateway>/v1, the alias, Runner.run_sync", () => {
    const a = snippet("agents", { ...input, apiKey: "sk-secret-key-1234" });
    expect(a).toContain("from agents import Agent, Runner, OpenAIChatCompletionsModel, set_tracing_disabled");
    expect(a).toContain("from openai import AsyncOpenAI");
    expect(a).toContain('base_url="http://127.0.0.1:4000/v1"');
    expect(a).toContain(`api_key=os.environ["${SNIPPET_KEY_ENV}"]`);
    expect(a).toContain('model=OpenAIChatCompletionsModel(model="claude-haiku", openai_client=client)');
    expect(a).toContain("Runner.run_sync(agent, ");
    expect(a).not.toContain("sk-secret");
    expect(SNIPPET_LABELS["claude-code"]).toBe("Claude Code");
  });
});

describe("prometheus scrape config", () => {
  it("targets the gateway's host and port, with the token only when needed", () => {
    const open = prometheusScrapeConfig("http://127.0.0.1:4000", false);
    expect(open).toContain("targets: ['127.0.0.1:4000']");
    expect(open).toContain("metrics_path: /metrics");
    expect(open).not.toContain("authorization");
    expect(open).not.toContain("scheme");
    const remote = prometheusScrapeConfig("https://gw.example.com", true);
    expect(remote).toContain("scheme: https");
    expect(remote).toContain("targets: ['gw.example.com:443']");
    expect(remote).toContain("credentials_file:");
  });
});
