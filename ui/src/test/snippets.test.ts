import { describe, expect, it } from "vitest";
import { KEY_PLACEHOLDER, openaiBaseUrl, snippet } from "../lib/snippets";

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
