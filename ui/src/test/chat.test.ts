import { afterEach, describe, expect, it, vi } from "vitest";
import { applyChunk, assistantTurn, chatBody, computeMetrics, emptyStreamState, prettyArguments, streamChat } from "../lib/chat";

describe("applyChunk", () => {
  it("accumulates content, usage and the finish reason", () => {
    const s = emptyStreamState();
    expect(applyChunk(s, { id: "chatcmpl-1", model: "claude-haiku", choices: [{ index: 0, delta: { content: "Hello" } }] })).toBe(true);
    applyChunk(s, { choices: [{ index: 0, delta: { content: " world" }, finish_reason: "stop" }] });
    expect(applyChunk(s, { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, cost: 0.0001 } })).toBe(false);
    expect(s.content).toBe("Hello world");
    expect(s.finishReason).toBe("stop");
    expect(s.usage?.cost).toBe(0.0001);
    expect(s.id).toBe("chatcmpl-1");
  });

  it("assembles streamed tool calls by index", () => {
    const s = emptyStreamState();
    applyChunk(s, { choices: [{ delta: { tool_calls: [{ index: 0, id: "call_1", function: { name: "get_weather", arguments: "" } }] } }] });
    applyChunk(s, { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] } }] });
    applyChunk(s, { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: "tool_calls" }] });
    expect(s.toolCalls).toEqual([{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }]);
    expect(assistantTurn(s)).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    });
    expect(prettyArguments('{"city":"Paris"}')).toBe('{\n  "city": "Paris"\n}');
    expect(prettyArguments('{"ci')).toBe('{"ci');
  });

  it("turns a mid-stream error frame into an ApiError", () => {
    const s = emptyStreamState();
    applyChunk(s, { error: { message: "bedrock error: boom", type: "internal_server_error", code: "502" } });
    expect(s.error?.status).toBe(502);
    expect(s.error?.message).toBe("bedrock error: boom");
  });
});

describe("computeMetrics", () => {
  it("computes time to first token and tokens per second", () => {
    const m = computeMetrics({ start: 1000, firstToken: 1200, end: 2200 }, { prompt_tokens: 10, completion_tokens: 21, total_tokens: 31, cost: 0.002 });
    expect(m.ttftMs).toBe(200);
    expect(m.totalMs).toBe(1200);
    expect(m.tokensPerSecond).toBeCloseTo(20);
    expect(m.cost).toBe(0.002);
  });
  it("falls back to the whole time for one token, and null without usage", () => {
    expect(computeMetrics({ start: 0, firstToken: 500, end: 500 }, { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }).tokensPerSecond).toBeCloseTo(2);
    const none = computeMetrics({ start: 0, firstToken: null, end: 100 }, null);
    expect(none.tokensPerSecond).toBeNull();
    expect(none.promptTokens).toBeNull();
    expect(none.ttftMs).toBeNull();
  });
});

describe("chatBody", () => {
  it("asks for a stream with usage, and leaves out unset options", () => {
    expect(chatBody({ model: "m", messages: [{ role: "user", content: "hi" }] })).toEqual({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(chatBody({ model: "m", messages: [], temperature: 0, maxTokens: 5, tools: [{}] })).toMatchObject({ temperature: 0, max_tokens: 5, tools: [{}] });
  });
});

function sse(frames: string[], status = 200): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const f of frames) c.enqueue(new TextEncoder().encode(f));
      c.close();
    },
  });
  return new Response(body, { status, headers: { "content-type": "text/event-stream" } });
}

describe("streamChat", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("streams an answer with usage", async () => {
    const fetchMock = vi.fn().mockResolvedValue(
      sse([
        'data: {"id":"r1","choices":[{"index":0,"delta":{"content":"Hello "}}]}\n\n',
        'data: {"id":"r1","choices":[{"index":0,"delta":{"content":"there"},"finish_reason":"stop"}]}\n\n',
        'data: {"id":"r1","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6,"cost":0.00001}}\n\n',
        "data: [DONE]\n\n",
      ]),
    );
    vi.stubGlobal("fetch", fetchMock);
    let t = 0;
    const updates: string[] = [];
    const r = await streamChat({ gatewayUrl: "http://gw", apiKey: "sk-1", model: "m", messages: [{ role: "user", content: "hi" }], now: () => (t += 100), onUpdate: (s) => updates.push(s.content) });
    expect(fetchMock).toHaveBeenCalledWith("http://gw/v1/chat/completions", expect.objectContaining({ method: "POST" }));
    const init = fetchMock.mock.calls[0][1] as RequestInit;
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer sk-1");
    expect(r.state.content).toBe("Hello there");
    expect(r.state.usage?.total_tokens).toBe(6);
    expect(r.state.error).toBeNull();
    expect(r.timing.firstToken).not.toBeNull();
    expect(updates).toContain("Hello ");
  });

  it("returns the gateway's error before the stream", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn().mockResolvedValue(new Response('{"error":{"message":"Authentication Error, Key is blocked.","type":"auth_error","code":"401"}}', { status: 401 })),
    );
    const r = await streamChat({ gatewayUrl: "http://gw", apiKey: "sk-1", model: "m", messages: [] });
    expect(r.state.error?.status).toBe(401);
    expect(r.state.error?.message).toMatch(/blocked/);
  });

  it("returns a mid-stream error frame", async () => {
    vi.stubGlobal("fetch", vi.fn().mockResolvedValue(sse(['data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n', 'data: {"error":{"message":"upstream aborted","type":"internal_server_error","code":"502"}}\n\n'])));
    const r = await streamChat({ gatewayUrl: "http://gw", apiKey: "k", model: "m", messages: [] });
    expect(r.state.content).toBe("Hel");
    expect(r.state.error?.message).toBe("upstream aborted");
  });

  it("stops on abort", async () => {
    const controller = new AbortController();
    vi.stubGlobal(
      "fetch",
      vi.fn().mockImplementation((_url: string, init: RequestInit) => {
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode('data: {"choices":[{"delta":{"content":"partial"}}]}\n\n'));
            init.signal?.addEventListener("abort", () => c.error(new DOMException("aborted", "AbortError")));
          },
        });
        return Promise.resolve(new Response(body, { headers: { "content-type": "text/event-stream" } }));
      }),
    );
    const p = streamChat({ gatewayUrl: "http://gw", apiKey: "k", model: "m", messages: [], signal: controller.signal, onUpdate: () => controller.abort() });
    const r = await p;
    expect(r.aborted).toBe(true);
    expect(r.state.content).toBe("partial");
    expect(r.state.error).toBeNull();
  });

  it("reports an unreachable gateway", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const r = await streamChat({ gatewayUrl: "http://gw", apiKey: "k", model: "m", messages: [] });
    expect(r.state.error?.status).toBe(0);
  });
});
