// The APIs the playground can call: each endpoint builds its request (path, auth header, body)
// from the conversation in OpenAI's chat shape, and reads its answer (stream events or JSON)
// into the same StreamState. A turn keeps its raw exchange (request with the key masked, the
// response's status, x-litellm-* headers and body or events) for the "Raw" view.
//
// Adding an endpoint is one entry in ENDPOINTS.

import { type ChatMessage, type EmbeddingSummary, type StreamState, type Timing, type Usage, SAMPLE_TOOL, applyChunk, emptyStreamState } from "./chat";
import { ApiError, apiErrorFrom, networkError } from "./errors";
import { type SSEEvent, readSSE } from "./sse";

export type EndpointId = "chat" | "messages" | "responses" | "embeddings";

export interface TurnSettings {
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** Offer the sample tool (get_weather). */
  tools?: boolean;
  stream: boolean;
}

export interface EndpointSpec {
  id: EndpointId;
  label: string;
  /** A short name for badges. */
  short: string;
  path: string;
  /** The highest temperature the API takes. */
  maxTemperature: number;
  /**
   * "chat": a conversation (system prompt, temperature, max tokens, tool, streaming apply);
   * "embedding": one text per request, none of those settings, no conversation.
   */
  kind: "chat" | "embedding";
  /** What the Raw view says about how the conversation is sent, when it is not obvious. */
  rawNote?: string;
  /** The request body for a conversation (system messages included, in OpenAI's chat shape). */
  body(messages: ChatMessage[], s: TurnSettings): Record<string, unknown>;
  /** The auth and protocol headers (the key in clear: for the request only, never shown). */
  headers(apiKey: string): Record<string, string>;
  /** One stream event; returns whether it carried something visible (for time to first token). */
  applyEvent(state: StreamState, event: SSEEvent, ctx: StreamContext): boolean;
  /** A JSON (not streamed) answer. */
  applyJson(state: StreamState, json: unknown): void;
}

/** What an endpoint's parser keeps between events of one stream. */
export interface StreamContext {
  /** Anthropic: the content block at each index (its kind, and its tool call for tool_use). */
  blocks: Map<number, { kind: string; tool?: number }>;
}

export function newStreamContext(): StreamContext {
  return { blocks: new Map() };
}

// ---------- OpenAI Chat Completions ----------

interface ChatJson {
  id?: string;
  model?: string;
  choices?: Array<{ message?: { content?: string | null; reasoning_content?: string | null; tool_calls?: unknown[] }; finish_reason?: string | null }>;
  usage?: Usage | null;
}

const chatEndpoint: EndpointSpec = {
  id: "chat",
  label: "Chat Completions (OpenAI)",
  short: "chat",
  path: "/v1/chat/completions",
  maxTemperature: 2,
  kind: "chat",
  body(messages, s) {
    const body: Record<string, unknown> = { model: s.model, messages };
    if (s.stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    if (s.temperature != null) body.temperature = s.temperature;
    if (s.maxTokens != null) body.max_tokens = s.maxTokens;
    if (s.tools) body.tools = [SAMPLE_TOOL];
    return body;
  },
  headers: (apiKey) => ({ Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" }),
  applyEvent(state, event) {
    if (event.data === "[DONE]") return false;
    let chunk: Parameters<typeof applyChunk>[1];
    try {
      chunk = JSON.parse(event.data) as typeof chunk;
    } catch {
      return false; // a frame that is not JSON is skipped, as the SDKs do
    }
    return applyChunk(state, chunk);
  },
  applyJson(state, json) {
    const j = (json ?? {}) as ChatJson;
    const choice = j.choices?.[0];
    applyChunk(state, {
      id: j.id,
      model: j.model,
      choices: [
        {
          index: 0,
          delta: { content: choice?.message?.content ?? "", reasoning_content: choice?.message?.reasoning_content, tool_calls: choice?.message?.tool_calls as never },
          finish_reason: choice?.finish_reason ?? null,
        },
      ],
      usage: j.usage ?? null,
    });
  },
};

// ---------- Anthropic Messages ----------

export const ANTHROPIC_VERSION = "2023-06-01";

export type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string };

export interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | AnthropicBlock[];
}

/** The OpenAI-shaped history as Anthropic's: system apart, tool results as user turns. */
export function toAnthropic(messages: ChatMessage[]): { system: string | null; messages: AnthropicMessage[] } {
  const system: string[] = [];
  const out: AnthropicMessage[] = [];
  for (const m of messages) {
    if (m.role === "system") {
      system.push(m.content);
    } else if (m.role === "user") {
      out.push({ role: "user", content: m.content });
    } else if (m.role === "assistant") {
      if (m.tool_calls?.length) {
        const blocks: AnthropicBlock[] = [];
        if (m.content) blocks.push({ type: "text", text: m.content });
        for (const c of m.tool_calls) blocks.push({ type: "tool_use", id: c.id, name: c.function.name, input: parseJsonObject(c.function.arguments) });
        out.push({ role: "assistant", content: blocks });
      } else {
        out.push({ role: "assistant", content: m.content ?? "" });
      }
    } else if (m.role === "tool") {
      const result: AnthropicBlock = { type: "tool_result", tool_use_id: m.tool_call_id, content: m.content };
      const last = out[out.length - 1];
      // Results of one assistant turn's calls go together in one user turn.
      if (last && last.role === "user" && Array.isArray(last.content) && last.content.every((b) => b.type === "tool_result")) last.content.push(result);
      else out.push({ role: "user", content: [result] });
    }
  }
  return { system: system.length ? system.join("\n\n") : null, messages: out };
}

function parseJsonObject(text: string): unknown {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

/** The sample tool in Anthropic's shape. */
export const SAMPLE_TOOL_ANTHROPIC = {
  name: SAMPLE_TOOL.function.name,
  description: SAMPLE_TOOL.function.description,
  input_schema: SAMPLE_TOOL.function.parameters,
};

/** Anthropic's stop reasons in the chat vocabulary the playground uses. */
export function stopReasonToFinish(reason: string): string {
  switch (reason) {
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
      return "length";
    case "end_turn":
    case "stop_sequence":
      return "stop";
    default:
      return reason;
  }
}

const ANTHROPIC_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cost?: number | null;
}

/** Anthropic usage → the chat usage (prompt tokens include cache reads and writes). */
function mergeAnthropicUsage(state: StreamState, u: AnthropicUsage | null | undefined): void {
  if (!u) return;
  const prev = state.usage;
  const input = u.input_tokens != null || u.cache_creation_input_tokens != null || u.cache_read_input_tokens != null
    ? (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0)
    : (prev?.prompt_tokens ?? 0);
  const output = u.output_tokens ?? prev?.completion_tokens ?? 0;
  state.usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output, cost: u.cost ?? prev?.cost ?? null };
}

function anthropicError(json: Record<string, unknown>): ApiError {
  const e = (json.error ?? {}) as { type?: string; message?: string };
  return new ApiError({ status: ANTHROPIC_STATUS[e.type ?? ""] ?? 500, message: e.message ?? "The stream failed", type: e.type ?? "error" });
}

/** Applies one Anthropic stream event; returns whether it carried visible text. */
export function applyAnthropicEvent(state: StreamState, event: SSEEvent, ctx: StreamContext): boolean {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    return false;
  }
  const type = (json.type as string | undefined) ?? event.event;
  switch (type) {
    case "message_start": {
      const m = (json.message ?? {}) as { id?: string; model?: string; usage?: AnthropicUsage };
      if (m.id && !state.id) state.id = m.id;
      if (m.model && !state.model) state.model = m.model;
      mergeAnthropicUsage(state, m.usage);
      return false;
    }
    case "content_block_start": {
      const index = Number(json.index ?? 0);
      const block = (json.content_block ?? {}) as { type?: string; text?: string; thinking?: string; id?: string; name?: string; input?: unknown };
      const kind = block.type ?? "text";
      if (kind === "tool_use") {
        const input = block.input && typeof block.input === "object" && Object.keys(block.input).length ? JSON.stringify(block.input) : "";
        state.toolCalls.push({ id: block.id ?? "", name: block.name ?? "", arguments: input });
        ctx.blocks.set(index, { kind, tool: state.toolCalls.length - 1 });
        return true;
      }
      ctx.blocks.set(index, { kind });
      if (kind === "text" && block.text) {
        state.content += block.text;
        return true;
      }
      if (kind === "thinking" && block.thinking) state.thinking += block.thinking;
      return false;
    }
    case "content_block_delta": {
      const index = Number(json.index ?? 0);
      const delta = (json.delta ?? {}) as { type?: string; text?: string; thinking?: string; partial_json?: string };
      if (delta.type === "text_delta" && delta.text) {
        state.content += delta.text;
        return true;
      }
      if (delta.type === "thinking_delta" && delta.thinking) {
        state.thinking += delta.thinking;
        return true;
      }
      if (delta.type === "input_json_delta" && delta.partial_json != null) {
        const tool = ctx.blocks.get(index)?.tool;
        const call = tool != null ? state.toolCalls[tool] : state.toolCalls[state.toolCalls.length - 1];
        if (call) call.arguments += delta.partial_json;
        return true;
      }
      return false;
    }
    case "message_delta": {
      const delta = (json.delta ?? {}) as { stop_reason?: string | null };
      if (delta.stop_reason) state.finishReason = stopReasonToFinish(delta.stop_reason);
      mergeAnthropicUsage(state, json.usage as AnthropicUsage | undefined);
      return false;
    }
    case "error":
      state.error = anthropicError(json);
      return false;
    default:
      return false; // ping, content_block_stop, message_stop
  }
}

/** A whole (not streamed) Anthropic message. */
export function applyAnthropicMessage(state: StreamState, json: unknown): void {
  const m = (json ?? {}) as { id?: string; model?: string; type?: string; content?: Array<Record<string, unknown>>; stop_reason?: string | null; usage?: AnthropicUsage };
  if (m.type === "error") {
    state.error = anthropicError(m as Record<string, unknown>);
    return;
  }
  state.id = m.id ?? state.id;
  state.model = m.model ?? state.model;
  for (const b of m.content ?? []) {
    if (b.type === "text") state.content += String(b.text ?? "");
    else if (b.type === "thinking") state.thinking += String(b.thinking ?? "");
    else if (b.type === "tool_use") state.toolCalls.push({ id: String(b.id ?? ""), name: String(b.name ?? ""), arguments: JSON.stringify(b.input ?? {}) });
  }
  if (m.stop_reason) state.finishReason = stopReasonToFinish(m.stop_reason);
  mergeAnthropicUsage(state, m.usage);
}

/** The default max_tokens of a Messages call (the API requires one). */
export const DEFAULT_MAX_TOKENS = 1024;

const messagesEndpoint: EndpointSpec = {
  id: "messages",
  label: "Messages (Anthropic)",
  short: "messages",
  path: "/v1/messages",
  maxTemperature: 1,
  kind: "chat",
  body(messages, s) {
    const a = toAnthropic(messages);
    const body: Record<string, unknown> = { model: s.model, max_tokens: s.maxTokens ?? DEFAULT_MAX_TOKENS };
    if (a.system) body.system = a.system;
    body.messages = a.messages;
    if (s.stream) body.stream = true;
    if (s.temperature != null) body.temperature = s.temperature;
    if (s.tools) body.tools = [SAMPLE_TOOL_ANTHROPIC];
    return body;
  },
  headers: (apiKey) => ({ "x-api-key": apiKey, "anthropic-version": ANTHROPIC_VERSION, "Content-Type": "application/json" }),
  applyEvent: applyAnthropicEvent,
  applyJson: applyAnthropicMessage,
};

// ---------- OpenAI Responses ----------

export type ResponsesItem =
  | { role: "user" | "assistant"; content: string }
  | { type: "function_call"; call_id: string; name: string; arguments: string }
  | { type: "function_call_output"; call_id: string; output: string };

/**
 * The OpenAI-shaped history as Responses `input` items and `instructions`: system messages become
 * the instructions, an assistant's tool calls `function_call` items, tool results
 * `function_call_output` items.
 */
export function toResponsesInput(messages: ChatMessage[]): { instructions: string | null; input: ResponsesItem[] } {
  const system: string[] = [];
  const input: ResponsesItem[] = [];
  for (const m of messages) {
    if (m.role === "system") system.push(m.content);
    else if (m.role === "user") input.push({ role: "user", content: m.content });
    else if (m.role === "assistant") {
      if (m.content) input.push({ role: "assistant", content: m.content });
      for (const c of m.tool_calls ?? []) input.push({ type: "function_call", call_id: c.id, name: c.function.name, arguments: c.function.arguments });
    } else if (m.role === "tool") {
      input.push({ type: "function_call_output", call_id: m.tool_call_id, output: m.content });
    }
  }
  return { instructions: system.length ? system.join("\n\n") : null, input };
}

/** The sample tool as a Responses function tool (flat: no `function` wrapper). */
export const SAMPLE_TOOL_RESPONSES = {
  type: "function",
  name: SAMPLE_TOOL.function.name,
  description: SAMPLE_TOOL.function.description,
  parameters: SAMPLE_TOOL.function.parameters,
};

interface ResponsesUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  total_tokens?: number | null;
  cost?: number | null;
}

interface ResponsesObject {
  id?: string;
  object?: string;
  model?: string;
  status?: string;
  incomplete_details?: { reason?: string } | null;
  error?: { message?: string; type?: string; code?: string | number | null; param?: string | null } | null;
  output?: Array<Record<string, unknown>>;
  usage?: ResponsesUsage | null;
}

function responsesUsage(state: StreamState, u: ResponsesUsage | null | undefined): void {
  if (!u) return;
  const input = u.input_tokens ?? 0;
  const output = u.output_tokens ?? 0;
  state.usage = { prompt_tokens: input, completion_tokens: output, total_tokens: u.total_tokens ?? input + output, cost: u.cost ?? null };
}

/** A Response's status (and whether it called tools) as the chat finish reason the playground uses. */
function responsesFinish(r: ResponsesObject, calledTools: boolean): string | null {
  if (r.status === "incomplete") {
    const reason = r.incomplete_details?.reason;
    return reason === "max_output_tokens" ? "length" : (reason ?? "incomplete");
  }
  if (r.status === "completed") return calledTools ? "tool_calls" : "stop";
  return r.status ?? null;
}

/** An OpenAI error object (HTTP body's `error`, a stream `error` event, a failed Response's `error`). */
function responsesError(e: { message?: string; type?: string | null; code?: string | number | null; param?: string | null }, fallbackStatus = 500): ApiError {
  const code = e.code != null ? Number(e.code) : NaN;
  const status = Number.isInteger(code) && code >= 400 && code < 600 ? code : fallbackStatus;
  return new ApiError({ status, message: e.message ?? "The stream failed", type: e.type ?? "error", param: e.param ?? null, code: e.code != null ? String(e.code) : null });
}

function reasoningText(item: Record<string, unknown>): string {
  const parts = [...((item.content as Array<{ text?: string }> | undefined) ?? []), ...((item.summary as Array<{ text?: string }> | undefined) ?? [])];
  return parts.map((p) => p.text ?? "").join("");
}

/** Applies one Responses stream event (typed: `response.output_text.delta`...); returns whether it carried something visible. */
export function applyResponsesEvent(state: StreamState, event: SSEEvent, ctx: StreamContext): boolean {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    return false;
  }
  const type = (json.type as string | undefined) ?? event.event;
  const index = Number(json.output_index ?? 0);
  switch (type) {
    case "response.created":
    case "response.in_progress": {
      const r = (json.response ?? {}) as ResponsesObject;
      if (r.id && !state.id) state.id = r.id;
      if (r.model && !state.model) state.model = r.model;
      return false;
    }
    case "response.output_item.added": {
      const item = (json.item ?? {}) as Record<string, unknown>;
      const kind = String(item.type ?? "message");
      if (kind === "function_call") {
        state.toolCalls.push({ id: String(item.call_id ?? ""), name: String(item.name ?? ""), arguments: String(item.arguments ?? "") });
        ctx.blocks.set(index, { kind, tool: state.toolCalls.length - 1 });
        return true;
      }
      ctx.blocks.set(index, { kind });
      return false;
    }
    case "response.output_text.delta": {
      const delta = String(json.delta ?? "");
      state.content += delta;
      return delta !== "";
    }
    case "response.reasoning_text.delta":
    case "response.reasoning_summary_text.delta": {
      const delta = String(json.delta ?? "");
      state.thinking += delta;
      return delta !== "";
    }
    case "response.function_call_arguments.delta": {
      const tool = ctx.blocks.get(index)?.tool;
      const call = tool != null ? state.toolCalls[tool] : state.toolCalls[state.toolCalls.length - 1];
      if (call) call.arguments += String(json.delta ?? "");
      return true;
    }
    case "response.function_call_arguments.done": {
      // The whole arguments: they win over the deltas (a client that missed one still ends right).
      const tool = ctx.blocks.get(index)?.tool;
      const call = tool != null ? state.toolCalls[tool] : undefined;
      if (call && typeof json.arguments === "string") call.arguments = json.arguments;
      return false;
    }
    case "response.completed":
    case "response.incomplete":
    case "response.failed": {
      const r = (json.response ?? {}) as ResponsesObject;
      if (r.id && !state.id) state.id = r.id;
      if (r.model && !state.model) state.model = r.model;
      responsesUsage(state, r.usage);
      if (type === "response.failed" || r.status === "failed") {
        state.error = responsesError(r.error ?? { message: "The response failed" });
        return false;
      }
      const calledTools = state.toolCalls.length > 0 || (r.output ?? []).some((i) => i.type === "function_call");
      state.finishReason = responsesFinish(r, calledTools);
      return false;
    }
    case "error": {
      // OpenAI's stream error event: {type: "error", code, message, param}; some relays nest it in `error`.
      const e = (json.error && typeof json.error === "object" ? json.error : json) as Parameters<typeof responsesError>[0];
      state.error = responsesError(e);
      return false;
    }
    default:
      return false; // content_part.added/.done, output_text.done, output_item.done, reasoning_text.done
  }
}

/** A whole (not streamed) Response object. */
export function applyResponsesJson(state: StreamState, json: unknown): void {
  const r = (json ?? {}) as ResponsesObject;
  if (r.object !== "response" && r.error) {
    state.error = responsesError(r.error);
    return;
  }
  state.id = r.id ?? state.id;
  state.model = r.model ?? state.model;
  for (const item of r.output ?? []) {
    if (item.type === "message") {
      for (const part of (item.content as Array<{ type?: string; text?: string; refusal?: string }> | undefined) ?? []) {
        if (part.type === "output_text") state.content += part.text ?? "";
        else if (part.type === "refusal") state.content += part.refusal ?? "";
      }
    } else if (item.type === "reasoning") {
      state.thinking += reasoningText(item);
    } else if (item.type === "function_call") {
      state.toolCalls.push({ id: String(item.call_id ?? ""), name: String(item.name ?? ""), arguments: String(item.arguments ?? "") });
    }
  }
  responsesUsage(state, r.usage);
  if (r.status === "failed") {
    state.error = responsesError(r.error ?? { message: "The response failed" });
    return;
  }
  state.finishReason = responsesFinish(r, state.toolCalls.length > 0);
}

const responsesEndpoint: EndpointSpec = {
  id: "responses",
  label: "Responses (OpenAI)",
  short: "responses",
  path: "/v1/responses",
  maxTemperature: 2,
  kind: "chat",
  rawNote: "Each turn sends the whole conversation (store: false, no previous_response_id)",
  body(messages, s) {
    // Each turn sends the whole conversation with `store: false`, not only the new input with the
    // last answer's `previous_response_id`. The playground lets the user change the model, the
    // key (a stored response may only be continued by the key that made it) and the endpoint in
    // the middle of a conversation, compare two panes, and drops failed answers from the history:
    // a chain of stored responses would break on each of those, while the full input is always
    // the conversation on screen, and the Raw view shows exactly what the model was given.
    const r = toResponsesInput(messages);
    const body: Record<string, unknown> = { model: s.model };
    if (r.instructions) body.instructions = r.instructions;
    body.input = r.input;
    if (s.temperature != null) body.temperature = s.temperature;
    if (s.maxTokens != null) body.max_output_tokens = s.maxTokens;
    if (s.tools) body.tools = [SAMPLE_TOOL_RESPONSES];
    body.store = false;
    if (s.stream) body.stream = true;
    return body;
  },
  headers: (apiKey) => ({ Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" }),
  applyEvent: applyResponsesEvent,
  applyJson: applyResponsesJson,
};

// ---------- OpenAI Embeddings ----------

/** How many numbers of a vector a turn shows. */
export const EMBEDDING_HEAD = 6;

/** The text an embeddings turn sends: the last user message (embeddings have no conversation). */
export function embeddingInput(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === "user") return m.content;
  }
  return "";
}

/** A base64 embedding (little-endian float32s, as OpenAI sends them) as numbers. */
export function decodeBase64Floats(b64: string): number[] {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(view.getFloat32(i, true));
  return out;
}

/** An embeddings answer ({object: "list", data: [{embedding}], usage}) → its summary and usage. */
export function applyEmbeddingsJson(state: StreamState, json: unknown): void {
  const j = (json ?? {}) as {
    object?: string;
    model?: string;
    data?: Array<{ index?: number; embedding?: number[] | string }>;
    usage?: { prompt_tokens?: number; total_tokens?: number; cost?: number | null } | null;
    error?: { message?: string; type?: string; code?: string | number | null; param?: string | null };
  };
  if (!Array.isArray(j.data)) {
    state.error = j.error ? responsesError(j.error) : new ApiError({ status: 200, message: "The answer has no embeddings (no `data` list)", type: "invalid_response" });
    return;
  }
  state.model = j.model ?? state.model;
  const first = [...j.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))[0];
  let vector: number[] = [];
  let encoding = "float";
  if (typeof first?.embedding === "string") {
    encoding = "base64";
    try {
      vector = decodeBase64Floats(first.embedding);
    } catch {
      vector = [];
    }
  } else if (Array.isArray(first?.embedding)) {
    vector = first.embedding;
  }
  const summary: EmbeddingSummary = { count: j.data.length, dimensions: vector.length, head: vector.slice(0, EMBEDDING_HEAD), encoding };
  state.embedding = summary;
  const prompt = j.usage?.prompt_tokens ?? null;
  if (prompt != null) state.usage = { prompt_tokens: prompt, completion_tokens: 0, total_tokens: j.usage?.total_tokens ?? prompt, cost: j.usage?.cost ?? null };
  state.finishReason = "stop";
}

const embeddingsEndpoint: EndpointSpec = {
  id: "embeddings",
  label: "Embeddings (OpenAI)",
  short: "embeddings",
  path: "/v1/embeddings",
  maxTemperature: 2,
  kind: "embedding",
  body(messages, s) {
    // One text per request: the message just typed; no system prompt, settings or stream.
    return { model: s.model, input: embeddingInput(messages), encoding_format: "float" };
  },
  headers: (apiKey) => ({ Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" }),
  applyEvent: () => false, // the Embeddings API does not stream
  applyJson: applyEmbeddingsJson,
};

export const ENDPOINTS: Record<EndpointId, EndpointSpec> = {
  chat: chatEndpoint,
  messages: messagesEndpoint,
  responses: responsesEndpoint,
  embeddings: embeddingsEndpoint,
};

export const ENDPOINT_IDS = Object.keys(ENDPOINTS) as EndpointId[];

// ---------- the raw exchange ----------

/** A key as sk-…last4: enough to tell keys apart, never enough to use one. */
export function maskKey(key: string): string {
  const k = key.trim();
  const prefix = k.startsWith("sk-") ? "sk-" : "";
  if (k.length - prefix.length < 8) return `${prefix}…`;
  return `${prefix}…${k.slice(-4)}`;
}

const SECRET_HEADERS = new Set(["authorization", "x-api-key", "api-key", "x-litellm-api-key"]);

/** Headers with every credential masked (a Bearer token keeps its scheme). */
export function maskHeaders(headers: Record<string, string>): Array<[string, string]> {
  return Object.entries(headers).map(([name, value]) => {
    if (!SECRET_HEADERS.has(name.toLowerCase())) return [name, value];
    const bearer = /^Bearer\s+(.*)$/i.exec(value);
    return [name, bearer ? `Bearer ${maskKey(bearer[1])}` : maskKey(value)];
  });
}

export interface RawExchange {
  request: { method: string; url: string; path: string; headers: Array<[string, string]>; body: Record<string, unknown> };
  response: {
    status: number;
    statusText: string;
    /** content-type, retry-after and the x-litellm-* headers. */
    headers: Array<[string, string]>;
    /** The body of a JSON answer or an error (text as received). */
    body?: string;
    /** The stream's events, in order (cut at MAX_RAW_EVENTS). */
    events?: SSEEvent[];
    eventsDropped?: number;
  } | null;
}

export const MAX_RAW_EVENTS = 2000;

function shownResponseHeaders(h: Headers): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  h.forEach((value, name) => {
    const n = name.toLowerCase();
    if (n.startsWith("x-litellm-") || n === "content-type" || n === "retry-after" || n === "request-id") out.push([n, value]);
  });
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** The request a turn sends, as shown: key masked. */
export function buildRequest(endpoint: EndpointId, gatewayUrl: string, apiKey: string, messages: ChatMessage[], s: TurnSettings) {
  const spec = ENDPOINTS[endpoint];
  const url = `${gatewayUrl.replace(/\/+$/, "")}${spec.path}`;
  const headers = spec.headers(apiKey);
  const body = spec.body(messages, s);
  return { url, headers, body, shown: { method: "POST", url, path: spec.path, headers: maskHeaders(headers), body } };
}

export interface TurnOptions {
  endpoint: EndpointId;
  gatewayUrl: string;
  apiKey: string;
  messages: ChatMessage[];
  settings: TurnSettings;
  signal?: AbortSignal;
  onUpdate?: (state: StreamState, timing: Timing) => void;
  /** The request as it leaves (key masked), before any answer. */
  onRequest?: (raw: RawExchange) => void;
  now?: () => number;
}

export interface TurnResult {
  state: StreamState;
  timing: Timing;
  aborted: boolean;
  raw: RawExchange;
  /** x-litellm-response-cost, when the gateway sent it. */
  headerCost: number | null;
}

/**
 * Sends one turn to an endpoint and reads its answer, streamed or not. HTTP errors, error frames
 * and a broken stream become `state.error`; abort ends it with `aborted: true`.
 */
export async function runTurn(o: TurnOptions): Promise<TurnResult> {
  const spec = ENDPOINTS[o.endpoint];
  const now = o.now ?? (() => performance.now());
  const state = emptyStreamState();
  const timing: Timing = { start: now(), firstToken: null, end: null };
  const req = buildRequest(o.endpoint, o.gatewayUrl, o.apiKey, o.messages, o.settings);
  const raw: RawExchange = { request: req.shown, response: null };
  o.onRequest?.(raw);
  let headerCost: number | null = null;
  const finish = (aborted: boolean): TurnResult => {
    timing.end = now();
    o.onUpdate?.(state, timing);
    return { state, timing, aborted, raw, headerCost };
  };
  let response: Response;
  try {
    response = await fetch(req.url, { method: "POST", headers: req.headers, body: JSON.stringify(req.body), signal: o.signal });
  } catch (e) {
    if (o.signal?.aborted) return finish(true);
    state.error = networkError(o.gatewayUrl, e);
    return finish(false);
  }
  raw.response = { status: response.status, statusText: response.statusText, headers: shownResponseHeaders(response.headers) };
  const cost = response.headers.get("x-litellm-response-cost");
  if (cost != null && cost !== "" && Number.isFinite(Number(cost))) headerCost = Number(cost);
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    raw.response.body = text;
    state.error = apiErrorFrom(response.status, text, response.headers.get("retry-after"), spec.path);
    return finish(false);
  }
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("text/event-stream")) {
    let text = "";
    try {
      text = await response.text();
    } catch (e) {
      if (o.signal?.aborted) return finish(true);
      throw e;
    }
    raw.response.body = text;
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      state.error = new ApiError({ status: response.status, message: `The answer is not JSON: ${text.slice(0, 200)}`, type: "invalid_response" });
      return finish(false);
    }
    spec.applyJson(state, json);
    timing.firstToken = now();
    return finish(false);
  }
  const events: SSEEvent[] = [];
  raw.response.events = events;
  const ctx = newStreamContext();
  try {
    await readSSE(response.body, (event) => {
      if (events.length < MAX_RAW_EVENTS) events.push(event);
      else raw.response!.eventsDropped = (raw.response!.eventsDropped ?? 0) + 1;
      const visible = spec.applyEvent(state, event, ctx);
      if (visible && timing.firstToken == null) timing.firstToken = now();
      o.onUpdate?.(state, timing);
    });
  } catch (e) {
    if (o.signal?.aborted || (e instanceof DOMException && e.name === "AbortError")) return finish(true);
    state.error = new ApiError({ status: 0, message: `The stream broke: ${e instanceof Error ? e.message : String(e)}`, type: "network_error" });
  }
  return finish(false);
}
