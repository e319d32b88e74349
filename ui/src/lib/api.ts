// The gateway's admin API, as the panel uses it. Every call carries the master key; errors are
// ApiError with the gateway's message. The requests and answers of the routes docs/openapi.json
// documents are its generated types (api.gen.ts); the shapes declared here are of the routes it
// does not document yet.

import type {
  AuditPage,
  ChangedKey,
  DailySpend,
  DeleteKeysRequest,
  DeleteModelRequest,
  DeleteTeamsRequest,
  DeletedKeys,
  DeletedTeams,
  GatewayInfo,
  GenerateKeyRequest,
  GeneratedKey,
  GlobalSpend,
  HealthReport,
  KeyInfo,
  KeyList,
  KeyNameRequest,
  KeySpend,
  KeyView,
  LatencyBucket,
  LatencyReport,
  ListedKey,
  TeamPage,
  LogLine,
  Member,
  MemberAddRequest,
  MemberDeleteRequest,
  ModelDeleted,
  ModelGroups,
  ModelPatch,
  ModelSpend,
  ModelView,
  NewModel,
  NewTeamRequest,
  RegenerateKeyRequest,
  SpendLog,
  SpendLogs,
  SpendStats,
  TeamIdRequest,
  TeamRecord,
  TeamSpendReport,
  TeamWithMembers,
  UpdateKeyRequest,
  UpdateTeamRequest,
  UpdatedTeam,
} from "./api.gen";
import { ApiError, apiErrorFrom, networkError } from "./errors";
import { readSSE } from "./sse";

export interface Deployment {
  model_name: string;
  litellm_params: {
    model: string;
    api_base?: string;
    api_key?: string;
    aws_region_name?: string;
    aws_profile_name?: string;
    aws_bedrock_runtime_endpoint?: string;
    [k: string]: unknown;
  };
  model_info: {
    id: string;
    db_model?: boolean;
    litellm_provider?: string;
    mode?: string;
    input_cost_per_token?: number;
    output_cost_per_token?: number;
    [k: string]: unknown;
  };
}

export interface Readiness {
  status: string;
  db?: string;
  litellm_version?: string;
  switchboard_version?: string;
  uptime_seconds?: number;
  models?: number;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** One page of `/key/list`. */
export type KeyPage = { keys: KeyView[]; total: number; pages: number; page: number };

export function queryString(q: Query = {}): string {
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export class Gateway {
  constructor(
    readonly url: string,
    private readonly key: string,
  ) {}

  get masterKey(): string {
    return this.key;
  }

  async request<T>(method: "GET" | "POST", path: string, body?: unknown, opts: { signal?: AbortSignal; key?: string } = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: {
          Authorization: `Bearer ${opts.key ?? this.key}`,
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: opts.signal,
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw networkError(this.url, e);
    }
    const text = await response.text();
    if (!response.ok) throw apiErrorFrom(response.status, text, response.headers.get("retry-after"), path);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }

  get<T>(path: string, q?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path + queryString(q), undefined, { signal });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  // Health and info
  liveliness(): Promise<string> {
    return this.get<string>("/health/liveliness");
  }
  readiness(): Promise<Readiness> {
    return this.get<Readiness>("/health/readiness");
  }
  info(): Promise<GatewayInfo> {
    return this.get<GatewayInfo>("/switchboard/info");
  }
  stats(): Promise<SpendStats> {
    return this.get<SpendStats>("/switchboard/stats");
  }
  health(model: string): Promise<HealthReport> {
    return this.get<HealthReport>("/health", { model });
  }
  logs(limit = 200): Promise<LogLine[]> {
    return this.get<LogLine[]>("/switchboard/logs", { limit });
  }

  // Models
  /** The model names configured (groups and aliases): what keys and teams are granted. */
  async modelNames(): Promise<string[]> {
    const r = await this.get<ModelGroups>("/model_group/info");
    return r.data.map((g) => g.model_group);
  }
  /** What the session's key may call, as `/v1/models` lists it: with what wildcard groups serve. */
  async callableModels(): Promise<string[]> {
    const r = await this.get<{ data: Array<{ id: string }> }>("/v1/models");
    return r.data.map((m) => m.id);
  }
  async modelInfo(): Promise<Deployment[]> {
    const r = await this.get<{ data: Deployment[] }>("/model/info");
    return r.data;
  }
  newModel(body: NewModel): Promise<ModelView> {
    return this.post<ModelView>("/model/new", body);
  }
  /** `model_info.id` names the model. */
  updateModel(body: ModelPatch & { model_info: { id: string } }): Promise<ModelView> {
    return this.post<ModelView>("/model/update", body);
  }
  deleteModel(id: string): Promise<ModelDeleted> {
    return this.post<ModelDeleted>("/model/delete", { id } satisfies DeleteModelRequest);
  }
  /** One real request to an alias: the Test button. */
  testModel(model: string): Promise<{ choices: Array<{ message: { content: string | null } }>; usage?: { total_tokens: number } }> {
    return this.post("/v1/chat/completions", { model, messages: [{ role: "user", content: "Say hello" }], max_tokens: 64 });
  }

  // Teams
  /** Every team, without its keys (`/v2/team/list`, a hundred at a time): what the other pages
   * need of teams (names, models), however many keys the teams hold. */
  async teamList(): Promise<TeamRecord[]> {
    const size = 100;
    const first = await this.get<TeamPage>("/v2/team/list", { page: 1, page_size: size, sort_by: "created_at" });
    const rest = await Promise.all(
      Array.from({ length: Math.max(0, first.total_pages - 1) }, (_, i) =>
        this.get<TeamPage>("/v2/team/list", { page: i + 2, page_size: size, sort_by: "created_at" }),
      ),
    );
    return [first, ...rest].flatMap((p) => p.teams);
  }
  /** A page of teams (without their keys), newest first; `search`: those whose alias holds it. */
  teamPage(q: { page: number; size: number; search?: string }, signal?: AbortSignal): Promise<TeamPage> {
    const search = q.search?.trim();
    return this.get<TeamPage>("/v2/team/list", { page: q.page, page_size: q.size, team_alias: search || undefined }, signal);
  }
  /** How many teams there are. */
  async teamCount(): Promise<number> {
    return (await this.get<TeamPage>("/v2/team/list", { page: 1, page_size: 1 })).total;
  }
  newTeam(body: NewTeamRequest): Promise<TeamRecord> {
    return this.post<TeamRecord>("/team/new", body);
  }
  updateTeam(body: UpdateTeamRequest): Promise<UpdatedTeam> {
    return this.post<UpdatedTeam>("/team/update", body);
  }
  deleteTeams(ids: string[]): Promise<DeletedTeams> {
    return this.post<DeletedTeams>("/team/delete", { team_ids: ids } satisfies DeleteTeamsRequest);
  }
  addMember(teamId: string, member: Member): Promise<TeamWithMembers> {
    return this.post<TeamWithMembers>("/team/member_add", { team_id: teamId, member } satisfies MemberAddRequest);
  }
  removeMember(teamId: string, member: Member): Promise<TeamRecord> {
    return this.post<TeamRecord>("/team/member_delete", {
      team_id: teamId,
      ...(member.user_id ? { user_id: member.user_id } : { user_email: member.user_email }),
    } satisfies MemberDeleteRequest);
  }
  blockTeam(teamId: string, blocked: boolean): Promise<TeamRecord> {
    return this.post<TeamRecord>(blocked ? "/team/block" : "/team/unblock", { team_id: teamId } satisfies TeamIdRequest);
  }

  // Keys
  /** A page of keys, whole, newest first; `search`: those whose alias holds it (any case);
   * `teamId`: that team's. */
  async keyPage(q: { page: number; size: number; search?: string; teamId?: string }, signal?: AbortSignal): Promise<KeyPage> {
    const search = q.search?.trim();
    const r = await this.get<KeyList>(
      "/key/list",
      { return_full_object: true, page: q.page, size: q.size, team_id: q.teamId, ...(search ? { key_alias: search, substring_matching: true } : {}) },
      signal,
    );
    return { keys: r.keys.filter(isKeyView), total: r.total_count, pages: r.total_pages, page: r.current_page };
  }
  /** One key by its hash (`/key/info`). */
  async keyInfo(token: string, signal?: AbortSignal): Promise<KeyView> {
    const r = await this.get<KeyInfo>("/key/info", { key: token }, signal);
    return r.info;
  }
  generateKey(body: GenerateKeyRequest): Promise<GeneratedKey> {
    return this.post<GeneratedKey>("/key/generate", body);
  }
  updateKey(body: UpdateKeyRequest): Promise<ChangedKey> {
    return this.post<ChangedKey>("/key/update", body);
  }
  blockKey(token: string, blocked: boolean): Promise<KeyView> {
    return this.post<KeyView>(blocked ? "/key/block" : "/key/unblock", { key: token } satisfies KeyNameRequest);
  }
  /** A new clear key (`key`) for the same record. */
  regenerateKey(token: string): Promise<ChangedKey> {
    return this.post<ChangedKey>("/key/regenerate", { key: token } satisfies RegenerateKeyRequest);
  }
  deleteKeys(tokens: string[]): Promise<DeletedKeys> {
    return this.post<DeletedKeys>("/key/delete", { keys: tokens } satisfies DeleteKeysRequest);
  }

  // Spend
  /** The rows (the panel never asks for `summarize`, which answers totals per day instead). */
  spendLogs(q: Query = {}): Promise<SpendLog[]> {
    return this.get<Extract<SpendLogs, SpendLog[]>>("/spend/logs", { limit: 200, ...q });
  }
  globalSpend(): Promise<GlobalSpend> {
    return this.get<GlobalSpend>("/global/spend");
  }
  spendByKey(): Promise<KeySpend[]> {
    return this.get<KeySpend[]>("/global/spend/keys", { limit: 1000 });
  }
  spendByTeam(): Promise<TeamSpendReport> {
    return this.get<TeamSpendReport>("/global/spend/teams");
  }
  spendByModel(): Promise<ModelSpend[]> {
    return this.get<ModelSpend[]>("/global/spend/models");
  }
  dailySpend(group: "team" | "key" | "model", days: number): Promise<DailySpend[]> {
    return this.get<DailySpend[]>("/switchboard/spend/daily", { group, days });
  }
  latency(hours: number, bucket: LatencyBucket, model?: string): Promise<LatencyReport> {
    return this.get<LatencyReport>("/switchboard/latency", { hours, bucket, model });
  }

  // Audit log
  /** A page of the audit log, newest first (`page` from 1; filters as `GET /audit` reads them). */
  auditLog(q: Query = {}): Promise<AuditPage> {
    return this.get<AuditPage>("/audit", q);
  }

  /**
   * Follows `/switchboard/requests/stream` (its events are /spend/logs rows) until `signal` aborts. Resolves when the stream ends
   * (the caller reconnects); rejects with ApiError when the gateway refuses it (404: no such route).
   */
  async followRequests(onRow: (row: SpendLog) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.url}/switchboard/requests/stream`, {
        headers: { Authorization: `Bearer ${this.key}`, Accept: "text/event-stream" },
        signal,
      });
    } catch (e) {
      if (signal.aborted) return;
      throw networkError(this.url, e);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => "");
      throw apiErrorFrom(response.status, text, null, "/switchboard/requests/stream");
    }
    onOpen?.();
    try {
      await readSSE(response.body, (event) => {
        if (!event.data || event.data === "[DONE]") return;
        try {
          const row = JSON.parse(event.data) as SpendLog;
          if (row && typeof row === "object" && "request_id" in row) onRow(row);
        } catch {
          // a keep-alive or a frame that is not a row
        }
      });
    } catch (e) {
      if (signal.aborted) return;
      throw e instanceof ApiError ? e : networkError(this.url, e);
    }
  }
}

function isKeyView(k: ListedKey): k is KeyView {
  return typeof k !== "string";
}

/** Whether an error means "this gateway has no such route" (an older gateway, or LiteLLM). */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405);
}
