import { afterEach, describe, expect, it, vi } from "vitest";
import { type ChatMessage, emptyStreamState } from "../lib/chat";
import {
  ENDPOINTS,
  applyAnthropicEvent,
  applyAnthropicMessage,
  buildRequest,
  maskHeaders,
  maskKey,
  newStreamContext,
  runTurn,
  toAnthropic,
} from "../lib/endpoints";
import type { SSEEvent } from "../lib/sse";

const KEY = "sk-live-0123456789abcdef";

const conversation: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: "Let me look.", tool_calls: [{ id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
  { role: "tool", tool_call_id: "toolu_1", content: '{"temperature_c":21}' },
];

describe("request building per endpoint", () => {
  it("chat: Bearer auth, the OpenAI body with stream options", () => {
    const r = buildRequest("chat", "http://gw:4000/", KEY, conversation, { model: "claude-haiku", temperature: 0.5, maxTokens: 100, tools: true, stream: true });
    expect(r.url).toBe("http://gw:4000/v1/chat/completions");
    expect(r.headers.Authorization).toBe(`Bearer ${KEY}`);
    expect(r.body).toMatchObject({ model: "claude-haiku", messages: conversation, stream: true, stream_options: { include_usage: true }, temperature: 0.5, max_tokens: 100 });
    expect((r.body.tools as Array<{ type: string }>)[0].type).toBe("function");
  });

  it("messages: x-api-key and anthropic-version, system apart, tool turns as blocks, max_tokens always", () => {
    const r = buildRequest("messages", "http://gw:4000", KEY, conversation, { model: "claude-haiku", tools: true, stream: false });
    expect(r.url).toBe("http://gw:4000/v1/messages");
    expect(r.headers["x-api-key"]).toBe(KEY);
    expect(r.headers["anthropic-version"]).toBe("2023-06-01");
    expect(r.headers.Authorization).toBeUndefined();
    expect(r.body.max_tokens).toBe(1024);
    expect(r.body.system).toBe("Be brief.");
    expect(r.body.stream).toBeUndefined();
    expect(r.body.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me look." },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: '{"temperature_c":21}' }] },
    ]);
    expect(r.body.tools).toEqual([{ name: "get_weather", description: expect.any(String), input_schema: expect.objectContaining({ type: "object" }) }]);
    // What is shown never holds the key.
    expect(JSON.stringify(r.shown)).not.toContain(KEY);
    expect(r.shown.headers).toContainEqual(["x-api-key", "sk-…cdef"]);
  });

  it("groups the results of parallel tool calls in one user turn", () => {
    const a = toAnthropic([
      { role: "user", content: "two cities" },
      { role: "assistant", content: null, tool_calls: [{ id: "a", type: "function", function: { name: "w", arguments: "{}" } }, { id: "b", type: "function", function: { name: "w", arguments: "oops" } }] },
      { role: "tool", tool_call_id: "a", content: "1" },
      { role: "tool", tool_call_id: "b", content: "2" },
    ]);
    expect(a.system).toBeNull();
    expect(a.messages).toHaveLength(3);
    expect(a.messages[1].content).toEqual([
      { type: "tool_use", id: "a", name: "w", input: {} },
      { type: "tool_use", id: "b", name: "w", input: {} },
    ]);
    expect(a.messages[2].content).toHaveLength(2);
  });

  it("the Messages API takes temperatures up to 1, chat up to 2", () => {
    expect(ENDPOINTS.messages.maxTemperature).toBe(1);
    expect(ENDPOINTS.chat.maxTemperature).toBe(2);
  });
});

describe("masking", () => {
  it("shows a key as sk-…last4", () => {
    expect(maskKey(KEY)).toBe("sk-…cdef");
    expect(maskKey("sk-short")).toBe("sk-…");
    expect(maskKey("plainsecretvalue99")).toBe("…ue99");
  });
  it("masks every credential header, keeps the others", () => {
    expect(maskHeaders({ Authorization: `Bearer ${KEY}`, "x-api-key": KEY, "Content-Type": "application/json" })).toEqual([
      ["Authorization", "Bearer sk-…cdef"],
      ["x-api-key", "sk-…cdef"],
      ["Content-Type", "application/json"],
    ]);
  });
});

const ev = (event: string, data: unknown): SSEEvent => ({ event, data: JSON.stringify(data) });

/** The events /v1/messages streams for a thinking + text + tool_use answer. */
const anthropicStream: SSEEvent[] = [
  ev("message_start", { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-haiku", content: [], usage: { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 } } }),
  ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } }),
  ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "The user wants weather." } }),
  ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig" } }),
  ev("content_block_stop", { type: "content_block_stop", index: 0 }),
  ev("content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }),
  ev("ping", { type: "ping" }),
  ev("content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hello from " } }),
  ev("content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "fake-bedrock!" } }),
  ev("content_block_stop", { type: "content_block_stop", index: 1 }),
  ev("content_block_start", { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_9", name: "get_weather", input: {} } }),
  ev("content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"city":' } }),
  ev("content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '"Paris"}' } }),
  ev("content_block_stop", { type: "content_block_stop", index: 2 }),
  ev("message_delta", { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 25 } }),
  ev("message_stop", { type: "message_stop" }),
];

describe("Anthropic stream events → turn state", () => {
  it("accumulates thinking, text, tool input, stop reason and usage", () => {
    const s = emptyStreamState();
    const ctx = newStreamContext();
    const visible = anthropicStream.map((e) => applyAnthropicEvent(s, e, ctx));
    expect(visible[0]).toBe(false); // message_start
    expect(visible[7]).toBe(true); // first text
    expect(s.id).toBe("msg_1");
    expect(s.model).toBe("claude-haiku");
    expect(s.thinking).toBe("The user wants weather.");
    expect(s.content).toBe("Hello from fake-bedrock!");
    expect(s.toolCalls).toEqual([{ id: "toolu_9", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(s.finishReason).toBe("tool_calls");
    // Input tokens count the cache reads; output from message_delta.
    expect(s.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 25, total_tokens: 40 });
    expect(s.error).toBeNull();
  });

  it("maps max_tokens to the chat 'length' reason", () => {
    const s = emptyStreamState();
    applyAnthropicEvent(s, ev("message_delta", { type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 5 } }), newStreamContext());
    expect(s.finishReason).toBe("length");
  });

  it("turns an error event into an ApiError with the status of its type", () => {
    const s = emptyStreamState();
    applyAnthropicEvent(s, ev("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }), newStreamContext());
    expect(s.error?.status).toBe(529);
    expect(s.error?.message).toBe("Overloaded");
    expect(s.error?.type).toBe("overloaded_error");
  });

  it("reads a whole (not streamed) message", () => {
    const s = emptyStreamState();
    applyAnthropicMessage(s, {
      id: "msg_2",
      type: "message",
      model: "claude-haiku",
      content: [
        { type: "text", text: "Hi" },
        { type: "tool_use", id: "t", name: "get_weather", input: { city: "Oslo" } },
      ],
      stop_reason: "end_turn",
      usage: { input_tokens: 4, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(s.content).toBe("Hi");
    expect(s.toolCalls[0].arguments).toBe('{"city":"Oslo"}');
    expect(s.finishReason).toBe("stop");
    expect(s.usage?.total_tokens).toBe(6);
  });
});

function streamResponse(text: string, headers: Record<string, string> = {}): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      // Split mid-frame, as the network does.
      const bytes = new TextEncoder().encode(text);
      c.enqueue(bytes.slice(0, 37));
      c.enqueue(bytes.slice(37));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream", ...headers } });
}

describe("runTurn", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("streams a Messages turn and keeps the raw exchange, key masked", async () => {
    const wire = anthropicStream.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join("");
    const fetchMock = vi.fn().mockResolvedValue(streamResponse(wire, { "x-litellm-call-id": "call-1", "x-litellm-model-group": "claude-haiku", server: "x" }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await runTurn({ endpoint: "messages", gatewayUrl: "http://gw", apiKey: KEY, messages: [{ role: "user", content: "hi" }], settings: { model: "claude-haiku", stream: true } });
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("http://gw/v1/messages");
    expect((init.headers as Record<string, string>)["x-api-key"]).toBe(KEY);
    expect(JSON.parse(init.body as string)).toMatchObject({ model: "claude-haiku", max_tokens: 1024, stream: true });
    expect(r.state.content).toBe("Hello from fake-bedrock!");
    expect(r.raw.request.path).toBe("/v1/messages");
    expect(JSON.stringify(r.raw)).not.toContain(KEY);
    expect(r.raw.response?.status).toBe(200);
    expect(r.raw.response?.headers).toEqual([
      ["content-type", "text/event-stream"],
      ["x-litellm-call-id", "call-1"],
      ["x-litellm-model-group", "claude-haiku"],
    ]);
    expect(r.raw.response?.events?.map((e) => e.event)).toEqual(anthropicStream.map((e) => e.event));
  });

  it("reads the cost header of a JSON answer", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn().mockResolvedValue(
        new Response(JSON.stringify({ id: "c", choices: [{ message: { content: "ok" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }), {
          status: 200,
          headers: { "content-type": "application/json", "x-litellm-response-cost": "0.00042" },
        }),
      ),
    );
    const r = await runTurn({ endpoint: "chat", gatewayUrl: "http://gw", apiKey: KEY, messages: [], settings: { model: "m", stream: false } });
    expect(r.state.content).toBe("ok");
    expect(r.headerCost).toBe(0.00042);
    expect(r.raw.response?.body).toContain('"ok"');
    expect(r.raw.response?.events).toBeUndefined();
  });

  it("shows an Anthropic-shaped error readably", async () => {
    const body = JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "max_tokens: Field required" } });
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(new Response(body, { status: 400, headers: { "content-type": "application/json" } })));
    const r = await runTurn({ endpoint: "messages", gatewayUrl: "http://gw", apiKey: KEY, messages: [], settings: { model: "m", stream: true } });
    expect(r.state.error?.status).toBe(400);
    expect(r.state.error?.message).toBe("max_tokens: Field required");
    expect(r.state.error?.type).toBe("invalid_request_error");
    expect(r.raw.response?.body).toBe(body);
  });
});
