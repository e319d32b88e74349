// Form state → request bodies for models, teams and keys, with validation. Pure functions so
// they are tested without a browser.

import type { Deployment } from "./api";
import type { GenerateKeyRequest, KeyView, LimitFields, Limits, NewModel, NewTeamRequest, TeamRecord, UpdateTeamRequest } from "./api.gen";
import {
  type Errors,
  numberOrUndefined,
  validateAlias,
  validateDuration,
  validateName,
  validateNumber,
  validateUrl,
} from "./validate";

// ---------- models ----------

export const PROVIDERS: Array<{ id: string; label: string; kind: "bedrock" | "openai" }> = [
  { id: "bedrock", label: "Amazon Bedrock", kind: "bedrock" },
  { id: "openai", label: "OpenAI / OpenAI-compatible", kind: "openai" },
  { id: "hosted_vllm", label: "vLLM (hosted_vllm)", kind: "openai" },
  { id: "openai_like", label: "OpenAI-like (openai_like)", kind: "openai" },
  { id: "lm_studio", label: "LM Studio", kind: "openai" },
  { id: "litellm_proxy", label: "Another LiteLLM proxy", kind: "openai" },
  { id: "groq", label: "Groq", kind: "openai" },
  { id: "deepseek", label: "DeepSeek", kind: "openai" },
  { id: "mistral", label: "Mistral", kind: "openai" },
  { id: "together_ai", label: "Together AI", kind: "openai" },
  { id: "fireworks_ai", label: "Fireworks AI", kind: "openai" },
  { id: "openrouter", label: "OpenRouter", kind: "openai" },
  { id: "xai", label: "xAI", kind: "openai" },
];

export function providerKind(provider: string): "bedrock" | "openai" {
  return PROVIDERS.find((p) => p.id === provider)?.kind ?? "openai";
}

export interface ModelForm {
  alias: string;
  provider: string;
  modelId: string;
  region: string;
  profile: string;
  endpoint: string;
  apiBase: string;
  /** Empty on edit = keep the stored key. */
  apiKey: string;
  /** USD per 1M tokens; empty = the price map's. */
  inputCost: string;
  outputCost: string;
}

export function emptyModelForm(): ModelForm {
  return {
    alias: "",
    provider: "bedrock",
    modelId: "",
    region: "us-east-1",
    profile: "",
    endpoint: "",
    apiBase: "",
    apiKey: "",
    inputCost: "",
    outputCost: "",
  };
}

/** Splits "bedrock/us.anthropic..." into provider and id; bedrock/converse/ and bedrock/invoke/ stay bedrock. */
/** The AgentCore agent a `bedrock/agentcore/<ARN>` model serves (LiteLLM's route), else null. */
export function agentCoreAgent(model: string): { kind: "harness" | "runtime"; name: string; region: string } | null {
  const m = /^bedrock\/agentcore\/arn:aws[a-z-]*:bedrock-agentcore:([a-z0-9-]+):\d{12}:(harness|runtime)\/([^/]+)$/.exec(model);
  return m ? { region: m[1], kind: m[2] as "harness" | "runtime", name: m[3] } : null;
}

export function splitModel(model: string): { provider: string; id: string } {
  const slash = model.indexOf("/");
  if (slash === -1) return { provider: "", id: model };
  const provider = model.slice(0, slash);
  return { provider, id: model.slice(slash + 1) };
}

export function modelFormOf(d: Deployment): ModelForm {
  const { provider, id } = splitModel(d.litellm_params.model);
  const p = d.litellm_params;
  const perMillion = (v: unknown) => (typeof v === "number" ? String(+(v * 1_000_000).toPrecision(6)) : "");
  return {
    alias: d.model_name,
    provider: provider || "openai",
    modelId: id,
    region: p.aws_region_name ?? "",
    profile: p.aws_profile_name ?? "",
    endpoint: p.aws_bedrock_runtime_endpoint ?? "",
    apiBase: p.api_base ?? "",
    apiKey: "",
    inputCost: perMillion(p.input_cost_per_token ?? d.model_info.input_cost_per_token),
    outputCost: perMillion(p.output_cost_per_token ?? d.model_info.output_cost_per_token),
  };
}

const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

export function validateModelForm(f: ModelForm, opts: { editing?: boolean } = {}): Errors<ModelForm> {
  const e: Errors<ModelForm> = {};
  e.alias = validateAlias(f.alias) ?? undefined;
  const id = f.modelId.trim();
  if (!id) e.modelId = providerKind(f.provider) === "bedrock" ? "Model id or inference profile is required" : "Model is required";
  else if (/\s/.test(id)) e.modelId = "The model id may not contain spaces";
  else if (id.startsWith(`${f.provider}/`)) e.modelId = `Leave out the “${f.provider}/” prefix: it is added from the provider`;
  if (providerKind(f.provider) === "bedrock") {
    if (f.region.trim() && !REGION_RE.test(f.region.trim())) e.region = `“${f.region.trim()}” is not an AWS region (e.g. us-east-1)`;
    if (/\s/.test(f.profile.trim())) e.profile = "A profile name has no spaces";
    if (f.endpoint.trim()) e.endpoint = validateUrl(f.endpoint, "Endpoint") ?? undefined;
  } else {
    if (f.apiBase.trim()) e.apiBase = validateUrl(f.apiBase, "Base URL") ?? undefined;
    else if (f.provider !== "openai" && !["groq", "deepseek", "mistral", "together_ai", "fireworks_ai", "openrouter", "xai"].includes(f.provider)) {
      e.apiBase = "Base URL is required for this provider (e.g. http://127.0.0.1:8000/v1)";
    }
  }
  e.inputCost = validateNumber(f.inputCost, { label: "Input cost" }) ?? undefined;
  e.outputCost = validateNumber(f.outputCost, { label: "Output cost" }) ?? undefined;
  void opts;
  return e;
}

/** The /model/new body of a form (with the model's `model_info.id`, its /model/update body). */
export function modelPayload(f: ModelForm, opts: { editing?: boolean } = {}): NewModel {
  const params: Record<string, unknown> = { model: `${f.provider}/${f.modelId.trim()}` };
  const set = (k: string, v: string) => {
    const t = v.trim();
    if (t) params[k] = t;
    else if (opts.editing) params[k] = null;
  };
  if (providerKind(f.provider) === "bedrock") {
    set("aws_region_name", f.region);
    set("aws_profile_name", f.profile);
    set("aws_bedrock_runtime_endpoint", f.endpoint);
  } else {
    set("api_base", f.apiBase);
    if (f.apiKey.trim()) params.api_key = f.apiKey.trim();
  }
  const cost = (v: string) => {
    const n = numberOrUndefined(v);
    return n === undefined ? undefined : n / 1_000_000;
  };
  const inCost = cost(f.inputCost);
  const outCost = cost(f.outputCost);
  if (inCost !== undefined) params.input_cost_per_token = inCost;
  if (outCost !== undefined) params.output_cost_per_token = outCost;
  return { model_name: f.alias.trim(), litellm_params: params };
}

export interface AliasGroup {
  alias: string;
  deployments: Deployment[];
}

/** Deployments grouped by alias, aliases sorted. */
export function groupByAlias(rows: Deployment[]): AliasGroup[] {
  const map = new Map<string, Deployment[]>();
  for (const d of rows) {
    const list = map.get(d.model_name) ?? [];
    list.push(d);
    map.set(d.model_name, list);
  }
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([alias, deployments]) => ({ alias, deployments }));
}

/** Where a deployment is served from, for display: region, endpoint or base URL. */
export function deploymentWhere(d: Deployment): string {
  const p = d.litellm_params;
  const agent = agentCoreAgent(p.model);
  if (agent) return agent.region;
  if (providerKind(splitModel(p.model).provider) === "bedrock") {
    return [p.aws_region_name, p.aws_profile_name ? `profile ${p.aws_profile_name}` : null].filter(Boolean).join(" · ") || "default region";
  }
  return p.api_base ?? "provider default";
}

// ---------- limits shared by teams and keys ----------

export interface LimitsForm {
  maxBudget: string;
  budgetDuration: string;
  tpm: string;
  rpm: string;
  parallel: string;
}

export function emptyLimits(): LimitsForm {
  return { maxBudget: "", budgetDuration: "", tpm: "", rpm: "", parallel: "" };
}

export function limitsFormOf(r: Limits): LimitsForm {
  const s = (v: number | null | undefined) => (v == null ? "" : String(v));
  return {
    maxBudget: s(r.max_budget),
    budgetDuration: r.budget_duration ?? "",
    tpm: s(r.tpm_limit),
    rpm: s(r.rpm_limit),
    parallel: s(r.max_parallel_requests),
  };
}

export function validateLimits(f: LimitsForm): Errors<LimitsForm> {
  return {
    maxBudget: validateNumber(f.maxBudget, { label: "Max budget" }) ?? undefined,
    budgetDuration: validateDuration(f.budgetDuration, { allowNamed: true }) ?? undefined,
    tpm: validateNumber(f.tpm, { integer: true, label: "TPM limit" }) ?? undefined,
    rpm: validateNumber(f.rpm, { integer: true, label: "RPM limit" }) ?? undefined,
    parallel: validateNumber(f.parallel, { integer: true, label: "Parallel requests" }) ?? undefined,
  };
}

/** Limits as body fields; on edit an emptied field is sent as null (clears it). */
export function limitsPayload(f: LimitsForm, editing = false): LimitFields {
  const out: LimitFields = {};
  const put = <K extends keyof LimitFields>(k: K, v: LimitFields[K] | undefined) => {
    if (v !== undefined) out[k] = v;
    else if (editing) out[k] = null;
  };
  put("max_budget", numberOrUndefined(f.maxBudget));
  put("budget_duration", f.budgetDuration.trim() || undefined);
  put("tpm_limit", numberOrUndefined(f.tpm));
  put("rpm_limit", numberOrUndefined(f.rpm));
  put("max_parallel_requests", numberOrUndefined(f.parallel));
  return out;
}

// ---------- teams ----------

export interface TeamForm extends LimitsForm {
  alias: string;
  models: string[];
}

export function emptyTeamForm(): TeamForm {
  return { alias: "", models: [], ...emptyLimits() };
}

export function teamFormOf(t: TeamRecord): TeamForm {
  return { alias: t.team_alias ?? "", models: [...(t.models ?? [])], ...limitsFormOf(t) };
}

export function validateTeamForm(f: TeamForm, existing: TeamRecord[] = [], editingId?: string): Errors<TeamForm> {
  const e: Errors<TeamForm> = { ...validateLimits(f) };
  e.alias = validateName(f.alias, "Team name", { required: true }) ?? undefined;
  if (!e.alias && existing.some((t) => t.team_alias === f.alias.trim() && t.team_id !== editingId)) {
    e.alias = `A team named “${f.alias.trim()}” already exists`;
  }
  return e;
}

/** The /team/new body of a form. */
export function teamPayload(f: TeamForm): NewTeamRequest {
  return { team_alias: f.alias.trim(), models: f.models, ...limitsPayload(f) };
}

/** The /team/update body of a form: emptied limits are sent as null (cleared). */
export function teamUpdatePayload(f: TeamForm, teamId: string): UpdateTeamRequest {
  return { team_id: teamId, team_alias: f.alias.trim(), models: f.models, ...limitsPayload(f, true) };
}

// ---------- keys ----------

export interface KeyForm extends LimitsForm {
  alias: string;
  teamId: string;
  models: string[];
  duration: string;
}

export function emptyKeyForm(): KeyForm {
  return { alias: "", teamId: "", models: [], duration: "", ...emptyLimits() };
}

export function validateKeyForm(f: KeyForm, existing: KeyView[] = []): Errors<KeyForm> {
  const e: Errors<KeyForm> = { ...validateLimits(f) };
  e.alias = validateName(f.alias, "Key name") ?? undefined;
  if (!e.alias && f.alias.trim() && existing.some((k) => k.key_alias === f.alias.trim())) {
    e.alias = `A key named “${f.alias.trim()}” already exists`;
  }
  e.duration = validateDuration(f.duration) ?? undefined;
  return e;
}

/** The /key/generate body of a form. */
export function keyPayload(f: KeyForm): GenerateKeyRequest {
  const out: GenerateKeyRequest = { ...limitsPayload(f) };
  if (f.alias.trim()) out.key_alias = f.alias.trim();
  if (f.teamId) out.team_id = f.teamId;
  if (f.models.length) out.models = f.models;
  if (f.duration.trim()) out.duration = f.duration.trim();
  return out;
}

/** Models a key of `team` may be limited to: the team's list, or every alias when it allows all. */
export function modelsForTeam(team: TeamRecord | undefined, aliases: string[]): string[] {
  const models = team?.models ?? [];
  if (models.length === 0 || models.some((m) => m === "*" || m === "all-proxy-models")) return aliases;
  return models;
}
