// The playground's Responses and Embeddings endpoints: request building, stream events and JSON
// answers → turn state, errors, the history, the model list and their Get code snippets.

import { afterEach, describe, expect, it, vi } from "vitest";
import { type ChatMessage, emptyStreamState } from "../lib/chat";
import { KEY_ENV, codeKindsFor, codeSnippet, defaultCodeKind } from "../lib/codegen";
import {
  ENDPOINTS,
  applyEmbeddingsJson,
  applyResponsesEvent,
  applyResponsesJson,
  buildRequest,
  decodeBase64Floats,
  newStreamContext,
  runTurn,
  toResponsesInput,
} from "../lib/endpoints";
import type { SSEEvent } from "../lib/sse";
import { historyOf, modelGroups } from "../pages/Playground";

const KEY = "sk-live-0123456789abcdef";

const conversation: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: "Let me look.", tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
  { role: "tool", tool_call_id: "call_1", content: '{"temperature_c":21}' },
];

const ev = (event: string, data: Record<string, unknown>, seq = 0): SSEEvent => ({ event, data: JSON.stringify({ type: event, sequence_number: seq, ...data }) });

/** What /v1/responses streams for reasoning + text + a function call (the gateway's shapes). */
const responsesStream: SSEEvent[] = [
  ev("response.created", { response: { id: "resp_1", object: "response", status: "in_progress", model: "gpt-4o-mini", output: [], usage: null } }),
  ev("response.in_progress", { response: { id: "resp_1", object: "response", status: "in_progress", model: "gpt-4o-mini", output: [] } }),
  ev("response.output_item.added", { output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [], content: [] } }),
  ev("response.reasoning_text.delta", { item_id: "rs_1", output_index: 0, content_index: 0, delta: "Think." }),
  ev("response.reasoning_text.done", { item_id: "rs_1", output_index: 0, content_index: 0, text: "Think." }),
  ev("response.output_item.done", { output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [] } }),
  ev("response.output_item.added", { output_index: 1, item: { type: "message", id: "msg_1", role: "assistant", status: "in_progress", content: [] } }),
  ev("response.content_part.added", { item_id: "msg_1", output_index: 1, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
  ev("response.output_text.delta", { item_id: "msg_1", output_index: 1, content_index: 0, delta: "Hello from ", logprobs: [] }),
  ev("response.output_text.delta", { item_id: "msg_1", output_index: 1, content_index: 0, delta: "fake-openai!", logprobs: [] }),
  ev("response.output_text.done", { item_id: "msg_1", output_index: 1, content_index: 0, text: "Hello from fake-openai!" }),
  ev("response.content_part.done", { item_id: "msg_1", output_index: 1, content_index: 0, part: { type: "output_text", text: "Hello from fake-openai!" } }),
  ev("response.output_item.done", { output_index: 1, item: { type: "message", id: "msg_1" } }),
  ev("response.output_item.added", { output_index: 2, item: { type: "function_call", id: "fc_1", call_id: "call_9", name: "get_weather", arguments: "", status: "in_progress" } }),
  ev("response.function_call_arguments.delta", { item_id: "fc_1", output_index: 2, delta: '{"city":' }),
  ev("response.function_call_arguments.delta", { item_id: "fc_1", output_index: 2, delta: '"Paris"}' }),
  ev("response.function_call_arguments.done", { item_id: "fc_1", output_index: 2, name: "get_weather", arguments: '{"city":"Paris"}' }),
  ev("response.output_item.done", { output_index: 2, item: { type: "function_call", id: "fc_1", call_id: "call_9" } }),
  ev("response.completed", {
    response: {
      id: "resp_1",
      object: "response",
      status: "completed",
      model: "gpt-4o-mini",
      output: [{ type: "message" }, { type: "function_call", call_id: "call_9" }],
      usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    },
  }),
];

describe("Responses: request building", () => {
  it("system → instructions, turns → input items, tool results → function_call_output; store: false", () => {
    const r = buildRequest("responses", "http://gw:4000/", KEY, conversation, { model: "gpt-4o-mini", temperature: 0.3, maxTokens: 200, tools: true, stream: true });
    expect(r.url).toBe("http://gw:4000/v1/responses");
    expect(r.headers.Authorization).toBe(`Bearer ${KEY}`);
    expect(r.body).toEqual({
      model: "gpt-4o-mini",
      instructions: "Be brief.",
      input: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: "Let me look." },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_1", output: '{"temperature_c":21}' },
      ],
      temperature: 0.3,
      max_output_tokens: 200,
      tools: [{ type: "function", name: "get_weather", description: expect.any(String), parameters: expect.objectContaining({ type: "object" }) }],
      store: false,
      stream: true,
    });
    expect(r.body).not.toHaveProperty("previous_response_id");
    expect(JSON.stringify(r.shown)).not.toContain(KEY);
    expect(r.shown.headers).toContainEqual(["Authorization", "Bearer sk-…cdef"]);
    expect(ENDPOINTS.responses.rawNote).toMatch(/store: false/);
  });

  it("leaves out what is not set; an assistant turn of tool calls only has no message item", () => {
    const r = toResponsesInput([
      { role: "user", content: "two" },
      { role: "assistant", content: null, tool_calls: [{ id: "a", type: "function", function: { name: "w", arguments: "{}" } }] },
    ]);
    expect(r.instructions).toBeNull();
    expect(r.input).toEqual([{ role: "user", content: "two" }, { type: "function_call", call_id: "a", name: "w", arguments: "{}" }]);
    const b = buildRequest("responses", "http://gw", KEY, [{ role: "user", content: "hi" }], { model: "m", stream: false }).body;
    expect(b).toEqual({ model: "m", input: [{ role: "user", content: "hi" }], store: false });
  });
});

describe("Responses: stream events → turn state", () => {
  it("accumulates reasoning, text, the function call, usage; a call makes the finish 'tool_calls'", () => {
    const s = emptyStreamState();
    const ctx = newStreamContext();
    const visible = responsesStream.map((e) => applyResponsesEvent(s, e, ctx));
    expect(visible[0]).toBe(false);
    expect(visible[3]).toBe(true); // reasoning delta
    expect(visible[8]).toBe(true); // first text delta
    expect(s.id).toBe("resp_1");
    expect(s.model).toBe("gpt-4o-mini");
    expect(s.thinking).toBe("Think.");
    expect(s.content).toBe("Hello from fake-openai!");
    expect(s.toolCalls).toEqual([{ id: "call_9", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(s.finishReason).toBe("tool_calls");
    expect(s.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(s.error).toBeNull();
  });

  it("a text-only answer ends 'stop'; an incomplete one at the token cap 'length'", () => {
    const s = emptyStreamState();
    applyResponsesEvent(s, ev("response.completed", { response: { status: "completed", output: [], usage: { input_tokens: 1, output_tokens: 1 } } }), newStreamContext());
    expect(s.finishReason).toBe("stop");
    const t = emptyStreamState();
    applyResponsesEvent(t, ev("response.incomplete", { response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [] } }), newStreamContext());
    expect(t.finishReason).toBe("length");
  });

  it("an error event (the gateway's: code as a string status) becomes an ApiError", () => {
    const s = emptyStreamState();
    applyResponsesEvent(s, ev("error", { code: "502", message: "upstream broke off", param: null }), newStreamContext());
    expect(s.error?.status).toBe(502);
    expect(s.error?.message).toBe("upstream broke off");
    const t = emptyStreamState();
    applyResponsesEvent(t, ev("error", { code: "rate_limit_exceeded", message: "slow down" }), newStreamContext());
    expect(t.error?.status).toBe(500);
    expect(t.error?.code).toBe("rate_limit_exceeded");
    const u = emptyStreamState();
    applyResponsesEvent(u, ev("response.failed", { response: { status: "failed", error: { code: "server_error", message: "failed" } } }), newStreamContext());
    expect(u.error?.message).toBe("failed");
  });

  it("skips a frame that is not JSON", () => {
    const s = emptyStreamState();
    expect(applyResponsesEvent(s, { event: "message", data: "not json" }, newStreamContext())).toBe(false);
    expect(s.error).toBeNull();
  });
});

describe("Responses: a whole answer", () => {
  it("reads message text, reasoning, function calls, status and usage", () => {
    const s = emptyStreamState();
    applyResponsesJson(s, {
      id: "resp_2",
      object: "response",
      status: "completed",
      model: "claude-haiku",
      output: [
        { type: "reasoning", id: "rs", summary: [], content: [{ type: "reasoning_text", text: "hmm" }] },
        { type: "message", id: "m", role: "assistant", content: [{ type: "output_text", text: "Hi", annotations: [] }] },
        { type: "function_call", id: "fc", call_id: "call_2", name: "get_weather", arguments: '{"city":"Oslo"}', status: "completed" },
      ],
      usage: { input_tokens: 4, output_tokens: 2, total_tokens: 6 },
    });
    expect(s.id).toBe("resp_2");
    expect(s.content).toBe("Hi");
    expect(s.thinking).toBe("hmm");
    expect(s.toolCalls).toEqual([{ id: "call_2", name: "get_weather", arguments: '{"city":"Oslo"}' }]);
    expect(s.finishReason).toBe("tool_calls");
    expect(s.usage?.total_tokens).toBe(6);
  });

  it("an error body in OpenAI's shape is an error", () => {
    const s = emptyStreamState();
    applyResponsesJson(s, { error: { message: "bad", type: "invalid_request_error", param: "input", code: "400" } });
    expect(s.error?.status).toBe(400);
    expect(s.error?.param).toBe("input");
  });
});

describe("Embeddings", () => {
  it("sends only the last user message, with no chat settings", () => {
    const r = buildRequest("embeddings", "http://gw", KEY, [...conversation, { role: "user", content: "embed me" }], { model: "embed-small", temperature: 1, maxTokens: 9, tools: true, stream: true });
    expect(r.url).toBe("http://gw/v1/embeddings");
    expect(r.headers.Authorization).toBe(`Bearer ${KEY}`);
    expect(r.body).toEqual({ model: "embed-small", input: "embed me", encoding_format: "float" });
    expect(ENDPOINTS.embeddings.kind).toBe("embedding");
  });

  it("summarizes an answer: vector count, dimensions, the first numbers, usage", () => {
    const s = emptyStreamState();
    const vector = Array.from({ length: 1536 }, (_, i) => i / 1000);
    applyEmbeddingsJson(s, { object: "list", model: "embed-small", data: [{ object: "embedding", index: 0, embedding: vector }], usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(s.embedding).toEqual({ count: 1, dimensions: 1536, head: [0, 0.001, 0.002, 0.003, 0.004, 0.005], encoding: "float" });
    expect(s.usage).toEqual({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3, cost: null });
    expect(s.content).toBe("");
    expect(s.error).toBeNull();
  });

  it("decodes base64 vectors (little-endian float32)", () => {
    const f = new Float32Array([0.5, -1.25, 3]);
    const b64 = btoa(String.fromCharCode(...new Uint8Array(f.buffer)));
    expect(decodeBase64Floats(b64)).toEqual([0.5, -1.25, 3]);
    const s = emptyStreamState();
    applyEmbeddingsJson(s, { object: "list", data: [{ index: 0, embedding: b64 }, { index: 1, embedding: b64 }] });
    expect(s.embedding).toMatchObject({ count: 2, dimensions: 3, encoding: "base64" });
    expect(s.usage).toBeNull();
  });

  it("an answer without data is an error", () => {
    const s = emptyStreamState();
    applyEmbeddingsJson(s, { error: { message: "nope", code: "400" } });
    expect(s.error?.message).toBe("nope");
  });

  it("runTurn: one POST, the summary, the cost header; an error answer in OpenAI's shape", async () => {
    const body = JSON.stringify({ object: "list", model: "embed-small", data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 2, total_tokens: 2 } });
    const fetchMock = vi.fn().mockResolvedValue(new Response(body, { status: 200, headers: { "content-type": "application/json", "x-litellm-response-cost": "0.00001" } }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await runTurn({ endpoint: "embeddings", gatewayUrl: "http://gw", apiKey: KEY, messages: [{ role: "user", content: "hi" }], settings: { model: "embed-small", stream: true } });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(JSON.parse((fetchMock.mock.calls[0] as [string, RequestInit])[1].body as string)).toEqual({ model: "embed-small", input: "hi", encoding_format: "float" });
    expect(r.state.embedding?.dimensions).toBe(2);
    expect(r.headerCost).toBe(0.00001);
    expect(JSON.stringify(r.raw)).not.toContain(KEY);

    const err = JSON.stringify({ error: { message: "claude-haiku is a chat model", type: "invalid_request_error", param: "model", code: "400" } });
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(new Response(err, { status: 400, headers: { "content-type": "application/json" } })));
    const e = await runTurn({ endpoint: "embeddings", gatewayUrl: "http://gw", apiKey: KEY, messages: [{ role: "user", content: "hi" }], settings: { model: "claude-haiku", stream: false } });
    expect(e.state.error?.status).toBe(400);
    expect(e.state.error?.message).toBe("claude-haiku is a chat model");
    expect(e.state.embedding).toBeUndefined();
  });
  afterEach(() => vi.unstubAllGlobals());
});

describe("the playground around the new endpoints", () => {
  it("the chat history leaves embeddings (the text and its vector) out", () => {
    const none = { toolCalls: [], error: null };
    const h = historyOf(
      [
        { kind: "user", content: "embed this" },
        { kind: "assistant", content: "", endpoint: "embeddings", ...none },
        { kind: "user", content: "hello" },
        { kind: "assistant", content: "hi", endpoint: "responses", ...none },
        { kind: "user", content: "next" },
      ],
      "",
    );
    expect(h).toEqual([
      { role: "user", content: "hello" },
      { role: "assistant", content: "hi" },
      { role: "user", content: "next" },
    ]);
  });

  it("the model list puts the models that fit the endpoint first, else lists them all", () => {
    const modes = new Map([
      ["claude-haiku", "chat"],
      ["embed-small", "embedding"],
    ]);
    const aliases = ["claude-haiku", "embed-small", "gpt-4o-mini"];
    expect(modelGroups(aliases, modes, "embedding")).toEqual({ preferred: ["embed-small"], other: ["claude-haiku", "gpt-4o-mini"], otherLabel: "Chat models" });
    expect(modelGroups(aliases, modes, "chat")).toEqual({ preferred: ["claude-haiku", "gpt-4o-mini"], other: ["embed-small"], otherLabel: "Embedding models" });
    expect(modelGroups(aliases, new Map(), "embedding")).toEqual({ preferred: aliases, other: [], otherLabel: "" });
  });
});

describe("Get code for the new endpoints", () => {
  const base = { gatewayUrl: "http://127.0.0.1:4000", messages: conversation.slice(0, 2), settings: { model: "gpt-4o-mini", temperature: 0.5, maxTokens: 100, tools: false, stream: false } };

  it("responses: openai's client.responses.create, curl to /v1/responses", () => {
    const py = codeSnippet("openai", { ...base, endpoint: "responses" });
    expect(py).toContain("client.responses.create(");
    expect(py).toContain('instructions="Be brief."');
    expect(py).toContain('input="Weather in Paris?"');
    expect(py).toContain("max_output_tokens=100");
    expect(py).toContain("store=False");
    expect(py).toContain("print(response.output_text)");
    expect(py).toContain(`os.environ["${KEY_ENV}"]`);
    const streamed = codeSnippet("openai", { ...base, endpoint: "responses", messages: conversation, settings: { ...base.settings, stream: true, tools: true } });
    expect(streamed).toContain('"type": "function_call_output"');
    expect(streamed).toContain('event.type == "response.output_text.delta"');
    const curl = codeSnippet("curl", { ...base, endpoint: "responses" });
    expect(curl).toContain("curl 'http://127.0.0.1:4000/v1/responses'");
    expect(curl).toContain(`"Authorization: Bearer $${KEY_ENV}"`);
    expect(curl).toContain('"store": false');
    expect(defaultCodeKind("responses")).toBe("openai");
  });

  it("embeddings: client.embeddings.create and curl; no anthropic tab; no -N", () => {
    const s = { ...base, endpoint: "embeddings" as const, messages: [{ role: "user" as const, content: "embed me" }], settings: { ...base.settings, model: "embed-small", stream: true } };
    const py = codeSnippet("openai", s);
    expect(py).toContain("client.embeddings.create(");
    expect(py).toContain('input="embed me"');
    expect(py).not.toContain("temperature");
    const curl = codeSnippet("curl", s);
    expect(curl).toContain("curl 'http://127.0.0.1:4000/v1/embeddings'");
    expect(curl).toContain('"input": "embed me"');
    expect(codeSnippet("litellm", s)).toContain("litellm.embedding(");
    expect(codeKindsFor("embeddings")).toEqual(["curl", "openai", "litellm"]);
    expect(codeKindsFor("responses")).toContain("anthropic");
  });
});
