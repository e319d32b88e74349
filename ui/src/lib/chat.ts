// Streaming chat completions: the request, the chunk accumulator (content, tool calls, usage)
// and the per-message metrics the playground shows.

import { ApiError, apiErrorFrom, errorBodyOf, networkError } from "./errors";
import { readSSE } from "./sse";

export interface ToolCall {
  id: string;
  name: string;
  /** The JSON arguments as streamed (may be partial while streaming). */
  arguments: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost?: number | null;
}

export interface StreamState {
  content: string;
  /** The model's reasoning (thinking), when it shows it. */
  thinking: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage: Usage | null;
  /** The response id (the request id in the spend log). */
  id: string | null;
  /** The model name the answer says it came from. */
  model: string | null;
  error: ApiError | null;
  /** An embeddings answer, summarized (set by the Embeddings endpoint only). */
  embedding?: EmbeddingSummary | null;
}

/** What the playground shows of an embeddings answer (never the whole vector). */
export interface EmbeddingSummary {
  /** How many vectors came back (one per input). */
  count: number;
  /** The first vector's length. */
  dimensions: number;
  /** The first vector's first numbers. */
  head: number[];
  /** "float" or "base64", as the answer came. */
  encoding: string;
}

export function emptyStreamState(): StreamState {
  return { content: "", thinking: "", toolCalls: [], finishReason: null, usage: null, id: null, model: null, error: null };
}

interface ChunkDelta {
  content?: string | null;
  reasoning_content?: string | null;
  tool_calls?: Array<{
    index?: number;
    id?: string;
    function?: { name?: string; arguments?: string };
  }>;
}

interface Chunk {
  id?: string;
  model?: string;
  choices?: Array<{ index?: number; delta?: ChunkDelta; finish_reason?: string | null }>;
  usage?: Usage | null;
  error?: unknown;
}

/** Applies one parsed chunk; returns whether it carried visible text (for time to first token). */
export function applyChunk(state: StreamState, chunk: Chunk): boolean {
  let visible = false;
  if (chunk.error) {
    const body = errorBodyOf(chunk);
    const code = body?.code != null ? Number(body.code) : NaN;
    state.error = new ApiError({
      status: Number.isFinite(code) ? code : 500,
      message: body?.message ?? "The stream failed",
      type: body?.type,
      param: body?.param,
      code: body?.code,
    });
    return false;
  }
  if (chunk.id && !state.id) state.id = chunk.id;
  if (chunk.model && !state.model) state.model = chunk.model;
  for (const choice of chunk.choices ?? []) {
    if ((choice.index ?? 0) !== 0) continue;
    const delta = choice.delta ?? {};
    if (delta.content) {
      state.content += delta.content;
      visible = true;
    }
    if (delta.reasoning_content) {
      state.thinking += delta.reasoning_content;
      visible = true;
    }
    for (const tc of delta.tool_calls ?? []) {
      const i = tc.index ?? state.toolCalls.length;
      while (state.toolCalls.length <= i) state.toolCalls.push({ id: "", name: "", arguments: "" });
      const call = state.toolCalls[i];
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.name += tc.function.name;
      if (tc.function?.arguments) call.arguments += tc.function.arguments;
      visible = true;
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
  }
  if (chunk.usage) state.usage = chunk.usage;
  return visible;
}

export interface Timing {
  /** ms since epoch (performance.now() base is fine too, as long as all three agree). */
  start: number;
  firstToken: number | null;
  end: number | null;
}

export interface Metrics {
  ttftMs: number | null;
  totalMs: number | null;
  tokensPerSecond: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  cost: number | null;
}

export function computeMetrics(timing: Timing, usage: Usage | null): Metrics {
  const ttft = timing.firstToken != null ? timing.firstToken - timing.start : null;
  const total = timing.end != null ? timing.end - timing.start : null;
  let rate: number | null = null;
  if (usage && timing.end != null && usage.completion_tokens > 0) {
    // Generation speed: tokens after the first one over the time after the first token; when
    // that window is too short to measure (one chunk, a cached answer), tokens over the whole time.
    const genMs = timing.firstToken != null ? timing.end - timing.firstToken : 0;
    if (genMs >= 250 && usage.completion_tokens > 1) rate = (usage.completion_tokens - 1) / (genMs / 1000);
    else if (total && total > 0) rate = usage.completion_tokens / (total / 1000);
  }
  return {
    ttftMs: ttft,
    totalMs: total,
    tokensPerSecond: rate,
    promptTokens: usage?.prompt_tokens ?? null,
    completionTokens: usage?.completion_tokens ?? null,
    cost: usage?.cost ?? null,
  };
}

export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> }
  | { role: "tool"; tool_call_id: string; content: string };

export interface ChatOptions {
  gatewayUrl: string;
  apiKey: string;
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  tools?: unknown[];
  signal?: AbortSignal;
  /** Called after every chunk with the state so far. */
  onUpdate?: (state: StreamState, timing: Timing) => void;
  now?: () => number;
}

export interface ChatResult {
  state: StreamState;
  timing: Timing;
  aborted: boolean;
}

/** The body of a streamed chat request. */
export function chatBody(o: Pick<ChatOptions, "model" | "messages" | "temperature" | "maxTokens" | "tools">): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: o.model,
    messages: o.messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (o.temperature != null) body.temperature = o.temperature;
  if (o.maxTokens != null) body.max_tokens = o.maxTokens;
  if (o.tools && o.tools.length) body.tools = o.tools;
  return body;
}

/**
 * Streams one chat completion. An HTTP error before the stream becomes `state.error`; so does a
 * final `data: {"error": ...}` frame. Abort (the stop button) ends it with `aborted: true`.
 */
export async function streamChat(o: ChatOptions): Promise<ChatResult> {
  const now = o.now ?? (() => performance.now());
  const state = emptyStreamState();
  const timing: Timing = { start: now(), firstToken: null, end: null };
  const url = `${o.gatewayUrl}/v1/chat/completions`;
  const finish = (aborted: boolean): ChatResult => {
    timing.end = now();
    o.onUpdate?.(state, timing);
    return { state, timing, aborted };
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${o.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify(chatBody(o)),
      signal: o.signal,
    });
  } catch (e) {
    if (o.signal?.aborted) return finish(true);
    state.error = networkError(o.gatewayUrl, e);
    return finish(false);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    state.error = apiErrorFrom(response.status, text, response.headers.get("retry-after"), "/v1/chat/completions");
    return finish(false);
  }
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    // A gateway that answered without streaming: take the JSON answer as one chunk.
    const json = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    const choice = (json?.choices as Array<{ message?: { content?: string; tool_calls?: unknown[] }; finish_reason?: string }> | undefined)?.[0];
    applyChunk(state, {
      id: json?.id as string | undefined,
      model: json?.model as string | undefined,
      choices: [{ index: 0, delta: { content: choice?.message?.content ?? "", tool_calls: choice?.message?.tool_calls as ChunkDelta["tool_calls"] }, finish_reason: choice?.finish_reason ?? null }],
      usage: (json?.usage as Usage | undefined) ?? null,
    });
    timing.firstToken = now();
    return finish(false);
  }
  try {
    await readSSE(response.body, (event) => {
      if (event.data === "[DONE]") return;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(event.data) as Chunk;
      } catch {
        return; // a frame that is not JSON is skipped, as the SDKs do
      }
      const visible = applyChunk(state, chunk);
      if (visible && timing.firstToken == null) timing.firstToken = now();
      o.onUpdate?.(state, timing);
    });
  } catch (e) {
    if (o.signal?.aborted || (e instanceof DOMException && e.name === "AbortError")) return finish(true);
    state.error = new ApiError({ status: 0, message: `The stream broke: ${e instanceof Error ? e.message : String(e)}`, type: "network_error" });
  }
  return finish(false);
}

/** The assistant turn to put back into the history after an answer. */
export function assistantTurn(state: Pick<StreamState, "content" | "toolCalls">): ChatMessage {
  if (state.toolCalls.length) {
    return {
      role: "assistant",
      content: state.content || null,
      tool_calls: state.toolCalls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } })),
    };
  }
  return { role: "assistant", content: state.content };
}

/** The sample tool the playground can offer, so tool calls can be tried. */
export const SAMPLE_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", description: "City name" } },
      required: ["city"],
    },
  },
};

/** Pretty JSON of tool arguments, or the raw text when it is not (yet) JSON. */
export function prettyArguments(args: string): string {
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}
