// The AgentCore admin API (`/agentcore/*`, docs/agentcore.md) as the panel uses it: credential
// providers, harnesses, the doctor, the one-click wiring and the harness playground (both SSE).
// Refusals by the doctor carry its report (an AWS error's `fix` and `detail` are its ApiError's).

import type { Gateway } from "./api";
import { ApiError, apiErrorFrom, awsMessageParts, explainError, networkError } from "./errors";
import { readSSE } from "./sse";

// ---------- shapes ----------

export interface Target {
  region?: string;
  profile?: string;
}

export interface AgentCoreSettings {
  public_url: string | null;
  default_api_base: string | null;
  region: string | null;
  profile: string | null;
  profiles: string[];
  regions: string[];
  models: Array<{ alias: string; model_id: string }>;
  defaults: { credential_provider: string; team_alias: string; key_alias: string };
}

/** The key a provider holds, as far as the gateway knows it (never the key itself). */
export interface KeyRef {
  token: string;
  key_alias: string | null;
  key_name: string;
  team_id: string | null;
  status: "active" | "blocked" | "expired" | "deleted" | string;
}

export interface Provider {
  name: string;
  credential_provider_arn: string;
  created_time: string | null;
  last_updated_time: string | null;
  /** null: the provider holds a key this gateway did not store (created in the console). */
  key: KeyRef | null;
}

export interface ModelView {
  source: "litellm" | "bedrock" | "openai" | "gemini" | "unknown" | string;
  model_id: string;
  alias?: string | null;
  api_key_arn: string | null;
  api_base: string | null;
  max_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
}

export interface Harness {
  harness_id: string;
  harness_name: string;
  arn: string;
  status: string;
  failure_reason: string | null;
  harness_version: string | null;
  execution_role_arn: string | null;
  created_at: string | null;
  updated_at: string | null;
  /** null in lists when the harness's details could not be read. */
  model: ModelView | null;
  system_prompt: string | null;
  max_iterations: number | null;
  max_tokens: number | null;
  timeout_seconds: number | null;
  credential_provider: { name: string | null; credential_provider_arn: string; key: KeyRef | null } | null;
}

export interface Finding {
  check: string;
  severity: "error" | "warning" | string;
  message: string;
  fix: string;
}

export interface DoctorReport {
  ok: boolean;
  errors: number;
  warnings: number;
  findings: Finding[];
  passed: Array<{ check: string; message: string }>;
  subject: {
    harness_id: string | null;
    harness_status: string | null;
    model_id: string | null;
    alias: string | null;
    api_base: string | null;
    credential_provider: string | null;
    credential_provider_arn: string | null;
    key: KeyRef | null;
  };
}

export type StepStatus = "not_started" | "running" | "done" | "failed" | "rolled_back";

export interface WireStep {
  id: string;
  title: string;
  status: StepStatus;
  message: string | null;
  fix: string | null;
  error: { kind: string; code: string; message: string; status: number | null; detail?: string | null } | null;
  detail: unknown;
}

export interface WireResult {
  ok: boolean;
  message: string;
  fix: string | null;
  region: string | null;
  steps: WireStep[];
  team: { team_id: string; team_alias: string | null } | null;
  key: KeyRef | null;
  provider: Provider | null;
  harness: Harness | null;
  doctor: DoctorReport | null;
}

export type WireEvent = { type: "step"; step: WireStep } | { type: "result"; result: WireResult };

/** One harness stream event (`session`, `text`, `tool_use_start`, ..., `error`, `done`). */
export interface InvokeEvent {
  type: string;
  [member: string]: unknown;
}

export interface StoredKey {
  region: string;
  provider: Provider;
  key_generated: boolean;
  previous_key: KeyRef | null;
}

export interface Saved {
  harness: Harness;
  doctor: DoctorReport | null;
}

// ---------- errors ----------

/** An error of the AgentCore API: the gateway's ApiError plus the doctor's report. */
export class AgentCoreError extends ApiError {
  readonly doctor: DoctorReport | null;

  constructor(base: ApiError, doctor: DoctorReport | null) {
    super(base);
    this.name = "AgentCoreError";
    this.doctor = doctor;
  }

  /** The doctor refused to save; `force` would save anyway. */
  get refusedByDoctor(): boolean {
    return this.type === "doctor_findings" && this.doctor != null;
  }

  /** Whether the API says `"force": true` would go on. */
  get forceOffered(): boolean {
    return this.refusedByDoctor && /force/i.test(this.message);
  }
}

export function agentCoreErrorFrom(status: number, text: string, retryAfter: string | null, path: string): AgentCoreError {
  const base = apiErrorFrom(status, text, retryAfter, path);
  let doctor: DoctorReport | null = null;
  try {
    const json = JSON.parse(text) as { doctor?: DoctorReport };
    if (json && json.doctor && Array.isArray(json.doctor.findings)) doctor = json.doctor;
  } catch {
    // not JSON: the message is the text
  }
  return new AgentCoreError(base, doctor);
}

const AWS_TITLES: Record<string, string> = {
  aws_validation_error: "AgentCore refused the request as invalid.",
  aws_access_denied: "AWS denied access.",
  aws_not_found: "Not found in AgentCore.",
  aws_conflict: "It already exists in AgentCore.",
  aws_throttling: "AgentCore is throttling requests.",
  aws_quota_exceeded: "An AgentCore quota is reached.",
  aws_credentials_error: "The gateway has no usable AWS credentials.",
  aws_connection_error: "AgentCore could not be reached.",
  aws_timeout: "AgentCore did not answer in time.",
  aws_service_error: "AgentCore failed.",
  aws_configuration_error: "The AWS region or profile is not usable.",
  doctor_findings: "The doctor found problems: nothing was saved.",
  invalid_request_error: "Checked before sending: nothing was sent to AWS.",
};

export interface AwsExplanation {
  title: string;
  /** The service's (or the gateway's) own words, short. */
  message: string;
  /** What to do. */
  fix: string;
  code: string | null;
  /** The raw text behind the message (the SDK's error chain), for a "Details" toggle. */
  detail: string | null;
}

/** Title, the service's message and what to do, for any error of the AgentCore API. */
export function explainAgentCoreError(e: unknown): AwsExplanation {
  if (e instanceof ApiError && (AWS_TITLES[e.type] || e.type.startsWith("aws_"))) {
    const { summary, detail } = awsMessageParts(e.message, e.detail);
    return {
      title: AWS_TITLES[e.type] ?? "AgentCore failed.",
      message: summary,
      fix: e.fix ?? "",
      code: e.status ? `${e.status} ${e.type}` : e.type,
      detail,
    };
  }
  const { title, hint } = explainError(e, { admin: true });
  const raw = e instanceof ApiError ? e.message : "";
  return {
    title,
    message: raw && raw !== title ? raw : "",
    fix: (e instanceof ApiError && e.fix) || hint,
    code: e instanceof ApiError && e.status ? `${e.status}${e.type ? ` ${e.type}` : ""}` : null,
    detail: e instanceof ApiError ? e.detail : null,
  };
}

// ---------- the client ----------

type Method = "GET" | "POST" | "PATCH" | "DELETE";

function query(target: Target): string {
  const parts = Object.entries(target)
    .filter(([, v]) => typeof v === "string" && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

function withTarget(body: Record<string, unknown>, target: Target): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if (target.region) out.region = target.region;
  if (target.profile) out.profile = target.profile;
  return out;
}

export class AgentCoreApi {
  constructor(
    readonly gw: Gateway,
    readonly target: Target = {},
  ) {}

  private async send<T>(method: Method, path: string, body?: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const url = method === "GET" || method === "DELETE" ? path + query(this.target) : path;
    let response: Response;
    try {
      response = await fetch(this.gw.url + url, {
        method,
        headers: {
          Authorization: `Bearer ${this.gw.masterKey}`,
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(withTarget(body, this.target)) : undefined,
        signal,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw networkError(this.gw.url, e);
    }
    const text = await response.text();
    if (!response.ok) throw agentCoreErrorFrom(response.status, text, response.headers.get("retry-after"), path);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A POST answered with server-sent events; errors before the stream starts are thrown. */
  private async stream(path: string, body: Record<string, unknown>, onData: (value: unknown) => void, signal?: AbortSignal): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.gw.url + path, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${this.gw.masterKey}`,
          "Content-Type": "application/json",
          Accept: "text/event-stream",
        },
        body: JSON.stringify(withTarget(body, this.target)),
        signal,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw networkError(this.gw.url, e);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => "");
      throw agentCoreErrorFrom(response.status, text, response.headers.get("retry-after"), path);
    }
    await readSSE(response.body, (event) => {
      if (!event.data || event.data === "[DONE]") return;
      try {
        onData(JSON.parse(event.data));
      } catch {
        // a frame that is not JSON
      }
    });
  }

  settings(): Promise<AgentCoreSettings> {
    return this.send("GET", "/agentcore/settings");
  }

  providers(): Promise<{ region: string; providers: Provider[] }> {
    return this.send("GET", "/agentcore/providers");
  }
  createProvider(body: ProviderBody | Record<string, unknown>): Promise<StoredKey> {
    return this.send("POST", "/agentcore/providers", body as Record<string, unknown>);
  }
  rotateProvider(name: string, body: ProviderBody | Record<string, unknown>): Promise<StoredKey> {
    return this.send("POST", `/agentcore/providers/${encodeURIComponent(name)}/rotate`, body as Record<string, unknown>);
  }
  deleteProvider(name: string): Promise<{ deleted: string; region: string }> {
    return this.send("DELETE", `/agentcore/providers/${encodeURIComponent(name)}`);
  }

  harnesses(): Promise<{ region: string; harnesses: Harness[] }> {
    return this.send("GET", "/agentcore/harnesses");
  }
  harness(id: string): Promise<Harness> {
    return this.send("GET", `/agentcore/harnesses/${encodeURIComponent(id)}`);
  }
  createHarness(body: Record<string, unknown>): Promise<Saved> {
    return this.send("POST", "/agentcore/harnesses", body);
  }
  updateHarness(id: string, body: Record<string, unknown>): Promise<Saved> {
    return this.send("PATCH", `/agentcore/harnesses/${encodeURIComponent(id)}`, body);
  }
  deleteHarness(id: string): Promise<{ deleted: string; region: string }> {
    return this.send("DELETE", `/agentcore/harnesses/${encodeURIComponent(id)}`);
  }

  doctor(body: Record<string, unknown>): Promise<DoctorReport> {
    return this.send("POST", "/agentcore/doctor", body);
  }

  /** The one-click wiring, step by step as it happens; resolves with the final result. */
  async wire(body: Record<string, unknown>, onEvent: (e: WireEvent) => void, signal?: AbortSignal): Promise<WireResult | null> {
    let result: WireResult | null = null;
    await this.stream(
      "/agentcore/wire?stream=true",
      body,
      (v) => {
        const e = v as WireEvent;
        if (e?.type === "step" || e?.type === "result") {
          if (e.type === "result") result = e.result;
          onEvent(e);
        }
      },
      signal,
    );
    return result;
  }

  /** One turn of the harness playground: the harness's events as they arrive. */
  invoke(harnessId: string, body: { message: string; session_id?: string }, onEvent: (e: InvokeEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.stream(
      `/agentcore/harnesses/${encodeURIComponent(harnessId)}/invoke`,
      body as unknown as Record<string, unknown>,
      (v) => {
        if (v && typeof v === "object" && typeof (v as InvokeEvent).type === "string") onEvent(v as InvokeEvent);
      },
      signal,
    );
  }
}

/** `POST /agentcore/providers` and `/rotate`: a key in clear, or a key generated for a team. */
export type ProviderBody =
  | { name?: string; key: string }
  | { name?: string; generate: true | { team_id?: string; key_alias?: string; [field: string]: unknown } };
