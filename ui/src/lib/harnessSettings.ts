// The harness's settings beside its model — tools, allowed tools, skills, memory, truncation,
// hooks, limits, environment — as form state, checked before sending, and turned into the members of
// the harness form (on an edit, only what changed). Secret values come from the gateway hidden
// (`<hidden:…>`); sent back unchanged, the gateway keeps what they stand for.

import type { HarnessForm, HarnessView, HookSpec, HookTarget, MemorySpec, MemoryStrategy, SkillSpec, ToolSpec, ToolType, TruncationSpec } from "./api.gen";

export const TOOL_TYPES: { value: ToolType; label: string }[] = [
  { value: "remote_mcp", label: "Remote MCP server" },
  { value: "agentcore_gateway", label: "AgentCore gateway" },
  { value: "inline_function", label: "Inline function" },
  { value: "agentcore_browser", label: "AgentCore browser" },
  { value: "agentcore_code_interpreter", label: "AgentCore code interpreter" },
];

export const MEMORY_STRATEGIES: MemoryStrategy[] = ["SEMANTIC", "SUMMARIZATION", "USER_PREFERENCE", "EPISODIC"];

export type SkillKind = "path" | "git" | "s3" | "aws_skills";
export type HookEvent = "before_invocation" | "after_invocation" | "before_tool_call" | "after_tool_call";
export type HookTargetKind = "lambda" | "sns" | "event_bridge";

export const HOOK_EVENTS: { value: HookEvent; label: string }[] = [
  { value: "before_invocation", label: "Before an invocation" },
  { value: "after_invocation", label: "After an invocation" },
  { value: "before_tool_call", label: "Before a tool call" },
  { value: "after_tool_call", label: "After a tool call" },
];

/** The service each hook target's ARN names. */
const HOOK_SERVICES: Record<HookTargetKind, { service: string; label: string; example: string }> = {
  lambda: { service: "lambda", label: "Lambda function", example: "arn:aws:lambda:us-east-1:123456789012:function:guard" },
  sns: { service: "sns", label: "SNS topic", example: "arn:aws:sns:us-east-1:123456789012:harness-events" },
  event_bridge: { service: "events", label: "EventBridge bus", example: "arn:aws:events:us-east-1:123456789012:event-bus/default" },
};
export const HOOK_TARGETS = (Object.keys(HOOK_SERVICES) as HookTargetKind[]).map((value) => ({ value, ...HOOK_SERVICES[value] }));

export interface HookRow {
  id: number;
  event: HookEvent;
  name: string;
  target: HookTargetKind;
  arn: string;
  /** Lambda only: seconds to wait, and what a failure does. */
  timeout: string;
  failureMode: "" | "allow" | "deny";
}
export type MemoryKind = "" | "disabled" | "managed" | "agentcore_memory";
export type TruncationKind = "" | "none" | "sliding_window" | "summarization";

export interface ToolRow {
  id: number;
  type: ToolType;
  name: string;
  /** MCP server URL. */
  url: string;
  /** MCP headers, one `Name: value` a line (hidden values stay as shown). */
  headers: string;
  gatewayArn: string;
  /** Gateway outbound auth; an OAuth configuration is kept as it was. */
  auth: "" | "aws_iam" | "none" | "oauth";
  description: string;
  /** The inline function's input JSON Schema, as text. */
  schema: string;
  /** A custom browser or code interpreter ARN. */
  arn: string;
  /** What the harness had, for members the form does not edit (OAuth settings). */
  original?: ToolSpec;
}

export interface SkillRow {
  id: number;
  kind: SkillKind;
  /** The path, the git URL, the S3 URI, or AWS skill paths (comma-separated). */
  value: string;
  /** A git skill's path in the repository. */
  path: string;
  original?: SkillSpec;
}

export interface EnvRow {
  id: number;
  name: string;
  /** Typed by the user; empty for a held value left as it is. */
  value: string;
  /** The held value's fingerprint, when the harness had this variable. */
  hidden?: string;
  /** The name the harness had it under. */
  heldName?: string;
}

export interface SettingsState {
  tools: ToolRow[];
  allowedTools: string;
  skills: SkillRow[];
  memory: MemoryKind;
  memoryArn: string;
  actorId: string;
  messagesCount: string;
  strategies: MemoryStrategy[];
  expiryDays: string;
  truncation: TruncationKind;
  windowMessages: string;
  summaryRatio: string;
  preserveRecent: string;
  summaryPrompt: string;
  maxIterations: string;
  invocationMaxTokens: string;
  timeoutSeconds: string;
  env: EnvRow[];
  hooks: HookRow[];
  /** The memory the harness had (retrieval settings the form does not edit). */
  originalMemory?: MemorySpec | null;
}

let nextId = 1;
export const rowId = () => nextId++;

const num = (n: number | null | undefined) => (n == null ? "" : String(n));

export function emptyToolRow(type: ToolType = "remote_mcp"): ToolRow {
  return { id: rowId(), type, name: "", url: "", headers: "", gatewayArn: "", auth: "", description: "", schema: '{\n  "type": "object",\n  "properties": {}\n}', arn: "" };
}

function toolRowOf(t: ToolSpec): ToolRow {
  const row: ToolRow = { ...emptyToolRow(t.type), name: t.name ?? "", schema: "", original: t };
  const c = t.config;
  if (!c) return row;
  if ("remote_mcp" in c) {
    row.url = c.remote_mcp.url;
    row.headers = Object.entries(c.remote_mcp.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n");
  } else if ("agentcore_gateway" in c) {
    row.gatewayArn = c.agentcore_gateway.gateway_arn;
    const a = c.agentcore_gateway.outbound_auth;
    row.auth = !a ? "" : "aws_iam" in a ? "aws_iam" : "none" in a ? "none" : "oauth";
  } else if ("inline_function" in c) {
    row.description = c.inline_function.description;
    row.schema = JSON.stringify(c.inline_function.input_schema, null, 2);
  } else if ("agentcore_browser" in c) {
    row.arn = c.agentcore_browser.browser_arn ?? "";
  } else if ("agentcore_code_interpreter" in c) {
    row.arn = c.agentcore_code_interpreter.code_interpreter_arn ?? "";
  }
  return row;
}

export function emptyHookRow(): HookRow {
  return { id: rowId(), event: "before_tool_call", name: "", target: "lambda", arn: "", timeout: "", failureMode: "" };
}

function hookRowOf(h: HookSpec): HookRow {
  const event = Object.keys(h)[0] as HookEvent;
  const hook = (h as Record<HookEvent, { name: string; target?: HookTarget | null }>)[event];
  const row: HookRow = { ...emptyHookRow(), event, name: hook.name };
  const t = hook.target;
  if (t && "lambda" in t) Object.assign(row, { target: "lambda", arn: t.lambda.arn, timeout: num(t.lambda.timeout_seconds), failureMode: t.lambda.failure_mode ?? "" });
  else if (t && "sns" in t) Object.assign(row, { target: "sns", arn: t.sns.arn });
  else if (t && "event_bridge" in t) Object.assign(row, { target: "event_bridge", arn: t.event_bridge.arn });
  return row;
}

function hookOf(r: HookRow): HookSpec {
  const arn = r.arn.trim();
  const target: HookTarget =
    r.target === "lambda"
      ? { lambda: dropUndefined({ arn, timeout_seconds: intOrUndefined(r.timeout), failure_mode: r.failureMode || undefined }) }
      : r.target === "sns"
        ? { sns: { arn } }
        : { event_bridge: { arn } };
  return { [r.event]: { name: r.name.trim(), target } } as HookSpec;
}

function skillRowOf(s: SkillSpec): SkillRow {
  const row: SkillRow = { id: rowId(), kind: "path", value: "", path: "", original: s };
  if ("path" in s) row.value = s.path;
  else if ("git" in s) Object.assign(row, { kind: "git", value: s.git.url, path: s.git.path ?? "" });
  else if ("s3" in s) Object.assign(row, { kind: "s3", value: s.s3.uri });
  else if ("aws_skills" in s) Object.assign(row, { kind: "aws_skills", value: (s.aws_skills.paths ?? []).join(", ") });
  return row;
}

/** The form for a harness's settings (empty for a new harness). */
export function settingsStateOf(h?: HarnessView | null): SettingsState {
  const memory = h?.memory ?? null;
  const t = h?.truncation ?? null;
  const tc = t?.config ?? null;
  const s: SettingsState = {
    tools: (h?.tools ?? []).map(toolRowOf),
    allowedTools: (h?.allowed_tools ?? []).join(", "),
    skills: (h?.skills ?? []).map(skillRowOf),
    memory: "",
    memoryArn: "",
    actorId: "",
    messagesCount: "",
    strategies: [],
    expiryDays: "",
    truncation: t ? t.strategy : "",
    windowMessages: tc && "sliding_window" in tc ? num(tc.sliding_window.messages_count) : "",
    summaryRatio: tc && "summarization" in tc ? num(tc.summarization.summary_ratio) : "",
    preserveRecent: tc && "summarization" in tc ? num(tc.summarization.preserve_recent_messages) : "",
    summaryPrompt: tc && "summarization" in tc ? (tc.summarization.summarization_system_prompt ?? "") : "",
    maxIterations: num(h?.max_iterations),
    invocationMaxTokens: num(h?.invocation_max_tokens),
    timeoutSeconds: num(h?.timeout_seconds),
    env: Object.entries(h?.environment_variables ?? {}).map(([name, hidden]) => ({ id: rowId(), name, value: "", hidden, heldName: name })),
    hooks: (h?.hooks ?? []).map(hookRowOf),
    originalMemory: memory,
  };
  if (memory && "disabled" in memory) s.memory = "disabled";
  else if (memory && "managed" in memory) Object.assign(s, { memory: "managed", strategies: memory.managed.strategies ?? [], expiryDays: num(memory.managed.event_expiry_duration) });
  else if (memory && "agentcore_memory" in memory) {
    const m = memory.agentcore_memory;
    Object.assign(s, { memory: "agentcore_memory", memoryArn: m.arn, actorId: m.actor_id ?? "", messagesCount: num(m.messages_count) });
  }
  return s;
}

// ---------- checks ----------

export type SettingsErrors = Record<string, string>;

function wholeNumber(v: string, label: string, min: number): string | null {
  const t = v.trim();
  if (t === "") return null;
  const n = Number(t);
  if (!Number.isInteger(n)) return `${label} must be a whole number`;
  if (n < min) return `${label} must be at least ${min}`;
  return null;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function httpUrl(v: string): boolean {
  try {
    const u = new URL(v.trim());
    return (u.protocol === "http:" || u.protocol === "https:") && !!u.hostname;
  } catch {
    return false;
  }
}

/** The same checks as the gateway's, keyed by the input they are about (`tools.2.url`, `maxIterations`, …). */
export function validateSettings(s: SettingsState): SettingsErrors {
  const e: SettingsErrors = {};
  const names = new Set<string>();
  s.tools.forEach((t, i) => {
    const name = t.name.trim();
    if (name && !TOOL_NAME.test(name)) e[`tools.${i}.name`] = "1 to 64 letters, digits, _ or -";
    else if (name && names.has(name)) e[`tools.${i}.name`] = "Another tool has this name";
    if (name) names.add(name);
    if (t.type === "remote_mcp") {
      if (!httpUrl(t.url)) e[`tools.${i}.url`] = "The MCP server's http(s) URL";
      const bad = headerLines(t.headers).find(([k]) => !HEADER_NAME.test(k));
      if (bad) e[`tools.${i}.headers`] = `'${bad[0]}' is not a header name: one "Name: value" a line`;
    }
    if (t.type === "agentcore_gateway" && !/^arn:aws[^:]*:bedrock-agentcore:[^:]*:[^:]*:gateway\/.+/.test(t.gatewayArn.trim())) {
      e[`tools.${i}.gatewayArn`] = "An AgentCore gateway ARN (arn:aws:bedrock-agentcore:…:gateway/…)";
    }
    if (t.type === "inline_function") {
      if (!t.description.trim()) e[`tools.${i}.description`] = "Tell the model what the function does";
      if (parseSchema(t.schema) == null) e[`tools.${i}.schema`] = "A JSON Schema object, like {\"type\": \"object\"}";
    }
    if ((t.type === "agentcore_browser" || t.type === "agentcore_code_interpreter") && t.arn.trim() && !/^arn:aws[^:]*:bedrock-agentcore:/.test(t.arn.trim())) {
      e[`tools.${i}.arn`] = "An AgentCore ARN, or empty for AgentCore's own";
    }
  });
  const allowed = splitList(s.allowedTools);
  if (new Set(allowed).size !== allowed.length) e.allowedTools = "A name is listed twice";
  s.skills.forEach((k, i) => {
    if (!k.value.trim()) e[`skills.${i}.value`] = k.kind === "git" ? "The repository's URL" : k.kind === "s3" ? "An s3:// URI" : "A path";
    else if (k.kind === "s3" && !/^s3:\/\/.+/.test(k.value.trim())) e[`skills.${i}.value`] = "Must be an s3:// URI";
  });
  if (s.memory === "agentcore_memory" && !/^arn:aws[^:]*:bedrock-agentcore:[^:]*:[^:]*:memory\/.+/.test(s.memoryArn.trim())) {
    e.memoryArn = "An AgentCore Memory ARN (arn:aws:bedrock-agentcore:…:memory/…)";
  }
  // Only the inputs on show: a value left behind a switched select is not sent.
  for (const [k, label, min, shown] of [
    ["messagesCount", "Messages", 1, s.memory === "agentcore_memory"],
    ["expiryDays", "Days", 1, s.memory === "managed"],
    ["windowMessages", "Messages", 1, s.truncation === "sliding_window"],
    ["preserveRecent", "Messages", 0, s.truncation === "summarization"],
    ["maxIterations", "Max iterations", 1, true],
    ["invocationMaxTokens", "Max tokens", 1, true],
    ["timeoutSeconds", "Timeout", 1, true],
  ] as const) {
    const p = shown ? wholeNumber(s[k], label, min) : null;
    if (p) e[k] = p;
  }
  if (s.truncation === "summarization" && s.summaryRatio.trim()) {
    const r = Number(s.summaryRatio.trim());
    if (!(r > 0 && r <= 1)) e.summaryRatio = "Above 0, at most 1";
  }
  const hookNames = new Set<string>();
  s.hooks.forEach((h, i) => {
    const name = h.name.trim();
    if (!name) e[`hooks.${i}.name`] = "Name the hook";
    else if (hookNames.has(name)) e[`hooks.${i}.name`] = "Another hook has this name";
    hookNames.add(name);
    const { service, label } = HOOK_SERVICES[h.target];
    if (!new RegExp(`^arn:aws[^:]*:${service}:[^:]*:[^:]*:.+`).test(h.arn.trim())) e[`hooks.${i}.arn`] = `A ${label} ARN (arn:aws:${service}:…)`;
    if (h.target === "lambda") {
      const t = wholeNumber(h.timeout, "Timeout", 1);
      if (t) e[`hooks.${i}.timeout`] = t;
    }
  });
  const envNames = new Set<string>();
  s.env.forEach((v, i) => {
    const name = v.name.trim();
    if (!ENV_NAME.test(name)) e[`env.${i}.name`] = "Letters, digits and _, not starting with a digit";
    else if (envNames.has(name)) e[`env.${i}.name`] = "Listed twice";
    envNames.add(name);
    if (v.hidden && v.heldName !== name && !v.value) e[`env.${i}.value`] = "Renamed: type the value again (it is hidden)";
  });
  return e;
}

// ---------- to the gateway ----------

export function splitList(v: string): string[] {
  return v
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function headerLines(text: string): [string, string][] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf(":");
      return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
}

function parseSchema(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const intOrUndefined = (v: string) => (v.trim() === "" ? undefined : Number(v.trim()));

function toolOf(t: ToolRow): ToolSpec {
  const out: ToolSpec = { type: t.type };
  if (t.name.trim()) out.name = t.name.trim();
  switch (t.type) {
    case "remote_mcp": {
      const headers = Object.fromEntries(headerLines(t.headers));
      out.config = { remote_mcp: Object.keys(headers).length ? { url: t.url.trim(), headers } : { url: t.url.trim() } };
      break;
    }
    case "agentcore_gateway": {
      const was = t.original?.config && "agentcore_gateway" in t.original.config ? t.original.config.agentcore_gateway.outbound_auth : undefined;
      const auth = t.auth === "aws_iam" ? { aws_iam: {} } : t.auth === "none" ? { none: {} } : t.auth === "oauth" ? was : undefined;
      out.config = { agentcore_gateway: auth ? { gateway_arn: t.gatewayArn.trim(), outbound_auth: auth } : { gateway_arn: t.gatewayArn.trim() } };
      break;
    }
    case "inline_function":
      out.config = { inline_function: { description: t.description.trim(), input_schema: parseSchema(t.schema) ?? {} } };
      break;
    case "agentcore_browser":
      if (t.arn.trim()) out.config = { agentcore_browser: { browser_arn: t.arn.trim() } };
      break;
    case "agentcore_code_interpreter":
      if (t.arn.trim()) out.config = { agentcore_code_interpreter: { code_interpreter_arn: t.arn.trim() } };
      break;
  }
  return out;
}

function skillOf(k: SkillRow): SkillSpec {
  switch (k.kind) {
    case "path":
      return { path: k.value.trim() };
    case "git": {
      const auth = k.original && "git" in k.original ? k.original.git.auth : undefined;
      return { git: { url: k.value.trim(), ...(k.path.trim() ? { path: k.path.trim() } : {}), ...(auth ? { auth } : {}) } };
    }
    case "s3":
      return { s3: { uri: k.value.trim() } };
    case "aws_skills":
      return { aws_skills: { paths: splitList(k.value) } };
  }
}

function memoryOf(s: SettingsState): MemorySpec | null {
  switch (s.memory) {
    case "":
      return null;
    case "disabled":
      return { disabled: {} };
    case "managed": {
      const was = s.originalMemory && "managed" in s.originalMemory ? s.originalMemory.managed : undefined;
      return {
        managed: dropUndefined({
          arn: was?.arn ?? undefined,
          strategies: s.strategies.length ? s.strategies : undefined,
          event_expiry_duration: intOrUndefined(s.expiryDays),
          encryption_key_arn: was?.encryption_key_arn ?? undefined,
        }),
      };
    }
    case "agentcore_memory": {
      const was = s.originalMemory && "agentcore_memory" in s.originalMemory ? s.originalMemory.agentcore_memory : undefined;
      return {
        agentcore_memory: dropUndefined({
          arn: s.memoryArn.trim(),
          actor_id: s.actorId.trim() || undefined,
          messages_count: intOrUndefined(s.messagesCount),
          retrieval_config: was?.retrieval_config && Object.keys(was.retrieval_config).length ? was.retrieval_config : undefined,
        }),
      };
    }
  }
}

function truncationOf(s: SettingsState): TruncationSpec | null {
  switch (s.truncation) {
    case "":
      return null;
    case "none":
      return { strategy: "none" };
    case "sliding_window": {
      const n = intOrUndefined(s.windowMessages);
      return n == null ? { strategy: "sliding_window" } : { strategy: "sliding_window", config: { sliding_window: { messages_count: n } } };
    }
    case "summarization": {
      const c = dropUndefined({
        summary_ratio: s.summaryRatio.trim() ? Number(s.summaryRatio.trim()) : undefined,
        preserve_recent_messages: intOrUndefined(s.preserveRecent),
        summarization_system_prompt: s.summaryPrompt.trim() || undefined,
      });
      return Object.keys(c).length ? { strategy: "summarization", config: { summarization: c } } : { strategy: "summarization" };
    }
  }
}

function dropUndefined<T extends object>(o: T): T {
  const out = { ...o };
  for (const k of Object.keys(out) as Array<keyof T>) if (out[k] === undefined) delete out[k];
  return out;
}

/** Stable text of a value, keys sorted, for "did it change". */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined && o[k] !== null)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

type SettingsMembers = Pick<
  HarnessForm,
  "tools" | "allowed_tools" | "skills" | "memory" | "truncation" | "hooks" | "max_iterations" | "invocation_max_tokens" | "timeout_seconds" | "environment_variables"
>;

/**
 * The settings members of the harness form. Creating (`original` absent): what is set. Editing:
 * only what changed; the environment as changes (a value sets, `null` removes, names left out keep
 * theirs, so hidden values are never sent).
 */
export function settingsBody(s: SettingsState, original?: HarnessView | null): SettingsMembers {
  const out: SettingsMembers = {};
  const tools = s.tools.map(toolOf);
  const allowed = splitList(s.allowedTools);
  const skills = s.skills.map(skillOf);
  const memory = memoryOf(s);
  const truncation = truncationOf(s);
  const hooks = s.hooks.map(hookOf);
  if (!original) {
    if (hooks.length) out.hooks = hooks;
    if (tools.length) out.tools = tools;
    if (allowed.length) out.allowed_tools = allowed;
    if (skills.length) out.skills = skills;
    if (memory) out.memory = memory;
    if (truncation) out.truncation = truncation;
  } else {
    if (canonical(tools) !== canonical(original.tools ?? [])) out.tools = tools;
    if (canonical(allowed) !== canonical(original.allowed_tools ?? [])) out.allowed_tools = allowed;
    if (canonical(skills) !== canonical(original.skills ?? [])) out.skills = skills;
    if (canonical(memory) !== canonical(original.memory ?? null)) out.memory = memory;
    if (truncation && canonical(truncation) !== canonical(original.truncation ?? null)) out.truncation = truncation;
    if (canonical(hooks) !== canonical(original.hooks ?? [])) out.hooks = hooks;
  }
  for (const [k, member, was] of [
    ["maxIterations", "max_iterations", original?.max_iterations],
    ["invocationMaxTokens", "invocation_max_tokens", original?.invocation_max_tokens],
    ["timeoutSeconds", "timeout_seconds", original?.timeout_seconds],
  ] as const) {
    const v = intOrUndefined(s[k]);
    if (v != null && v !== was) out[member] = v;
  }
  const env: Record<string, string | null> = {};
  const kept = new Set<string>();
  for (const row of s.env) {
    const name = row.name.trim();
    if (row.value !== "") env[name] = row.value;
    else if (row.hidden && row.heldName === name) kept.add(name);
    else if (!row.hidden) env[name] = "";
  }
  for (const name of Object.keys(original?.environment_variables ?? {})) {
    if (!kept.has(name) && !(name in env)) env[name] = null;
  }
  if (Object.keys(env).length) out.environment_variables = env;
  return out;
}

/** A one-line summary of the settings, for the harness details. */
export function settingsSummary(h: HarnessView): string[] {
  const out: string[] = [];
  const tools = h.tools ?? [];
  out.push(tools.length ? `${tools.length} tool${tools.length > 1 ? "s" : ""}: ${tools.map((t) => t.name ?? t.type).join(", ")}` : "no tools");
  const allowed = h.allowed_tools ?? [];
  if (allowed.length && !(allowed.length === 1 && allowed[0] === "*")) out.push(`allowed: ${allowed.join(", ")}`);
  const skills = h.skills ?? [];
  if (skills.length) out.push(`${skills.length} skill${skills.length > 1 ? "s" : ""}`);
  const m = h.memory;
  out.push(!m ? "memory: AgentCore's default" : "disabled" in m ? "memory off" : "managed" in m ? "managed memory" : "memory: your AgentCore Memory");
  if (h.truncation) out.push(`truncation: ${h.truncation.strategy.replace("_", " ")}`);
  const hooks = h.hooks ?? [];
  if (hooks.length) out.push(`${hooks.length} hook${hooks.length > 1 ? "s" : ""}`);
  const env = Object.keys(h.environment_variables ?? {});
  if (env.length) out.push(`env: ${env.join(", ")}`);
  return out;
}
