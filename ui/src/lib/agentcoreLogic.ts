// Pure logic of the AgentCore page, unit-tested: names and ARNs checked before sending, the
// harness form → request bodies, where the API base is reachable from, the model switch, and
// reducers for the wiring's and the playground's event streams.

import type { InvokeEvent, WireEvent } from "./agentcore";
import type { DoctorRequest, GenerateKeyRequest, HarnessBody, HarnessForm, HarnessView, ProviderBody, ProviderView, Report, Step, TurnCall, WireRequest, WireResult } from "./api.gen";

export const LITELLM_PREFIX = "litellm_proxy/";

// ---------- names and ARNs ----------

/** AgentCore's harness name pattern. */
export const HARNESS_NAME_RE = /^[a-zA-Z][a-zA-Z0-9_]{0,39}$/;

/** A name AgentCore accepts, close to `name` (`litellm-harness` → `litellm_harness`). */
export function suggestHarnessName(name: string): string {
  let s = name.trim().replace(/[^a-zA-Z0-9_]/g, "_");
  if (!/^[a-zA-Z]/.test(s)) s = `h_${s}`;
  return s.slice(0, 40);
}

export interface NameProblem {
  message: string;
  /** A name that would be accepted, when there is one to offer. */
  suggestion: string | null;
}

export function validateHarnessName(value: string): NameProblem | null {
  const name = value.trim();
  if (name === "") return { message: "Harness name is required", suggestion: null };
  if (HARNESS_NAME_RE.test(name)) return null;
  const suggestion = suggestHarnessName(name);
  let why: string;
  if (/-/.test(name)) why = "no hyphens: AgentCore allows letters, digits and underscores only";
  else if (!/^[a-zA-Z]/.test(name)) why = "it must start with a letter";
  else if (name.length > 40) why = `at most 40 characters (this one has ${name.length})`;
  else why = "letters, digits and underscores only";
  return { message: `Not a valid harness name: ${why}.`, suggestion: suggestion !== name && HARNESS_NAME_RE.test(suggestion) ? suggestion : null };
}

/** `[a-zA-Z0-9\-_]+`, 1–128 characters. */
export function validateProviderName(value: string): string | null {
  const v = value.trim();
  if (v === "") return "Credential provider name is required";
  if (v.length > 128) return "At most 128 characters";
  if (!/^[a-zA-Z0-9_-]+$/.test(v)) return "Letters, digits, “-” and “_” only (AgentCore's pattern)";
  return null;
}

/** `arn:aws[-partition]:iam::<12 digits>:role/<path/name>`: error message or null. */
export function validateRoleArn(value: string): string | null {
  const arn = value.trim();
  if (arn === "") return "Execution role ARN is required";
  const parts = arn.split(":");
  const fail = "Not an IAM role ARN: expected arn:aws:iam::<12-digit account>:role/<name> (the role AgentCore assumes to run the harness)";
  if (parts.length !== 6) return fail;
  const [prefix, partition, service, region, account, resource] = parts;
  const partitionOk = partition === "aws" || /^aws-[a-z-]+$/.test(partition);
  const name = resource.startsWith("role/") ? resource.slice(5) : "";
  const nameOk = name !== "" && name.length <= 512 && /^[a-zA-Z0-9+=,.@_\-/]+$/.test(name) && !name.endsWith("/");
  if (prefix !== "arn" || !partitionOk || service !== "iam" || region !== "" || !/^\d{12}$/.test(account) || !nameOk) return fail;
  return null;
}

// ---------- models ----------

/** The model id AgentCore gets for an alias: always `litellm_proxy/<alias>`. */
export function modelIdOf(alias: string): string {
  const a = alias.trim();
  return a.startsWith(LITELLM_PREFIX) ? a : `${LITELLM_PREFIX}${a}`;
}

/** The alias of a harness's model, also for a bare id (the seed's `claude-haiku`). */
export function aliasOf(h: HarnessView): string | null {
  const m = h.model;
  if (!m || m.source !== "litellm") return null;
  if (m.alias) return m.alias;
  return m.model_id.startsWith(LITELLM_PREFIX) ? m.model_id.slice(LITELLM_PREFIX.length) : m.model_id;
}

/** A LiteLLM model id without the prefix: LiteLLM inside the harness fails with "LLM Provider NOT provided". */
export function lacksPrefix(h: HarnessView): boolean {
  return h.model?.source === "litellm" && !h.model.model_id.startsWith(LITELLM_PREFIX);
}

/**
 * The alias "switch model" goes to: haiku ↔ sonnet (the seed's switch), else the other alias of a
 * gateway with two. A harness with a bare id is "switched" to its own alias (adding the prefix).
 */
export function switchTarget(h: HarnessView, aliases: string[]): string | null {
  const current = aliasOf(h);
  if (h.model?.source !== "litellm" || current == null) return null;
  if (lacksPrefix(h) && aliases.includes(current)) return current;
  const swaps: Array<[string, string]> = [
    ["haiku", "sonnet"],
    ["sonnet", "haiku"],
  ];
  for (const [from, to] of swaps) {
    if (current.includes(from)) {
      const candidate = current.replace(from, to);
      if (aliases.includes(candidate)) return candidate;
    }
  }
  const others = aliases.filter((a) => a !== current);
  return others.length === 1 ? others[0] : null;
}

// ---------- the harness form ----------

export interface HarnessFormState {
  name: string;
  roleArn: string;
  alias: string;
  provider: string;
  apiBase: string;
  systemPrompt: string;
  maxTokens: string;
  temperature: string;
  topP: string;
}

export type HarnessFormMode = "create" | "edit" | "wire";
export type HarnessFormErrors = Partial<Record<keyof HarnessFormState, string>>;

export function emptyHarnessForm(defaults: { alias?: string; provider?: string; apiBase?: string } = {}): HarnessFormState {
  return {
    name: "",
    roleArn: "",
    alias: defaults.alias ?? "",
    provider: defaults.provider ?? "litellm-proxy",
    apiBase: defaults.apiBase ?? "",
    systemPrompt: "",
    maxTokens: "",
    temperature: "",
    topP: "",
  };
}

const num = (n: number | null | undefined) => (n == null ? "" : String(n));

/** The form to edit `h`. */
export function harnessFormOf(h: HarnessView): HarnessFormState {
  const m = h.model;
  return {
    name: h.harness_name,
    roleArn: h.execution_role_arn ?? "",
    alias: aliasOf(h) ?? "",
    provider: h.credential_provider?.name ?? "",
    apiBase: m?.api_base ?? "",
    systemPrompt: h.system_prompt ?? "",
    maxTokens: num(m?.max_tokens),
    temperature: num(m?.temperature),
    topP: num(m?.top_p),
  };
}

function numberProblem(value: string, label: string, opts: { min: number; max?: number; integer?: boolean }): string | null {
  const v = value.trim();
  if (v === "") return null;
  const n = Number(v);
  if (!Number.isFinite(n)) return `${label} must be a number`;
  if (opts.integer && !Number.isInteger(n)) return `${label} must be a whole number`;
  if (opts.max != null && (n < opts.min || n > opts.max)) return `${label} must be between ${opts.min} and ${opts.max}`;
  if (n < opts.min) return `${label} must be at least ${opts.min}`;
  return null;
}

export function validateApiBase(value: string): string | null {
  const v = value.trim();
  if (v === "") return null; // the gateway's public URL
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return "Must be a full http(s) URL, e.g. https://gateway.example.com";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return "Must start with http:// or https://";
  return null;
}

/** Checked before anything is sent (the gateway checks again). */
export function validateHarnessForm(f: HarnessFormState, mode: HarnessFormMode, opts: { aliases?: string[]; existingHarness?: boolean } = {}): HarnessFormErrors {
  const e: HarnessFormErrors = {};
  const creating = mode === "create" || (mode === "wire" && !opts.existingHarness);
  if (creating) {
    const name = validateHarnessName(f.name);
    if (name) e.name = name.message + (name.suggestion ? ` Try ${name.suggestion}.` : "");
    const role = validateRoleArn(f.roleArn);
    if (role) e.roleArn = role;
  } else if (f.roleArn.trim() !== "") {
    const role = validateRoleArn(f.roleArn);
    if (role) e.roleArn = role;
  }
  if (f.alias.trim() === "") e.alias = "Pick one of the gateway's models";
  else if (opts.aliases && opts.aliases.length && !opts.aliases.includes(f.alias.replace(LITELLM_PREFIX, ""))) e.alias = `The gateway has no model ${f.alias}`;
  if (mode === "wire") {
    const p = validateProviderName(f.provider);
    if (p) e.provider = p;
  } else if (f.provider.trim() === "") {
    e.provider = "Pick a credential provider (create one first)";
  }
  const base = validateApiBase(f.apiBase);
  if (base) e.apiBase = base;
  const mt = numberProblem(f.maxTokens, "Max tokens", { min: 1, integer: true });
  if (mt) e.maxTokens = mt;
  const t = numberProblem(f.temperature, "Temperature", { min: 0, max: 2 });
  if (t) e.temperature = t;
  const p = numberProblem(f.topP, "Top P", { min: 0, max: 1 });
  if (p) e.topP = p;
  return e;
}

const numberOrUndefined = (v: string): number | undefined => (v.trim() === "" ? undefined : Number(v.trim()));
const textOrUndefined = (v: string): string | undefined => (v.trim() === "" ? undefined : v.trim());

/** The members shared by create and wire. The model is the alias; the gateway sends `litellm_proxy/<alias>`. */
function formMembers(f: HarnessFormState): HarnessForm {
  const body: HarnessForm = {
    model: f.alias.trim().replace(LITELLM_PREFIX, ""),
    credential_provider: textOrUndefined(f.provider),
    api_base: textOrUndefined(f.apiBase)?.replace(/\/+$/, ""),
    system_prompt: textOrUndefined(f.systemPrompt),
    max_tokens: numberOrUndefined(f.maxTokens),
    temperature: numberOrUndefined(f.temperature),
    top_p: numberOrUndefined(f.topP),
  };
  return dropUndefined(body);
}

/** `o` without its undefined members. */
function dropUndefined<T extends object>(o: T): T {
  const out = { ...o };
  for (const k of Object.keys(out) as Array<keyof T>) if (out[k] === undefined) delete out[k];
  return out;
}

/** `POST /agentcore/harnesses`. */
export function harnessCreateBody(f: HarnessFormState, force = false): HarnessBody {
  return dropUndefined<HarnessBody>({
    harness_name: f.name.trim(),
    execution_role_arn: f.roleArn.trim(),
    ...formMembers(f),
    force: force || undefined,
  });
}

/**
 * `PATCH /agentcore/harnesses/{id}`: only what changed, so a new system prompt alone does not
 * touch the model (and needs no doctor). Clearing a number keeps the current value.
 */
export function harnessPatchBody(f: HarnessFormState, original: HarnessView, force = false): HarnessBody {
  const before = harnessFormOf(original);
  const out: HarnessBody = {};
  const changed = (k: keyof HarnessFormState) => f[k].trim() !== before[k].trim();
  if (changed("roleArn") && f.roleArn.trim()) out.execution_role_arn = f.roleArn.trim();
  if (changed("systemPrompt")) out.system_prompt = f.systemPrompt.trim();
  // A bare model id (the seed's mistake) counts as a change: saving adds the prefix.
  if (changed("alias") || lacksPrefix(original) || original.model?.source !== "litellm") out.model = f.alias.trim().replace(LITELLM_PREFIX, "");
  if (changed("provider") && f.provider.trim()) out.credential_provider = f.provider.trim();
  if (changed("apiBase") && f.apiBase.trim()) out.api_base = f.apiBase.trim().replace(/\/+$/, "");
  for (const [k, member] of [
    ["maxTokens", "max_tokens"],
    ["temperature", "temperature"],
    ["topP", "top_p"],
  ] as const) {
    if (changed(k) && f[k].trim() !== "") out[member] = Number(f[k].trim());
  }
  if (force) out.force = true;
  return out;
}

export interface WireOptions {
  /** Wire this existing harness (UpdateHarness) instead of creating one. */
  harnessId?: string;
  /** An existing team; else `teamAlias` (reused, or created). */
  teamId?: string;
  teamAlias: string;
  keyAlias: string;
  /** Max budget of the new key, USD. */
  keyBudget?: string;
}

/** `POST /agentcore/wire`. */
export function wireRequestBody(f: HarnessFormState, o: WireOptions, force = false): WireRequest {
  const body: WireRequest = {
    ...formMembers(f),
    team_id: textOrUndefined(o.teamId ?? ""),
    team_alias: o.teamId ? undefined : textOrUndefined(o.teamAlias),
    key_alias: textOrUndefined(o.keyAlias),
    force: force || undefined,
  };
  if (o.harnessId) {
    body.harness_id = o.harnessId;
    if (f.roleArn.trim()) body.execution_role_arn = f.roleArn.trim();
  } else {
    body.harness_name = f.name.trim();
    body.execution_role_arn = f.roleArn.trim();
  }
  const budget = numberOrUndefined(o.keyBudget ?? "");
  if (budget !== undefined) body.key_settings = { max_budget: budget };
  return dropUndefined(body);
}

/** `POST /agentcore/doctor` for what the form would save (the model id as it would be sent). */
export function doctorBodyOfForm(f: HarnessFormState, harnessId?: string): DoctorRequest {
  return dropUndefined<DoctorRequest>({
    harness_id: harnessId,
    model: f.alias.trim() ? modelIdOf(f.alias) : undefined,
    api_base: textOrUndefined(f.apiBase)?.replace(/\/+$/, ""),
    credential_provider: textOrUndefined(f.provider),
  });
}

// ---------- the API base ----------

export interface Reachability {
  /** "public": AWS may reach it; the rest: it cannot. */
  kind: "public" | "loopback" | "private" | "link-local" | "local-name" | "unspecified" | "invalid" | "missing";
  /** Why AWS cannot reach it (empty for "public"). */
  reason: string;
  insecure: boolean;
}

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Whether a harness running in AWS can reach `url` (the doctor checks it for real). */
export function classifyApiBase(url: string | null | undefined): Reachability {
  const v = (url ?? "").trim();
  if (!v) return { kind: "missing", reason: "no API base: the gateway has no public URL", insecure: false };
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return { kind: "invalid", reason: "not an http(s) URL", insecure: false };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return { kind: "invalid", reason: "not an http(s) URL", insecure: false };
  const insecure = u.protocol === "http:";
  const host = u.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const a = ipv4(host);
  if (a) {
    const [x, y] = a;
    if (x === 127) return { kind: "loopback", reason: `${host} is a loopback address (this machine)`, insecure };
    if (x === 0) return { kind: "unspecified", reason: `${host} is not an address others can reach`, insecure };
    if (x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168)) return { kind: "private", reason: `${host} is a private network address`, insecure };
    if (x === 169 && y === 254) return { kind: "link-local", reason: `${host} is a link-local address`, insecure };
    if (x === 100 && y >= 64 && y <= 127) return { kind: "private", reason: `${host} is a carrier-grade NAT address`, insecure };
    return { kind: "public", reason: "", insecure };
  }
  if (host.includes(":")) {
    if (host === "::1") return { kind: "loopback", reason: "::1 is the loopback address (this machine)", insecure };
    if (host === "::") return { kind: "unspecified", reason: ":: is not an address others can reach", insecure };
    if (/^f[cd]/.test(host)) return { kind: "private", reason: `${host} is a private (unique local) address`, insecure };
    if (/^fe[89ab]/.test(host)) return { kind: "link-local", reason: `${host} is a link-local address`, insecure };
    return { kind: "public", reason: "", insecure };
  }
  if (host === "localhost" || host.endsWith(".localhost")) return { kind: "loopback", reason: `${host} is this machine`, insecure };
  if (host.endsWith(".local") || host.endsWith(".internal") || !host.includes(".")) {
    return { kind: "local-name", reason: `${host} is a local name that does not resolve from AWS`, insecure };
  }
  return { kind: "public", reason: "", insecure };
}

// ---------- lists ----------

/** "holds key agentcore-harness-key" / "holds a key this gateway didn't store". */
export function providerKeyLabel(p: Pick<ProviderView, "key">): string {
  if (!p.key) return "holds a key this gateway didn't store";
  return `holds key ${p.key.key_alias ?? p.key.key_name}`;
}

export type Tone = "neutral" | "green" | "red" | "amber" | "blue" | "violet";

export function harnessStatusTone(status: string): Tone {
  if (status === "READY") return "green";
  if (status.endsWith("_FAILED")) return "red";
  if (status === "CREATING" || status === "UPDATING" || status === "DELETING") return "amber";
  return "neutral";
}

/** Whether a status will change by itself (the list polls meanwhile). */
export function settling(status: string): boolean {
  return status === "CREATING" || status === "UPDATING" || status === "DELETING";
}

export function keyStatusTone(status: string): Tone {
  return status === "active" ? "green" : status === "deleted" || status === "blocked" ? "red" : "amber";
}

// ---------- the wiring's stream ----------

export interface WireState {
  steps: Step[];
  result: WireResult | null;
}

export const WIRE_STEPS: Array<{ id: string; title: string }> = [
  { id: "preflight", title: "Check the configuration (doctor)" },
  { id: "team", title: "Team" },
  { id: "key", title: "Virtual key" },
  { id: "provider", title: "Credential provider in AgentCore Identity" },
  { id: "harness", title: "Harness with model source LiteLLM" },
  { id: "ready", title: "Harness READY" },
];

/** Six steps, not started: what the page shows before the first event. */
export function initialWireState(): WireState {
  return {
    steps: WIRE_STEPS.map((s) => ({ ...s, status: "not_started", message: null, fix: null, error: null, detail: null })),
    result: null,
  };
}

export function applyWireEvent(state: WireState, e: WireEvent): WireState {
  if (e.type === "result") return { steps: e.result.steps.length ? e.result.steps : state.steps, result: e.result };
  const i = state.steps.findIndex((s) => s.id === e.step.id);
  const steps = i === -1 ? [...state.steps, e.step] : state.steps.map((s, j) => (j === i ? e.step : s));
  return { ...state, steps };
}

/** The doctor's report a step carries (preflight and ready), if any. */
export function stepDoctor(step: Step): Report | null {
  const d = step.detail as Report | null;
  return d && typeof d === "object" && Array.isArray(d.findings) ? d : null;
}

/** The wiring stopped at the doctor only: "wire anyway" (force) would go on. */
export function wireRefusedByDoctor(state: WireState): boolean {
  const pre = state.steps.find((s) => s.id === "preflight");
  const report = pre ? stepDoctor(pre) : null;
  return pre?.status === "failed" && report != null && report.errors > 0;
}

// ---------- the playground's stream ----------

export type Block =
  | { kind: "text"; message: number; index: number; role: string; text: string }
  | { kind: "reasoning"; message: number; index: number; text: string }
  | { kind: "tool_use"; message: number; index: number; toolUseId: string; name: string; toolType: string | null; serverName: string | null; input: string }
  | { kind: "tool_result"; message: number; index: number; toolUseId: string; status: string | null; content: string[]; metadata: unknown }
  | { kind: "hook"; name: string; hookType: string; decision: string | null; reason: string | null }
  | { kind: "stop"; reason: string }
  /** A call the harness made to this gateway, as it ended. */
  | { kind: "call"; call: TurnCall };

export interface Usage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  total_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_write_input_tokens?: number | null;
}

export interface HarnessTurn {
  sessionId: string | null;
  modelId: string | null;
  /** The named endpoint the turn went to, with its version (`stable (v1)`); null for DEFAULT. */
  endpoint: string | null;
  blocks: Block[];
  stopReason: string | null;
  usage: Usage | null;
  latencyMs: number | null;
  error: { kind: string | null; code: string | null; message: string; fix: string | null; detail: string | null } | null;
  done: boolean;
  /** Messages seen so far (message_start); block indices restart at each. */
  messages: number;
  role: string;
}

export function emptyTurn(): HarnessTurn {
  return { sessionId: null, modelId: null, endpoint: null, blocks: [], stopReason: null, usage: null, latencyMs: null, error: null, done: false, messages: 0, role: "assistant" };
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : v == null ? null : String(v));

function contentText(items: unknown): string[] {
  if (!Array.isArray(items)) return [];
  return items.map((c) => {
    if (c && typeof c === "object") {
      const o = c as { text?: unknown; json?: unknown };
      if (typeof o.text === "string") return o.text;
      if (o.json !== undefined) return JSON.stringify(o.json);
    }
    return JSON.stringify(c);
  });
}

/** One harness event applied to the turn being streamed (a new object; blocks are copied on change). */
export function applyInvokeEvent(turn: HarnessTurn, e: InvokeEvent): HarnessTurn {
  const t: HarnessTurn = { ...turn };
  const index = typeof e.index === "number" ? e.index : 0;
  const find = <K extends Block["kind"]>(kind: K) =>
    t.blocks.findIndex((b) => b.kind === kind && "message" in b && b.message === t.messages && b.index === index);
  const replace = (i: number, b: Block) => {
    t.blocks = t.blocks.map((x, j) => (j === i ? b : x));
  };
  switch (e.type) {
    case "session":
      t.sessionId = str(e.session_id);
      t.modelId = str(e.model_id);
      t.endpoint = e.endpoint && e.endpoint !== "DEFAULT" ? `${str(e.endpoint)}${e.version ? ` (v${str(e.version)})` : ""}` : null;
      break;
    case "message_start":
      t.messages = turn.messages + 1;
      t.role = str(e.role) ?? "assistant";
      break;
    case "text": {
      const i = find("text");
      const delta = str(e.text) ?? "";
      if (i === -1) t.blocks = [...t.blocks, { kind: "text", message: t.messages, index, role: t.role, text: delta }];
      else {
        const b = t.blocks[i] as Extract<Block, { kind: "text" }>;
        replace(i, { ...b, text: b.text + delta });
      }
      break;
    }
    case "reasoning": {
      const i = find("reasoning");
      const delta = str(e.text) ?? "";
      if (i === -1) t.blocks = [...t.blocks, { kind: "reasoning", message: t.messages, index, text: delta }];
      else {
        const b = t.blocks[i] as Extract<Block, { kind: "reasoning" }>;
        replace(i, { ...b, text: b.text + delta });
      }
      break;
    }
    case "tool_use_start":
      t.blocks = [
        ...t.blocks,
        { kind: "tool_use", message: t.messages, index, toolUseId: str(e.tool_use_id) ?? "", name: str(e.name) ?? "tool", toolType: str(e.tool_type), serverName: str(e.server_name), input: "" },
      ];
      break;
    case "tool_use_input": {
      const i = find("tool_use");
      if (i !== -1) {
        const b = t.blocks[i] as Extract<Block, { kind: "tool_use" }>;
        replace(i, { ...b, input: b.input + (str(e.input) ?? "") });
      }
      break;
    }
    case "tool_result_start":
      t.blocks = [...t.blocks, { kind: "tool_result", message: t.messages, index, toolUseId: str(e.tool_use_id) ?? "", status: str(e.status), content: [], metadata: null }];
      break;
    case "tool_result": {
      let i = find("tool_result");
      if (i === -1) {
        t.blocks = [...t.blocks, { kind: "tool_result", message: t.messages, index, toolUseId: "", status: null, content: [], metadata: null }];
        i = t.blocks.length - 1;
      }
      const b = t.blocks[i] as Extract<Block, { kind: "tool_result" }>;
      replace(i, { ...b, content: [...b.content, ...contentText(e.content)] });
      break;
    }
    case "tool_result_metadata": {
      const i = find("tool_result");
      if (i !== -1) replace(i, { ...(t.blocks[i] as Extract<Block, { kind: "tool_result" }>), metadata: e.metadata });
      break;
    }
    case "hook":
      t.blocks = [...t.blocks, { kind: "hook", name: str(e.name) ?? "hook", hookType: str(e.hook_type) ?? "", decision: str(e.decision), reason: str(e.reason) }];
      break;
    case "message_stop":
      t.stopReason = str(e.stop_reason);
      t.blocks = [...t.blocks, { kind: "stop", reason: t.stopReason ?? "" }];
      break;
    case "gateway_call":
      if (e.call && typeof e.call === "object") t.blocks = [...t.blocks, { kind: "call", call: e.call as TurnCall }];
      break;
    case "metadata":
      t.usage = (e.usage as Usage | null) ?? null;
      t.latencyMs = typeof e.latency_ms === "number" ? e.latency_ms : null;
      break;
    case "error":
      t.error = { kind: str(e.kind), code: str(e.code), message: str(e.message) ?? "The harness failed", fix: str(e.fix), detail: typeof e.detail === "string" ? e.detail : null };
      t.done = true;
      break;
    case "done":
      t.done = true;
      break;
    default:
      break; // content_block_start/stop and events this panel does not know
  }
  return t;
}

/** What a turn's gateway calls add up to. */
export function callTotals(calls: TurnCall[]): { calls: number; failed: number; promptTokens: number; completionTokens: number; spend: number } {
  return calls.reduce(
    (t, c) => ({
      calls: t.calls + 1,
      failed: t.failed + (c.status === "success" ? 0 : 1),
      promptTokens: t.promptTokens + c.prompt_tokens,
      completionTokens: t.completionTokens + c.completion_tokens,
      spend: t.spend + c.spend,
    }),
    { calls: 0, failed: 0, promptTokens: 0, completionTokens: 0, spend: 0 },
  );
}

/** The gateway calls among a turn's blocks. */
export function turnCalls(turn: HarnessTurn): TurnCall[] {
  return turn.blocks.flatMap((b) => (b.kind === "call" ? [b.call] : []));
}

/** The answer's text (assistant text blocks). */
export function turnText(turn: HarnessTurn): string {
  return turn.blocks
    .filter((b): b is Extract<Block, { kind: "text" }> => b.kind === "text" && b.role === "assistant")
    .map((b) => b.text)
    .join("\n\n");
}

// ---------- credential providers ----------

/** The alias of a key that replaces `alias`: `k` → `k-2`, `k-2` → `k-3`. */
export function nextKeyAlias(alias: string | null | undefined, fallback = "agentcore-harness-key"): string {
  const a = (alias ?? "").trim() || fallback;
  const m = /^(.*)-(\d+)$/.exec(a);
  return m ? `${m[1]}-${Number(m[2]) + 1}` : `${a}-2`;
}

export type KeySourceChoice =
  | { kind: "paste"; key: string }
  | { kind: "tab"; key: string }
  | { kind: "generate"; teamId: string; keyAlias: string; maxBudget: string }
  | { kind: "secret"; secretId: string; jsonKey: string };

/** The body of `POST /agentcore/providers` (or `/rotate`, without the name). */
export function providerBody(name: string | null, source: KeySourceChoice): ProviderBody {
  const body: ProviderBody = {};
  if (name != null && name.trim()) body.name = name.trim();
  if (source.kind === "generate") {
    const gen: GenerateKeyRequest = {};
    if (source.teamId) gen.team_id = source.teamId;
    if (source.keyAlias.trim()) gen.key_alias = source.keyAlias.trim();
    if (source.maxBudget.trim() !== "") gen.max_budget = Number(source.maxBudget.trim());
    body.generate = Object.keys(gen).length ? gen : true;
  } else if (source.kind === "secret") {
    body.secret = { secret_id: source.secretId.trim(), json_key: source.jsonKey.trim() };
  } else {
    body.key = source.key.trim();
  }
  return body;
}
