import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../lib/chat";
import { type CodeInput, KEY_ENV, codeSnippet, pyLiteral } from "../lib/codegen";

const messages: ChatMessage[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "It's \"quoted\"\nand multi-line" },
  { role: "assistant", content: "Sure." },
  { role: "user", content: "Again?" },
];

const input: CodeInput = {
  gatewayUrl: "http://127.0.0.1:4000/",
  endpoint: "messages",
  messages,
  settings: { model: "claude-haiku", temperature: 0.7, maxTokens: 256, tools: false, stream: false },
};

/**
 * Parses Python with the real parser when python3 is on the machine (it is on the dev box and
 * in CI); else checks brackets balance. Node's child_process is loaded by name so the panel's
 * TypeScript config needs no node types.
 */
async function assertPython(code: string): Promise<void> {
  const specifier = "node:child_process";
  const cp = (await import(/* @vite-ignore */ specifier)) as { spawnSync: (cmd: string, args: string[], o: { input: string; encoding: string }) => { status: number | null; stderr: string; error?: Error } };
  const r = cp.spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: code, encoding: "utf8" });
  if (r.error) {
    let depth = 0;
    for (const c of code.replace(/"(?:\\.|[^"\\])*"/g, '""')) {
      if ("([{".includes(c)) depth++;
      if (")]}".includes(c)) depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    return;
  }
  expect(r.stderr, code).toBe("");
  expect(r.status).toBe(0);
}

function noSecrets(code: string) {
  expect(code).not.toMatch(/sk-[A-Za-z0-9]/);
}

describe("Get code: curl", () => {
  it("calls the chosen endpoint with its auth header and the key from the environment", () => {
    const curl = codeSnippet("curl", input);
    expect(curl).toContain("curl 'http://127.0.0.1:4000/v1/messages' \\");
    expect(curl).toContain(`-H "x-api-key: $${KEY_ENV}"`);
    expect(curl).toContain("-H 'anthropic-version: 2023-06-01'");
    // The body is the request's own: system apart, max_tokens, and a quote escaped for the shell.
    expect(curl).toContain('"system": "You are terse."');
    expect(curl).toContain('"max_tokens": 256');
    expect(curl).toContain(`It'\\''s`);
    expect(curl).not.toContain(" -N ");
    noSecrets(curl);
  });
  it("uses Bearer and -N for a streamed chat completion", () => {
    const curl = codeSnippet("curl", { ...input, endpoint: "chat", settings: { ...input.settings, stream: true } });
    expect(curl).toContain("curl -N 'http://127.0.0.1:4000/v1/chat/completions'");
    expect(curl).toContain(`-H "Authorization: Bearer $${KEY_ENV}"`);
    expect(curl).toContain('"stream": true');
    expect(curl).toContain('"role": "system"');
  });
});

describe("Get code: Python", () => {
  it("openai: the client at <gateway>/v1, the alias, the whole conversation", async () => {
    const py = codeSnippet("openai", input);
    expect(py).toContain("from openai import OpenAI");
    expect(py).toContain('base_url="http://127.0.0.1:4000/v1"');
    expect(py).toContain(`api_key=os.environ["${KEY_ENV}"]`);
    expect(py).toContain('model="claude-haiku"');
    expect(py).toContain('{"role": "system", "content": "You are terse."}');
    expect(py).toContain('"content": "It\'s \\"quoted\\"\\nand multi-line"');
    expect(py).toContain("client.chat.completions.create(");
    expect(py).toContain("max_tokens=256");
    noSecrets(py);
    await assertPython(py);
  });
  it("anthropic: the client at the gateway's root, system apart, max_tokens", async () => {
    const py = codeSnippet("anthropic", input);
    expect(py).toContain("import anthropic");
    expect(py).toContain("anthropic.Anthropic(");
    expect(py).toContain('base_url="http://127.0.0.1:4000"');
    expect(py).toContain(`api_key=os.environ["${KEY_ENV}"]`);
    expect(py).toContain("client.messages.create(");
    expect(py).toContain('system="You are terse."');
    expect(py).toContain("max_tokens=256");
    expect(py).not.toContain('"role": "system"');
    expect(py).toContain('{"role": "assistant", "content": "Sure."}');
    noSecrets(py);
    await assertPython(py);
  });
  it("litellm: litellm_proxy/<alias> and api_base", async () => {
    const py = codeSnippet("litellm", input);
    expect(py).toContain("litellm.completion(");
    expect(py).toContain('model="litellm_proxy/claude-haiku"');
    expect(py).toContain('api_base="http://127.0.0.1:4000"');
    expect(py).toContain(`api_key=os.environ["${KEY_ENV}"]`);
    noSecrets(py);
    await assertPython(py);
  });
  it("streams and offers the tool when the playground does, still valid Python", async () => {
    const s = { ...input, settings: { ...input.settings, stream: true, tools: true, temperature: undefined } };
    const openai = codeSnippet("openai", s);
    expect(openai).toContain("stream=True,");
    expect(openai).toContain('"name": "get_weather"');
    expect(openai).not.toContain("temperature=");
    await assertPython(openai);
    const anthropic = codeSnippet("anthropic", s);
    expect(anthropic).toContain("with client.messages.stream(");
    expect(anthropic).toContain('"input_schema"');
    await assertPython(anthropic);
    await assertPython(codeSnippet("litellm", s));
  });
  it("renders JSON as Python literals", () => {
    expect(pyLiteral({ a: true, b: false, c: null, d: [1, "x"] })).toBe('{"a": True, "b": False, "c": None, "d": [1, "x"]}');
    const long = pyLiteral([{ role: "user", content: "x".repeat(100) }]);
    expect(long.startsWith("[\n    {")).toBe(true);
  });
  it("says Hello when there is no conversation yet", () => {
    expect(codeSnippet("openai", { ...input, messages: [] })).toContain('"content": "Hello"');
  });
});

describe("Get code: Responses and Embeddings snippets are valid Python", () => {
  it("openai responses (streamed, with the tool), openai and litellm embeddings", async () => {
    const withTools = { ...input, endpoint: "responses" as const, settings: { ...input.settings, stream: true, tools: true } };
    await assertPython(codeSnippet("openai", withTools));
    await assertPython(codeSnippet("openai", { ...withTools, settings: { ...withTools.settings, stream: false } }));
    const embed = { ...input, endpoint: "embeddings" as const };
    await assertPython(codeSnippet("openai", embed));
    await assertPython(codeSnippet("litellm", embed));
    noSecrets(codeSnippet("openai", embed));
  });
});
