// Copyable snippets for the clients the seed article uses: the openai SDK, curl, the litellm
// SDK (litellm_proxy/<alias>) and an AgentCore harness with model source LiteLLM; and for the
// agent tools: Claude Code (Anthropic's Messages API) and the OpenAI Agents SDK.

export type SnippetKind = "python" | "curl" | "litellm" | "harness" | "claude-code" | "agents";

/** The environment variable the agent-tool snippets read the key from (never the key itself). */
export const SNIPPET_KEY_ENV = "SWITCHBOARD_API_KEY";

export interface SnippetInput {
  /** The gateway URL, no trailing slash. */
  gatewayUrl: string;
  /** A model alias. */
  model: string;
  /** A key to show, or a placeholder. Never the master key unless the user picked it. */
  apiKey?: string;
}

/** The OpenAI base URL: the gateway URL + /v1. */
export function openaiBaseUrl(gatewayUrl: string): string {
  return `${gatewayUrl.replace(/\/+$/, "")}/v1`;
}

export const KEY_PLACEHOLDER = "sk-your-virtual-key";

function py(s: string): string {
  return JSON.stringify(s);
}

function shellSingle(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function snippet(kind: SnippetKind, input: SnippetInput): string {
  const base = input.gatewayUrl.replace(/\/+$/, "");
  const key = input.apiKey || KEY_PLACEHOLDER;
  const model = input.model || "claude-haiku";
  switch (kind) {
    case "python":
      return [
        "from openai import OpenAI",
        "",
        "client = OpenAI(",
        `    base_url=${py(openaiBaseUrl(base))},`,
        `    api_key=${py(key)},`,
        ")",
        "reply = client.chat.completions.create(",
        `    model=${py(model)},`,
        `    messages=[{"role": "user", "content": "Hello"}],`,
        ")",
        "print(reply.choices[0].message.content)",
      ].join("\n");
    case "curl": {
      const body = JSON.stringify({ model, messages: [{ role: "user", content: "Hello" }] });
      return [
        `curl ${shellSingle(`${openaiBaseUrl(base)}/chat/completions`)} \\`,
        `  -H ${shellSingle(`Authorization: Bearer ${key}`)} \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d ${shellSingle(body)}`,
      ].join("\n");
    }
    case "litellm":
      return [
        "import litellm",
        "",
        "reply = litellm.completion(",
        `    model=${py(`litellm_proxy/${model}`)},  # litellm_proxy/ + the alias`,
        `    api_base=${py(base)},`,
        `    api_key=${py(key)},`,
        `    messages=[{"role": "user", "content": "Hello"}],`,
        ")",
        "print(reply.choices[0].message.content)",
      ].join("\n");
    case "harness":
      return [
        "Model source:      LiteLLM",
        `Model:             litellm_proxy/${model}`,
        `LiteLLM API base:  ${base}`,
        "Credential provider (API key): an AgentCore Identity API key holding a virtual key",
      ].join("\n");
    case "claude-code":
      // Claude Code calls <ANTHROPIC_BASE_URL>/v1/messages with the token as a Bearer key. Its
      // small background tasks use the "haiku" model, which must be an alias here too.
      return [
        `export ANTHROPIC_BASE_URL=${shellSingle(base)}`,
        `export ANTHROPIC_AUTH_TOKEN="$${SNIPPET_KEY_ENV}"  # a virtual key`,
        `export ANTHROPIC_MODEL=${shellSingle(model)}`,
        `export ANTHROPIC_DEFAULT_HAIKU_MODEL=${shellSingle(model)}`,
        "claude",
      ].join("\n");
    case "agents":
      return [
        "import os",
        "",
        "from agents import Agent, Runner, OpenAIChatCompletionsModel, set_tracing_disabled",
        "from openai import AsyncOpenAI",
        "",
        "set_tracing_disabled(True)  # traces would go to OpenAI, not to the gateway",
        "client = AsyncOpenAI(",
        `    base_url=${py(openaiBaseUrl(base))},`,
        `    api_key=os.environ[${py(SNIPPET_KEY_ENV)}],`,
        ")",
        "agent = Agent(",
        `    name="Assistant",`,
        `    instructions="You are a helpful assistant.",`,
        `    model=OpenAIChatCompletionsModel(model=${py(model)}, openai_client=client),`,
        ")",
        `result = Runner.run_sync(agent, "Hello")`,
        "print(result.final_output)",
      ].join("\n");
  }
}

export const SNIPPET_LABELS: Record<SnippetKind, string> = {
  python: "openai (Python)",
  curl: "curl",
  litellm: "litellm SDK",
  harness: "AgentCore harness",
  "claude-code": "Claude Code",
  agents: "Agents SDK",
};

/**
 * A Prometheus scrape job for this gateway. A gateway that asks for credentials gets the metrics
 * token as a bearer token, from a file so that the token stays out of prometheus.yml.
 */
export function prometheusScrapeConfig(gatewayUrl: string, needsCredentials: boolean): string {
  let url: URL;
  try {
    url = new URL(gatewayUrl);
  } catch {
    url = new URL("http://127.0.0.1:4000");
  }
  const https = url.protocol === "https:";
  const port = url.port || (https ? "443" : "80");
  const lines = ["scrape_configs:", "  - job_name: switchboard", "    metrics_path: /metrics"];
  if (https) lines.push("    scheme: https");
  if (needsCredentials) {
    lines.push("    authorization:", "      credentials_file: /etc/prometheus/switchboard-metrics-token");
  }
  lines.push("    static_configs:", `      - targets: ['${url.hostname}:${port}']`);
  return lines.join("\n");
}
