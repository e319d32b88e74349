// The AgentCore admin API (`/agentcore/*`, docs/agentcore.md) as the panel uses it: credential
// providers, harnesses, the doctor, the one-click wiring and the harness playground (both SSE).
// Refusals by the doctor carry its report (an AWS error's `fix` and `detail` are its ApiError's).

import type { Gateway } from "./api";
import type {
  Deleted,
  DoctorBody,
  ErrorResponse,
  HarnessBody,
  HarnessList,
  HarnessView,
  InvokeBody,
  ProviderBody,
  ProviderList,
  Report,
  EndpointBody,
  EndpointChangeBody,
  EndpointList,
  EndpointView,
  Saved,
  SessionList,
  SessionView,
  Settings,
  Step,
  StoredKey,
  Target,
  VersionDiff,
  VersionList,
  WireBody,
  WireResult,
} from "./api.gen";
import { ApiError, apiErrorFrom, awsMessageParts, explainError, networkError } from "./errors";
import { readSSE } from "./sse";

// ---------- shapes ----------
// The requests and answers are the generated types of docs/openapi.json (api.gen.ts); declared
// here are only the events of the two streams, which the document does not describe.

/** An event of `POST /agentcore/wire?stream=true`: each step as it changes, then the result. */
export type WireEvent = { type: "step"; step: Step } | { type: "result"; result: WireResult };

/** One harness stream event (`session`, `text`, `tool_use_start`, ..., `error`, `done`). */
export interface InvokeEvent {
  type: string;
  [member: string]: unknown;
}

// ---------- errors ----------

/** An error of the AgentCore API: the gateway's ApiError plus the doctor's report. */
export class AgentCoreError extends ApiError {
  readonly doctor: Report | null;

  constructor(base: ApiError, doctor: Report | null) {
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

/**
 * A harness save the doctor refused (400, `doctor_findings`): LiteLLM's error body with the
 * doctor's report beside it. docs/openapi.json's ErrorResponse does not list `doctor`.
 */
type DoctorRefusal = ErrorResponse & { doctor?: Report };

export function agentCoreErrorFrom(status: number, text: string, retryAfter: string | null, path: string): AgentCoreError {
  const base = apiErrorFrom(status, text, retryAfter, path);
  let doctor: Report | null = null;
  try {
    const json = JSON.parse(text) as DoctorRefusal;
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
    // The gateway names the service first ("Secrets Manager GetSecretValue failed: …").
    const service = e.message.startsWith("Secrets Manager") ? "Secrets Manager" : "AgentCore";
    return {
      title: (AWS_TITLES[e.type] ?? "AgentCore failed.").replace("AgentCore", service),
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
  const parts: string[] = [];
  for (const [k, v] of [
    ["region", target.region],
    ["profile", target.profile],
  ] as const) {
    if (v) parts.push(`${k}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/** The body with the page's region and profile (a body's own are replaced by the page's). */
function withTarget<B extends Target>(body: B, target: Target): B {
  const out: B = { ...body };
  if (target.region) out.region = target.region;
  if (target.profile) out.profile = target.profile;
  return out;
}

export class AgentCoreApi {
  constructor(
    readonly gw: Gateway,
    readonly target: Target = {},
  ) {}

  private async send<T>(method: Method, path: string, body?: Target, signal?: AbortSignal): Promise<T> {
    // The target goes in the query of reads and deletes, after the path's own parameters.
    const target = query(this.target);
    const url = method === "GET" || method === "DELETE" ? path + (path.includes("?") ? target.replace("?", "&") : target) : path;
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
  private async stream(path: string, body: Target, onData: (value: unknown) => void, signal?: AbortSignal): Promise<void> {
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

  settings(): Promise<Settings> {
    return this.send<Settings>("GET", "/agentcore/settings");
  }

  providers(): Promise<ProviderList> {
    return this.send<ProviderList>("GET", "/agentcore/providers");
  }
  createProvider(body: ProviderBody): Promise<StoredKey> {
    return this.send<StoredKey>("POST", "/agentcore/providers", body);
  }
  rotateProvider(name: string, body: ProviderBody): Promise<StoredKey> {
    return this.send<StoredKey>("POST", `/agentcore/providers/${encodeURIComponent(name)}/rotate`, body);
  }
  deleteProvider(name: string): Promise<Deleted> {
    return this.send<Deleted>("DELETE", `/agentcore/providers/${encodeURIComponent(name)}`);
  }

  harnesses(): Promise<HarnessList> {
    return this.send<HarnessList>("GET", "/agentcore/harnesses");
  }
  harness(id: string): Promise<HarnessView> {
    return this.send<HarnessView>("GET", `/agentcore/harnesses/${encodeURIComponent(id)}`);
  }
  createHarness(body: HarnessBody): Promise<Saved> {
    return this.send<Saved>("POST", "/agentcore/harnesses", body);
  }
  updateHarness(id: string, body: HarnessBody): Promise<Saved> {
    return this.send<Saved>("PATCH", `/agentcore/harnesses/${encodeURIComponent(id)}`, body);
  }
  /** The harness's sessions played through this gateway, newest first, with their totals. */
  sessions(id: string): Promise<SessionList> {
    return this.send<SessionList>("GET", `/agentcore/harnesses/${encodeURIComponent(id)}/sessions`);
  }
  /** One session, turn by turn, each with the gateway calls the harness made for it. */
  session(id: string, sessionId: string): Promise<SessionView> {
    return this.send<SessionView>("GET", `/agentcore/harnesses/${encodeURIComponent(id)}/sessions/${encodeURIComponent(sessionId)}`);
  }
  /** The harness's versions, newest first. */
  versions(id: string): Promise<VersionList> {
    return this.send<VersionList>("GET", `/agentcore/harnesses/${encodeURIComponent(id)}/versions`);
  }
  /** What changed from one version to another. */
  versionDiff(id: string, from: string, to: string): Promise<VersionDiff> {
    const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    return this.send<VersionDiff>("GET", `/agentcore/harnesses/${encodeURIComponent(id)}/versions/diff?${q}`);
  }
  endpoints(id: string): Promise<EndpointList> {
    return this.send<EndpointList>("GET", `/agentcore/harnesses/${encodeURIComponent(id)}/endpoints`);
  }
  createEndpoint(id: string, body: EndpointBody): Promise<EndpointView> {
    return this.send<EndpointView>("POST", `/agentcore/harnesses/${encodeURIComponent(id)}/endpoints`, body);
  }
  updateEndpoint(id: string, name: string, body: EndpointChangeBody): Promise<EndpointView> {
    return this.send<EndpointView>("PATCH", `/agentcore/harnesses/${encodeURIComponent(id)}/endpoints/${encodeURIComponent(name)}`, body);
  }
  deleteEndpoint(id: string, name: string): Promise<Deleted> {
    return this.send<Deleted>("DELETE", `/agentcore/harnesses/${encodeURIComponent(id)}/endpoints/${encodeURIComponent(name)}`);
  }
  deleteHarness(id: string): Promise<Deleted> {
    return this.send<Deleted>("DELETE", `/agentcore/harnesses/${encodeURIComponent(id)}`);
  }

  doctor(body: DoctorBody): Promise<Report> {
    return this.send<Report>("POST", "/agentcore/doctor", body);
  }

  /** The one-click wiring, step by step as it happens; resolves with the final result. */
  async wire(body: WireBody, onEvent: (e: WireEvent) => void, signal?: AbortSignal): Promise<WireResult | null> {
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
  invoke(harnessId: string, body: InvokeBody, onEvent: (e: InvokeEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.stream(
      `/agentcore/harnesses/${encodeURIComponent(harnessId)}/invoke`,
      body,
      (v) => {
        if (v && typeof v === "object" && typeof (v as InvokeEvent).type === "string") onEvent(v as InvokeEvent);
      },
      signal,
    );
  }
}
