// "Get code": the playground's conversation and settings as a runnable snippet for curl, the
// openai and anthropic Python SDKs and the litellm SDK. The key is never written out: curl reads
// $SWITCHBOARD_API_KEY, Python os.environ["SWITCHBOARD_API_KEY"].

import { type ChatMessage, SAMPLE_TOOL } from "./chat";
import {
  DEFAULT_MAX_TOKENS,
  ENDPOINTS,
  type EndpointId,
  SAMPLE_TOOL_ANTHROPIC,
  SAMPLE_TOOL_RESPONSES,
  type TurnSettings,
  embeddingInput,
  toAnthropic,
  toResponsesInput,
} from "./endpoints";

export type CodeKind = "curl" | "openai" | "anthropic" | "litellm";

export const CODE_LABELS: Record<CodeKind, string> = {
  curl: "curl",
  openai: "Python · openai",
  anthropic: "Python · anthropic",
  litellm: "Python · litellm",
};

/** The snippets that make sense for an endpoint (no anthropic SDK for an embedding). */
export function codeKindsFor(endpoint: EndpointId): CodeKind[] {
  return endpoint === "embeddings" ? ["curl", "openai", "litellm"] : ["curl", "openai", "anthropic", "litellm"];
}

/** The tab a dialog opens on: the SDK of the endpoint's API. */
export function defaultCodeKind(endpoint: EndpointId): CodeKind {
  return endpoint === "messages" ? "anthropic" : "openai";
}

/** The environment variable the snippets read the key from. */
export const KEY_ENV = "SWITCHBOARD_API_KEY";

export interface CodeInput {
  /** The gateway URL (a trailing slash is ignored). */
  gatewayUrl: string;
  /**
   * The endpoint: curl calls it, the openai snippet uses its API (chat.completions, responses or
   * embeddings), the anthropic snippet is always a Messages call, litellm completion or embedding.
   */
  endpoint: EndpointId;
  /** The conversation in OpenAI's chat shape, system messages included. */
  messages: ChatMessage[];
  settings: TurnSettings;
}

function shellSingle(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const pad = (n: number) => " ".repeat(n);

/** A JSON value as a Python literal (None/True/False; short values on one line). */
export function pyLiteral(v: unknown, indent = 0): string {
  const inline = pyInline(v);
  if (inline.length + indent <= 88 || (typeof v !== "object" || v === null)) return inline;
  if (Array.isArray(v)) {
    if (!v.length) return "[]";
    return `[\n${v.map((x) => pad(indent + 4) + pyLiteral(x, indent + 4)).join(",\n")},\n${pad(indent)}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (!entries.length) return "{}";
  return `{\n${entries.map(([k, x]) => `${pad(indent + 4)}${JSON.stringify(k)}: ${pyLiteral(x, indent + 4)}`).join(",\n")},\n${pad(indent)}}`;
}

function pyInline(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "None";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyInline).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${pyInline(x)}`).join(", ")}}`;
  }
  return JSON.stringify(String(v));
}

/** `name=value,` keyword lines of a call, four spaces in. */
function kwargs(args: Array<[string, unknown]>): string[] {
  return args.filter(([, v]) => v !== undefined).map(([k, v]) => `    ${k}=${typeof v === "object" && v !== null && "__raw" in v ? (v as { __raw: string }).__raw : pyLiteral(v, 4)},`);
}

const raw = (code: string) => ({ __raw: code });
const keyFromEnv = raw(`os.environ[${JSON.stringify(KEY_ENV)}]`);

export function codeSnippet(kind: CodeKind, input: CodeInput): string {
  const base = input.gatewayUrl.replace(/\/+$/, "");
  const s = input.settings;
  const model = s.model || "claude-haiku";
  const messages = input.messages.length ? input.messages : [{ role: "user" as const, content: "Hello" }];
  switch (kind) {
    case "curl": {
      const spec = ENDPOINTS[input.endpoint];
      const headers = spec.headers(`$${KEY_ENV}`);
      const body = spec.body(messages, { ...s, model });
      const lines = [`curl${s.stream && spec.kind === "chat" ? " -N" : ""} ${shellSingle(base + spec.path)} \\`];
      for (const [name, value] of Object.entries(headers)) {
        // The key's variable is expanded by the shell: that header is double-quoted.
        lines.push(`  -H ${value.includes("$") ? `"${name}: ${value}"` : shellSingle(`${name}: ${value}`)} \\`);
      }
      lines.push(`  -d ${shellSingle(JSON.stringify(body, null, 2))}`);
      return lines.join("\n");
    }
    case "openai": {
      if (input.endpoint === "responses") return openaiResponses(base, model, messages, s);
      if (input.endpoint === "embeddings") return openaiEmbeddings(base, model, messages);
      const call = [
        ...kwargs([
          ["model", model],
          ["messages", messages],
          ["temperature", s.temperature],
          ["max_tokens", s.maxTokens],
          ["tools", s.tools ? [SAMPLE_TOOL] : undefined],
        ]),
      ];
      const head = ["import os", "", "from openai import OpenAI", "", "client = OpenAI(", ...kwargs([["base_url", `${base}/v1`], ["api_key", keyFromEnv]]), ")"];
      if (s.stream) {
        return [
          ...head,
          "stream = client.chat.completions.create(",
          ...call,
          "    stream=True,",
          ")",
          "for chunk in stream:",
          "    if chunk.choices and chunk.choices[0].delta.content:",
          '        print(chunk.choices[0].delta.content, end="", flush=True)',
          "print()",
        ].join("\n");
      }
      return [
        ...head,
        "response = client.chat.completions.create(",
        ...call,
        ")",
        "message = response.choices[0].message",
        "print(message.content)",
        ...(s.tools ? ["print(message.tool_calls)"] : []),
      ].join("\n");
    }
    case "anthropic": {
      const a = toAnthropic(messages);
      const call = kwargs([
        ["model", model],
        ["max_tokens", s.maxTokens ?? DEFAULT_MAX_TOKENS],
        ["system", a.system ?? undefined],
        ["messages", a.messages],
        ["temperature", s.temperature],
        ["tools", s.tools ? [SAMPLE_TOOL_ANTHROPIC] : undefined],
      ]);
      // The SDK adds /v1/messages to the base URL itself.
      const head = ["import os", "", "import anthropic", "", "client = anthropic.Anthropic(", ...kwargs([["base_url", base], ["api_key", keyFromEnv]]), ")"];
      if (s.stream) {
        return [
          ...head,
          "with client.messages.stream(",
          ...call,
          ") as stream:",
          "    for text in stream.text_stream:",
          '        print(text, end="", flush=True)',
          "print()",
        ].join("\n");
      }
      return [
        ...head,
        "message = client.messages.create(",
        ...call,
        ")",
        "for block in message.content:",
        '    if block.type == "text":',
        "        print(block.text)",
        '    elif block.type == "tool_use":',
        "        print(block.name, block.input)",
      ].join("\n");
    }
    case "litellm": {
      if (input.endpoint === "embeddings") {
        return [
          "import os",
          "",
          "import litellm",
          "",
          "# litellm_proxy/ + the alias: the litellm SDK calls this gateway as a LiteLLM proxy.",
          "response = litellm.embedding(",
          ...kwargs([
            ["model", `litellm_proxy/${model}`],
            ["api_base", base],
            ["api_key", keyFromEnv],
            ["input", [embeddingInput(messages)]],
          ]),
          ")",
          'vector = response.data[0]["embedding"]',
          "print(len(vector), vector[:5])",
        ].join("\n");
      }
      const call = kwargs([
        ["model", `litellm_proxy/${model}`],
        ["api_base", base],
        ["api_key", keyFromEnv],
        ["messages", messages],
        ["temperature", s.temperature],
        ["max_tokens", s.maxTokens],
        ["tools", s.tools ? [SAMPLE_TOOL] : undefined],
      ]);
      const head = ["import os", "", "import litellm", "", "# litellm_proxy/ + the alias: the litellm SDK calls this gateway as a LiteLLM proxy."];
      if (s.stream) {
        return [
          ...head,
          "stream = litellm.completion(",
          ...call,
          "    stream=True,",
          ")",
          "for chunk in stream:",
          '    print(chunk.choices[0].delta.content or "", end="", flush=True)',
          "print()",
        ].join("\n");
      }
      return [...head, "response = litellm.completion(", ...call, ")", "print(response.choices[0].message.content)"].join("\n");
    }
  }
}

function openaiHead(base: string): string[] {
  return ["import os", "", "from openai import OpenAI", "", "client = OpenAI(", ...kwargs([["base_url", `${base}/v1`], ["api_key", keyFromEnv]]), ")"];
}

/** `client.responses.create`: the conversation as input items, as the playground sends it. */
function openaiResponses(base: string, model: string, messages: ChatMessage[], s: TurnSettings): string {
  const r = toResponsesInput(messages);
  // A single user message is sent as a plain string, as people write it.
  const only = r.input.length === 1 && "role" in r.input[0] && r.input[0].role === "user" ? r.input[0].content : null;
  const call = kwargs([
    ["model", model],
    ["instructions", r.instructions ?? undefined],
    ["input", only ?? r.input],
    ["temperature", s.temperature],
    ["max_output_tokens", s.maxTokens],
    ["tools", s.tools ? [SAMPLE_TOOL_RESPONSES] : undefined],
    ["store", false],
  ]);
  if (s.stream) {
    return [
      ...openaiHead(base),
      "stream = client.responses.create(",
      ...call,
      "    stream=True,",
      ")",
      "for event in stream:",
      '    if event.type == "response.output_text.delta":',
      '        print(event.delta, end="", flush=True)',
      "print()",
    ].join("\n");
  }
  return [
    ...openaiHead(base),
    "response = client.responses.create(",
    ...call,
    ")",
    "print(response.output_text)",
    ...(s.tools ? ["for item in response.output:", '    if item.type == "function_call":', "        print(item.name, item.arguments)"] : []),
  ].join("\n");
}

/** `client.embeddings.create` of the text being typed (or the last one sent). */
function openaiEmbeddings(base: string, model: string, messages: ChatMessage[]): string {
  return [
    ...openaiHead(base),
    "response = client.embeddings.create(",
    ...kwargs([
      ["model", model],
      ["input", embeddingInput(messages)],
    ]),
    ")",
    "vector = response.data[0].embedding",
    "print(len(vector), vector[:5])",
  ].join("\n");
}
