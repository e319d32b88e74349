// A Server-Sent Events parser that works on a fetch() body (EventSource cannot send the
// Authorization header). Chunks may split lines, frames and CRLF pairs anywhere.

export interface SSEEvent {
  event: string;
  data: string;
  id?: string;
}

export class SSEParser {
  private buffer = "";
  private data: string[] = [];
  private eventName = "";
  private lastId: string | undefined;
  private pendingCR = false;

  constructor(private readonly onEvent: (event: SSEEvent) => void) {}

  /** Feeds decoded text. Complete events are delivered synchronously. */
  push(chunk: string): void {
    let text = chunk;
    if (this.pendingCR) {
      // A "\r" ended the last chunk: a "\n" opening this one belongs to the same line break.
      if (text.startsWith("\n")) text = text.slice(1);
      this.pendingCR = false;
    }
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      const line = this.buffer.slice(start, i);
      if (c === "\r") {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === "\n") i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream ended: a last event without its blank line is still delivered. */
  end(): void {
    if (this.buffer.length > 0) {
      this.line(this.buffer);
      this.buffer = "";
    }
    this.dispatch();
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.eventName = value;
        break;
      case "id":
        this.lastId = value;
        break;
      default:
        break; // "retry" and unknown fields are ignored
    }
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventName = "";
      return;
    }
    const event: SSEEvent = { event: this.eventName || "message", data: this.data.join("\n") };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.data = [];
    this.eventName = "";
    this.onEvent(event);
  }
}

/** Reads a streamed body to its end, delivering each event. Rejects with an AbortError on abort. */
export async function readSSE(body: ReadableStream<Uint8Array>, onEvent: (event: SSEEvent) => void): Promise<void> {
  const parser = new SSEParser(onEvent);
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
  } finally {
    reader.releaseLock();
  }
}
