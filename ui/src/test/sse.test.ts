import { describe, expect, it } from "vitest";
import { type SSEEvent, SSEParser, readSSE } from "../lib/sse";

function parse(chunks: string[]): SSEEvent[] {
  const out: SSEEvent[] = [];
  const p = new SSEParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

describe("SSEParser", () => {
  it("parses data frames and [DONE]", () => {
    const events = parse(['data: {"a":1}\n\n', "data: [DONE]\n\n"]);
    expect(events.map((e) => e.data)).toEqual(['{"a":1}', "[DONE]"]);
    expect(events[0].event).toBe("message");
  });

  it("handles frames split anywhere, even inside the field name and the blank line", () => {
    const text = 'data: {"x":"hello"}\n\ndata: {"x":"world"}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const events = parse([text.slice(0, cut), text.slice(cut)]);
      expect(events.map((e) => e.data), `cut at ${cut}`).toEqual(['{"x":"hello"}', '{"x":"world"}']);
    }
  });

  it("handles CRLF and CR line endings, including a CRLF split across chunks", () => {
    expect(parse(["data: a\r\n\r\ndata: b\r\r"]).map((e) => e.data)).toEqual(["a", "b"]);
    expect(parse(["data: a\r", "\n\r", "\ndata: b\r\n\r\n"]).map((e) => e.data)).toEqual(["a", "b"]);
  });

  it("joins multi-line data, ignores comments, keeps event names and ids", () => {
    const events = parse([": keep-alive\n", "event: row\nid: 7\ndata: line1\ndata: line2\n\n"]);
    expect(events).toEqual([{ event: "row", id: "7", data: "line1\nline2" }]);
  });

  it("delivers a last event without its blank line at the end", () => {
    expect(parse(['data: {"error":{"message":"boom"}}']).map((e) => e.data)).toEqual(['{"error":{"message":"boom"}}']);
  });

  it("does not emit events without data", () => {
    expect(parse(["event: ping\n\n", "retry: 100\n\n"])).toEqual([]);
  });

  it("keeps the value's spaces after the first one", () => {
    expect(parse(["data:  two spaces\n\ndata:none\n\n"]).map((e) => e.data)).toEqual([" two spaces", "none"]);
  });
});

describe("readSSE", () => {
  it("reads a byte stream with multi-byte characters split across chunks", async () => {
    const bytes = new TextEncoder().encode('data: {"t":"héllo ✓"}\n\ndata: [DONE]\n\n');
    const chunks = [bytes.slice(0, 12), bytes.slice(12, 13), bytes.slice(13, 20), bytes.slice(20)];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks) c.enqueue(ch);
        c.close();
      },
    });
    const out: string[] = [];
    await readSSE(stream, (e) => out.push(e.data));
    expect(out).toEqual(['{"t":"héllo ✓"}', "[DONE]"]);
  });
});
