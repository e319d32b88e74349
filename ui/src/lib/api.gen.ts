// Generated from docs/openapi.json by proxy/tests/openapi.rs (`make api-types`): do not edit.
// The admin API's request and response types, as the gateway's Rust types declare them.

/** A changed key: `key` is its hash (`/key/update`) or its new clear value (`/key/regenerate`). */
export type ChangedKey = KeyView & {
  key: string;
};

/** `/user/new`'s answer, as LiteLLM gives it: the user's record merged with its new key's (when `auto_create_key` is not false), `key` being the clear key, shown this once. (Describes the answer, which is built by merging the two records.) */
export type CreatedUser = UserRecord & {
  expires?: string | null;
  key?: string | null;
  key_alias?: string | null;
  key_name?: string | null;
  status?: null | KeyStatus;
  token_id?: string | null;
};

export type DaySpend = {
  date?: string | null;
  requests: number;
  total_spend: number;
};

export type DaySummary = {
  /** Spend per model group that day. */
  models: Record<string, number>;
  spend: number;
  /** The day, `YYYY-MM-DD`. */
  startTime: string;
};

/** `/key/delete`. */
export type DeleteKeysRequest = {
  key_aliases?: string[];
  /** Clear keys or hashes. */
  keys?: string[];
};

/** `/model/delete`. */
export type DeleteModelRequest = {
  /** `model_info.id` of a model added through `/model/new`. */
  id: string;
};

/** `/team/delete`. */
export type DeleteTeamsRequest = {
  team_ids: string[];
};

/** `/user/delete`. */
export type DeleteUsersRequest = {
  user_ids: string[];
};

export type DeletedKeys = {
  deleted_keys: string[];
};

export type DeletedTeams = {
  /** How many keys of theirs went with them. */
  deleted_keys: number;
  deleted_teams: string[];
};

export type DeletedUsers = {
  /** How many keys of theirs went with them. */
  deleted_keys: number;
  deleted_users: string[];
};

export type ErrorDetail = {
  /** The HTTP status, as a string. */
  code: string;
  /** The SDK's account of an AWS failure (shown behind a toggle). */
  detail?: string | null;
  /** What to do about it (AWS errors). */
  fix?: string | null;
  message: string;
  /** The field at fault, when one is. */
  param?: string | null;
  /** LiteLLM's error type: `auth_error`, `invalid_request_error`, `not_found_error`, ... */
  type: string;
};

/** LiteLLM's error body. */
export type ErrorResponse = {
  error: ErrorDetail;
  /** A refused deploy form: its field errors and warnings. */
  validation?: Record<string, unknown> | null;
};

/** `/key/generate`. */
export type GenerateKeyRequest = LimitFields & {
  aliases?: Record<string, unknown> | null;
  blocked?: boolean | null;
  /** How long the key lives (`30d`, ...; `-1` or absent: forever). */
  duration?: string | null;
  /** The clear key to use (`sk-...`, 16 characters at least); made when absent. */
  key?: string | null;
  /** Unique across keys. */
  key_alias?: string | null;
  metadata?: Record<string, unknown> | null;
  /** Model groups the key may call (empty: all its team and user may). */
  models?: string[] | null;
  /** Spend to start from (USD). */
  spend?: number | null;
  tags?: string[] | null;
  team_id?: string | null;
  /** A user made on first mention. */
  user_id?: string | null;
};

/** `/key/generate`'s answer: the key, with its clear value (shown this once). */
export type GeneratedKey = KeyView & {
  /** The `duration` the key was asked with. */
  duration?: string | null;
  /** The clear key (`sk-...`): shown once, never stored. */
  key: string;
  /** Always null (LiteLLM's budget table is not used). */
  litellm_budget_table?: Record<string, unknown> | null;
};

export type GlobalSpend = {
  /** Always null: the gateway has no global budget. */
  max_budget?: number | null;
  spend: number;
};

/** `/key/info`'s answer: the key by its hash (a clear key is shown once, at creation). */
export type KeyInfo = {
  info: KeyView;
  key: string;
};

export type KeyList = {
  current_page: number;
  keys: ListedKey[];
  total_count: number;
  total_pages: number;
};

/** `/key/block`, `/key/unblock`: the key by `key` (clear or hash) or `key_alias`. */
export type KeyNameRequest = {
  key?: string | null;
  key_alias?: string | null;
};

export type KeyRecord = Limits & {
  aliases?: Record<string, unknown>;
  blocked?: boolean;
  created_at: string;
  created_by?: string | null;
  /** ISO 8601; `None` never expires. */
  expires?: string | null;
  key_alias?: string | null;
  /** `sk-...` plus the last 4 characters, for display. */
  key_name: string;
  last_active?: string | null;
  metadata?: Record<string, unknown>;
  models?: string[];
  spend?: number;
  tags?: string[];
  team_id?: string | null;
  /** SHA-256 hex of the key: its id. The clear key is never stored. (`/key/info` answers it as `key` and leaves it out here.) */
  token?: string;
  updated_at: string;
  user_id?: string | null;
};

export type KeySpend = {
  /** The key's hash. */
  api_key?: string | null;
  key_alias?: string | null;
  requests: number;
  total_spend: number;
  total_tokens: number;
};

export type KeyStatus = "active" | "blocked" | "expired";

/** A key as the admin API shows it: the record (live spend, next reset) and its status. */
export type KeyView = KeyRecord & {
  status: KeyStatus;
  /** The key's hash (LiteLLM's name for it in lists). */
  token_id: string;
};

/** Budget and rate limits a key, team or user may be given. */
export type LimitFields = {
  /** `30s`, `1h`, `7d`, `1mo`, ...: how often `spend` goes back to zero. */
  budget_duration?: string | null;
  /** USD; requests are refused once `spend` reaches it. */
  max_budget?: number | null;
  max_parallel_requests?: number | null;
  rpm_limit?: number | null;
  /** USD; below `max_budget`: crossing it only warns. */
  soft_budget?: number | null;
  tpm_limit?: number | null;
};

/** Budget and rate limits, shared by keys, teams and users. */
export type Limits = {
  /** `30s`, `1h`, `7d`, `1mo`, ... : how often `spend` goes back to zero. */
  budget_duration?: string | null;
  /** When `spend` next goes back to zero (ISO 8601). */
  budget_reset_at?: string | null;
  max_budget?: number | null;
  max_parallel_requests?: number | null;
  rpm_limit?: number | null;
  soft_budget?: number | null;
  tpm_limit?: number | null;
};

/** A key in `/key/list`: its hash, or the whole key with `return_full_object=true`. */
export type ListedKey = string | KeyView;

/** A team in `/team/list`, with its keys and memberships. */
export type ListedTeam = TeamRecord & {
  keys: KeyView[];
  team_memberships: Membership[];
};

export type Member = {
  role: string;
  user_email?: string | null;
  user_id?: string | null;
};

/** `/team/member_add`: one member or several. */
export type MemberAddRequest = {
  member: Members;
  team_id: string;
};

/** `/team/member_delete`: the member by `user_id` or `user_email`. */
export type MemberDeleteRequest = {
  team_id: string;
  user_email?: string | null;
  user_id?: string | null;
};

export type Members = Member | Member[];

/** A member of a team, by user id. */
export type Membership = {
  team_id: string;
  user_id: string;
};

export type ModelDeleted = {
  message: string;
};

/** `/model/update`'s body: `model_info.id` names the model; members sent replace the stored ones (`null` removes one, a masked secret keeps it). */
export type ModelPatch = {
  litellm_params?: Record<string, unknown> | null;
  model_info: Record<string, unknown>;
  model_name?: string | null;
};

export type ModelSpend = {
  model?: string | null;
  requests: number;
  total_spend: number;
  total_tokens: number;
};

/** A stored model as the API returns it: secrets in `litellm_params` masked. */
export type ModelView = {
  created_at: string;
  /** Always true: stored in the database (config.yaml's models are not served here). */
  db_model: boolean;
  litellm_params: Record<string, unknown>;
  model_id: string;
  model_info: Record<string, unknown>;
  model_name: string;
  updated_at: string;
};

/** `/model/new`'s body, as in config.yaml's `model_list`. */
export type NewModel = {
  /** `model` (`bedrock/...`, `openai/...`), `api_base`, `api_key`, ... */
  litellm_params: Record<string, unknown>;
  /** `id` (made when absent), and anything else to keep with the model. */
  model_info?: Record<string, unknown>;
  model_name: string;
};

/** `/team/new`. */
export type NewTeamRequest = LimitFields & {
  blocked?: boolean | null;
  members_with_roles?: Member[] | null;
  metadata?: Record<string, unknown> | null;
  model_aliases?: Record<string, unknown> | null;
  models?: string[] | null;
  tags?: string[] | null;
  team_alias?: string | null;
  /** Made when absent. */
  team_id?: string | null;
};

/** `/user/new`: the user, and (unless `auto_create_key` is false) a key of its own with the key fields given here. */
export type NewUserRequest = LimitFields & {
  aliases?: Record<string, unknown> | null;
  /** Default true. */
  auto_create_key?: boolean | null;
  /** The key's duration. */
  duration?: string | null;
  /** The key's clear value; made when absent. */
  key?: string | null;
  /** The key's alias. */
  key_alias?: string | null;
  metadata?: Record<string, unknown> | null;
  models?: string[] | null;
  tags?: string[] | null;
  teams?: string[] | null;
  user_alias?: string | null;
  user_email?: string | null;
  /** Made when absent. */
  user_id?: string | null;
  /** `proxy_admin`, `proxy_admin_viewer`, `internal_user` (default), `internal_user_viewer`. */
  user_role?: string | null;
};

/** `/key/regenerate` (and `/key/{key}/regenerate`): a new clear key for the same record. */
export type RegenerateKeyRequest = LimitFields & {
  duration?: string | null;
  /** The key to replace (clear or hash); in the path for `/key/{key}/regenerate`. */
  key?: string | null;
  metadata?: Record<string, unknown> | null;
  models?: string[] | null;
  /** The new clear key; made when absent. */
  new_key?: string | null;
};

/** One request, as `/spend/logs` returns it. */
export type SpendLog = {
  api_base?: string | null;
  /** SHA-256 of the virtual key; `litellm_master_key` for the master key. */
  api_key: string;
  call_type: string;
  completion_tokens: number;
  custom_llm_provider: string;
  endTime: string;
  end_user?: string | null;
  key_alias?: string | null;
  metadata: Record<string, unknown>;
  model: string;
  model_group: string;
  model_id: string;
  prompt_tokens: number;
  request_duration_ms: number;
  /** The gateway's call id (`x-litellm-call-id`): one row per call, whatever the upstream answers. */
  request_id: string;
  /** The upstream's id for its answer (`chatcmpl-...`), when it gave one. */
  response_id?: string | null;
  spend: number;
  startTime: string;
  status: string;
  team_id?: string | null;
  total_tokens: number;
  user?: string | null;
};

/** `/spend/logs`: the rows, or totals per day with `summarize=true` and both dates. */
export type SpendLogs = SpendLog[] | DaySummary[];

/** `/team/block`, `/team/unblock`. */
export type TeamIdRequest = {
  team_id: string;
};

export type TeamInfo = {
  keys: KeyView[];
  team_id: string;
  team_info: TeamRecord;
  team_memberships: Membership[];
};

export type TeamRecord = Limits & {
  blocked?: boolean;
  created_at: string;
  members_with_roles?: Member[];
  metadata?: Record<string, unknown>;
  model_aliases?: Record<string, unknown>;
  models?: string[];
  spend?: number;
  tags?: string[];
  team_alias?: string | null;
  team_id: string;
  updated_at: string;
};

export type TeamSpend = {
  requests: number;
  team_alias?: string | null;
  team_id?: string | null;
  total_spend: number;
};

/** `/global/spend/teams`, in LiteLLM's shape. */
export type TeamSpendReport = {
  daily_spend: DaySpend[];
  /** Team aliases (else ids), in the order of `total_spend_per_team`. */
  teams: Array<string | null>;
  total_spend_per_team: TeamSpend[];
};

/** `/team/member_add`'s answer: the team, and its members' user records. */
export type TeamWithMembers = TeamRecord & {
  updated_team_memberships: Membership[];
  updated_users: UserRecord[];
};

/** `/key/update`: the key named by `key` (clear or hash) or `key_alias`; members sent change. */
export type UpdateKeyRequest = LimitFields & {
  aliases?: Record<string, unknown> | null;
  blocked?: boolean | null;
  /** From now (`null` or `-1`: never expires). */
  duration?: string | null;
  key?: string | null;
  /** Names the key when `key` is absent; renames it when `key` is present. */
  key_alias?: string | null;
  metadata?: Record<string, unknown> | null;
  models?: string[] | null;
  /** Sets the key's spend (USD). */
  spend?: number | null;
  tags?: string[] | null;
  team_id?: string | null;
  user_id?: string | null;
};

/** `/team/update`: `team_id` names the team; members sent change. */
export type UpdateTeamRequest = LimitFields & {
  blocked?: boolean | null;
  metadata?: Record<string, unknown> | null;
  model_aliases?: Record<string, unknown> | null;
  models?: string[] | null;
  /** Sets the team's spend (USD). */
  spend?: number | null;
  tags?: string[] | null;
  team_alias?: string | null;
  team_id: string;
};

/** `/user/update`: `user_id` names the user; members sent change. */
export type UpdateUserRequest = LimitFields & {
  metadata?: Record<string, unknown> | null;
  models?: string[] | null;
  /** Sets the user's spend (USD). */
  spend?: number | null;
  teams?: string[] | null;
  user_alias?: string | null;
  user_email?: string | null;
  user_id: string;
  user_role?: string | null;
};

export type UpdatedTeam = {
  data: TeamRecord;
  team_id: string;
};

export type UserInfo = {
  keys: KeyView[];
  teams: TeamRecord[];
  user_id: string;
  user_info: UserRecord;
};

export type UserList = {
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
  users: UserRecord[];
};

export type UserRecord = Limits & {
  created_at: string;
  metadata?: Record<string, unknown>;
  models?: string[];
  spend?: number;
  teams?: string[];
  updated_at: string;
  user_alias?: string | null;
  user_email?: string | null;
  user_id: string;
  user_role?: string | null;
};

