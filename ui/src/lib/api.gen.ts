// Generated from docs/openapi.json by proxy/tests/openapi.rs (`make api-types`): do not edit.
// The admin API's request and response types, as the gateway's Rust types declare them.

export type AgentCoreMemory = {
  actor_id?: string | null;
  arn: string;
  /** Recent messages loaded from memory. */
  messages_count?: number | null;
  /** Long-term memory: namespace path template → retrieval settings. */
  retrieval_config?: Record<string, MemoryRetrieval>;
};

export type ArnTarget = {
  arn: string;
};

/** A row of the audit log, as `GET /audit` answers it. */
export type AuditEntry = {
  /** `created`, `updated`, `deleted`, or what the change was: `rotated`, `blocked`, ... */
  action: string;
  /** The record before the change (secrets masked); null when it was created. */
  before_value?: Record<string, unknown> | null;
  changed_by: string;
  changed_by_api_key: string;
  id: string;
  object_id: string;
  /** LiteLLM's table names (`LiteLLM_VerificationToken`, `LiteLLM_TeamTable`, ...), and `Switchboard_*` for what only Switchboard manages. */
  table_name: string;
  updated_at: string;
  /** The record after the change (secrets masked); null when it was deleted. */
  updated_values?: Record<string, unknown> | null;
};

/** `GET /audit`'s answer (LiteLLM's shape). */
export type AuditPage = {
  audit_logs: AuditEntry[];
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
};

export type AwsSkills = {
  paths?: string[];
};

export type BlockedEndUsers = {
  blocked_users: EndUserView[];
};

export type BrowserTool = {
  /** A custom browser; AgentCore's own when left out. */
  browser_arn?: string | null;
};

/** `/budget/info`: the budgets by id. */
export type BudgetIdsRequest = {
  budgets: string[];
};

/** A budget (`/budget/new`), as LiteLLM's `LiteLLM_BudgetTable` shows it. */
export type BudgetRecord = {
  budget_duration?: string | null;
  budget_id: string;
  budget_reset_at?: string | null;
  created_at: string;
  created_by?: string | null;
  max_budget?: number | null;
  max_parallel_requests?: number | null;
  /** Per-model budgets, as sent (`{"gpt-4o": {"budget_limit": 10, "time_period": "1d"}}`). */
  model_max_budget?: Record<string, unknown>;
  rpm_limit?: number | null;
  soft_budget?: number | null;
  tpm_limit?: number | null;
  updated_at: string;
  updated_by?: string | null;
};

/** `/budget/new` and `/budget/update` (which needs `budget_id`): LiteLLM's `BudgetNewRequest`. */
export type BudgetRequest = {
  /** `30s`, `1h`, `7d`, `1mo`, ... */
  budget_duration?: string | null;
  /** Made when absent (`/budget/new`). */
  budget_id?: string | null;
  /** The first reset (default: one `budget_duration` from now). */
  budget_reset_at?: string | null;
  max_budget?: number | null;
  max_parallel_requests?: number | null;
  model_max_budget?: Record<string, unknown> | null;
  rpm_limit?: number | null;
  soft_budget?: number | null;
  tpm_limit?: number | null;
};

/** What a set of gateway calls adds up to. */
export type CallTotals = {
  calls: number;
  completion_tokens: number;
  failed: number;
  prompt_tokens: number;
  spend: number;
};

/** One member that differs between two versions (`model.model_id`, `system_prompt`, ...). */
export type Change = {
  field: string;
  from: Record<string, unknown>;
  to: Record<string, unknown>;
};

/** A changed key: `key` is its hash (`/key/update`) or its new clear value (`/key/regenerate`). */
export type ChangedKey = KeyView & {
  key: string;
};

/** A checked form: what it would create and cost, and (when asked) who the credentials are. */
export type CheckedPlan = Plan & {
  identity?: null | Identity;
  /** Why the credentials could not be checked. */
  identity_error?: string | null;
};

export type CodeInterpreterTool = {
  /** A custom code interpreter; AgentCore's own when left out. */
  code_interpreter_arn?: string | null;
};

/** How to manage the deployed gateway: its URL and master key (sent to the panel, which needs it to manage that gateway; never printed by `Debug`). */
export type Connection = {
  alb_dns_name?: string | null;
  master_key: string;
  master_key_secret_arn: string;
  stack_name: string;
  url: string;
};

export type CostEstimate = {
  basis: string;
  excludes: string;
  lines: CostLine[];
  /** Set when the deploy region is not the one the table is for. */
  region_note?: string | null;
  /** The sum of the lines that have a price. */
  total_monthly_usd: number;
};

export type CostLine = {
  detail: string;
  item: string;
  /** `None` when the table has no price for the chosen size. */
  monthly_usd?: number | null;
};

export type CpuArchitecture = "X86_64" | "ARM64";

/** `/user/new`'s answer, as LiteLLM gives it: the user's record merged with its new key's (when `auto_create_key` is not false), `key` being the clear key, shown this once. (Describes the answer, which is built by merging the two records.) */
export type CreatedUser = UserRecord & {
  expires?: string | null;
  key?: string | null;
  key_alias?: string | null;
  key_name?: string | null;
  status?: null | KeyStatus;
  token_id?: string | null;
};

export type CustomerOfDay = {
  /** The request's `user` (end user); null for requests without one. */
  customer?: string | null;
  metadata: ReportEntry[];
  total_spend: number;
};

export type CustomersOfDay = {
  customers: CustomerOfDay[];
  group_by_day: string;
};

export type DailySpend = {
  date: string;
  group?: string | null;
  label?: string | null;
  requests: number;
  spend: number;
  tokens: number;
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

/** `/budget/delete`. */
export type DeleteBudgetRequest = {
  id: string;
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

/** `/organization/delete`. */
export type DeleteOrganizationsRequest = {
  organization_ids: string[];
};

/** `/team/delete`. */
export type DeleteTeamsRequest = {
  team_ids: string[];
};

/** `/user/delete`. */
export type DeleteUsersRequest = {
  user_ids: string[];
};

/** A credential provider or harness deleted (by name or id), in the region it was in. */
export type Deleted = {
  deleted: string;
  region: string;
};

export type DeletedEndUsers = {
  deleted_customers: number;
  message: string;
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

/** The deploy form. Field names are the JSON the panel sends; every field but `region` has a default. */
export type DeployRequest = {
  cache_node_type?: string;
  /** An ACM certificate ARN in `region`: HTTPS on 443, and 80 redirects to it. */
  certificate_arn?: string | null;
  /** Fargate CPU units (256, 512, 1024, 2048, 4096). */
  cpu?: number;
  cpu_architecture?: CpuArchitecture;
  db_instance_class?: string;
  desired_count?: number;
  /** With a certificate: the name it covers (you point a CNAME at the ALB); used for the URL. */
  domain_name?: string | null;
  enable_rds?: boolean;
  enable_redis?: boolean;
  /** Where a built image goes (`host[:port]/name`); empty = the account's ECR repository named after `name_prefix`, created when missing. Only without `image_uri`. */
  image_repository?: string | null;
  /** The gateway image, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/switchboard:0.1.0`; empty = the deploy builds the gateway's image and pushes it to `image_repository`. */
  image_uri?: string;
  log_retention_days?: number;
  /** An existing secret holding the master key; empty = generate `sk-` + 48 characters. */
  master_key_secret_arn?: string | null;
  /** Fargate memory in MiB; a valid combination with `cpu`. */
  memory?: number;
  /** A LiteLLM config.yaml (text); empty = the seed's claude-sonnet and claude-haiku in `region`. */
  models_config?: string | null;
  /** Names the stack, the ECS cluster, the log group (`/ecs/<prefix>`) and tags. */
  name_prefix?: string;
  network?: Network;
  /** A profile of `~/.aws/config` (SSO works); empty = the default credential chain. */
  profile?: string | null;
  /** AWS region, e.g. `us-east-1`. */
  region?: string;
};

export type DeploymentLatency = {
  /** Errors over requests, 0 to 1. */
  error_rate: number;
  errors: number;
  latency_p50_ms?: number | null;
  latency_p95_ms?: number | null;
  /** The deployment's model (`litellm_params.model`). */
  model: string;
  model_group: string;
  model_id: string;
  provider: string;
  requests: number;
};

export type DoctorBody = Target & DoctorRequest;

/** `POST /agentcore/doctor`: a harness (with fields overridden), or a draft. */
export type DoctorRequest = SettingsForm & {
  api_base?: string | null;
  credential_provider?: string | null;
  harness_id?: string | null;
  /** The key the provider should hold: alias, or hash. */
  key?: string | null;
  /** The model id as it would be sent (`litellm_proxy/claude-haiku`; a bare alias is a finding). */
  model?: string | null;
};

/** The last item of every progress stream. */
export type Done = {
  failure?: null | Failure;
  /** Every failed event of the operation, in order. */
  failures: Failure[];
  health?: null | Health;
  /** The image this operation built and pushed (by digest). */
  image?: string | null;
  /** One sentence for the user. */
  message: string;
  operation?: null | Operation;
  outcome: Outcome;
  /** The stack's outputs (ServiceUrl, AlbDnsName, MasterKeySecretArn, ...). */
  outputs: Record<string, string>;
  stack_id?: string | null;
  stack_name: string;
  stack_status?: string | null;
};

export type DownBody = {
  /** Must repeat `stack`. */
  confirm?: string;
  profile?: string | null;
  region: string;
  stack?: string;
};

export type Empty = Record<string, unknown>;

/** `/end_user/delete`, `/end_user/block`, `/end_user/unblock`. */
export type EndUserIds = {
  user_ids: string[];
};

/** `/end_user/new` and `/end_user/update`. */
export type EndUserRequest = {
  alias?: string | null;
  /** `eu` or `us`. */
  allowed_model_region?: string | null;
  blocked?: boolean | null;
  budget_duration?: string | null;
  budget_id?: string | null;
  default_model?: string | null;
  max_budget?: number | null;
  max_parallel_requests?: number | null;
  rpm_limit?: number | null;
  /** `/end_user/update` only: sets the spend. */
  spend?: number | null;
  tpm_limit?: number | null;
  user_id: string;
};

/** A customer as LiteLLM shows it: its limits under `litellm_budget_table` (null without any). */
export type EndUserView = {
  alias?: string | null;
  allowed_model_region?: string | null;
  blocked: boolean;
  budget_id?: string | null;
  created_at: string;
  default_model?: string | null;
  litellm_budget_table?: null | Limits;
  spend: number;
  updated_at: string;
  user_id: string;
};

export type EndpointBody = Target & EndpointForm;

/** An endpoint pointed at another version, or described anew. */
export type EndpointChange = {
  description?: string | null;
  version?: string | null;
};

export type EndpointChangeBody = Target & EndpointChange;

/** A new endpoint: its name, and the version it serves (the latest when left out). */
export type EndpointForm = {
  description?: string | null;
  name: string;
  version?: string | null;
};

export type EndpointList = {
  endpoints: EndpointView[];
  harness_id: string;
  region: string;
};

/** A harness endpoint: a name InvokeHarness takes as `qualifier`, serving one version. */
export type EndpointView = {
  arn: string;
  created_at?: string | null;
  description?: string | null;
  failure_reason?: string | null;
  /** The version it serves now. */
  live_version?: string | null;
  name: string;
  status: string;
  /** The version it was pointed at (`DEFAULT` has none: it follows the latest). */
  target_version?: string | null;
  updated_at?: string | null;
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
  doctor?: null | Report;
  error: ErrorDetail;
  validation?: null | Validation;
};

/** A resource that failed, and why. */
export type Failure = {
  logical_id: string;
  reason: string;
  resource_type: string;
  status: string;
};

/** A Fargate CPU size and the memory sizes it allows (MiB). */
export type FargateSize = {
  cpu: number;
  memory: number[];
};

/** A problem with one field of the form (`field` is the JSON name, dotted for nested ones). */
export type FieldIssue = {
  field: string;
  message: string;
};

export type Finding = {
  check: string;
  fix: string;
  message: string;
  severity: Severity;
};

/** The gateway's facts, for the panel's overview. */
export type GatewayInfo = {
  /** `sqlite` or `postgres`. */
  database: string;
  deployments: number;
  /** Model groups served. */
  models: number;
  monitoring?: null | Monitoring;
  /** With PostgreSQL: this replica, then the others on the same database heard from lately. */
  replicas?: ReplicaInfo[] | null;
  shared_limits?: null | SharedLimitsStatus;
  spend_writer?: null | WriterStatus;
  uptime_seconds: number;
  version: string;
};

export type GatewayTool = {
  gateway_arn: string;
  outbound_auth?: null | OutboundAuth;
};

/** `/key/generate`. */
export type GenerateKeyRequest = KeyFields & {
  /** The clear key to use (`sk-...`, 16 characters at least); made when absent. */
  key?: string | null;
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

export type GitAuth = {
  credential_arn: string;
  username?: string | null;
};

export type GitSkill = {
  auth?: null | GitAuth;
  path?: string | null;
  url: string;
};

export type GlobalSpend = {
  /** Always null: the gateway has no global budget. */
  max_budget?: number | null;
  spend: number;
};

export type HarnessBody = Target & HarnessForm & {
  /** Save even when the doctor finds problems. */
  force?: boolean;
};

/** The harness form: create (`harness_name`, `execution_role_arn`, `model` required) or edit. */
export type HarnessForm = SettingsForm & {
  api_base?: string | null;
  /** Credential provider name (default `litellm-proxy`); its ARN comes from AgentCore. */
  credential_provider?: string | null;
  execution_role_arn?: string | null;
  /** The key the provider should hold (alias or hash), for the doctor. */
  expected_key?: string | null;
  harness_name?: string | null;
  max_tokens?: number | null;
  /** A gateway alias (`claude-haiku`); `litellm_proxy/claude-haiku` is taken too. */
  model?: string | null;
  system_prompt?: string | null;
  temperature?: number | null;
  top_p?: number | null;
};

export type HarnessList = {
  harnesses: HarnessView[];
  region: string;
};

/** A model group as a harness names it. */
export type HarnessModel = {
  alias: string;
  /** `litellm_proxy/<alias>`. */
  model_id: string;
};

/** A harness's model configuration, whatever its source. */
export type HarnessModelConfig = {
  /** The gateway alias (LiteLLM model ids with the `litellm_proxy/` prefix). */
  alias?: string | null;
  api_base?: string | null;
  api_key_arn?: string | null;
  max_tokens?: number | null;
  model_id: string;
  /** `litellm`, `bedrock`, `openai`, `gemini` or `unknown`. */
  source: string;
  temperature?: number | null;
  top_p?: number | null;
};

/** A harness's settings as AgentCore holds them (secret values hidden in views). */
export type HarnessSettings = {
  /** Tool names the agent may use (`*`: all, AgentCore's default). */
  allowed_tools: string[];
  /** Values hidden (`<hidden:…>`). */
  environment_variables: Record<string, string>;
  hooks: HookSpec[];
  /** Output tokens across all model calls of one invocation (AgentCore's harness `maxTokens`; the model's own `max_tokens` is per call). */
  invocation_max_tokens?: number | null;
  /** Agent-loop iterations per invocation. */
  max_iterations?: number | null;
  memory?: null | MemorySpec;
  skills: SkillSpec[];
  timeout_seconds?: number | null;
  tools: ToolSpec[];
  truncation?: null | TruncationSpec;
};

/** A harness, as listed or as shown in full. */
export type HarnessView = HarnessSettings & {
  arn: string;
  created_at?: string | null;
  credential_provider?: null | ProviderRef;
  execution_role_arn?: string | null;
  failure_reason?: string | null;
  harness_id: string;
  harness_name: string;
  harness_version?: string | null;
  model?: null | HarnessModelConfig;
  status: string;
  system_prompt?: string | null;
  updated_at?: string | null;
};

export type Health = {
  attempts: number;
  body?: string | null;
  error?: string | null;
  /** 200 with the gateway's answer. */
  ok: boolean;
  status?: number | null;
  url: string;
};

/** `/health`'s answer, as LiteLLM gives it: each deployment's `litellm_params` (secrets left out) with `model_id`, `model_name`, `api_base`, and for the unhealthy `error` and `exception_status`. */
export type HealthReport = {
  healthy_count: number;
  healthy_endpoints: Array<Record<string, unknown>>;
  unhealthy_count: number;
  unhealthy_endpoints: Array<Record<string, unknown>>;
};

export type Hook = {
  name: string;
  target?: null | HookTarget;
};

export type HookFailureMode = "allow" | "deny";

/** A lifecycle hook: `{"before_tool_call": {"name": "guard", "target": {"lambda": {"arn": ...}}}}`. */
export type HookSpec = {
  before_invocation: Hook;
} | {
  after_invocation: Hook;
} | {
  before_tool_call: Hook;
} | {
  after_tool_call: Hook;
};

/** Where a hook event goes: a Lambda function (called, its answer awaited), an SNS topic or an EventBridge bus (sent, not awaited). */
export type HookTarget = {
  lambda: LambdaHook;
} | {
  sns: ArnTarget;
} | {
  event_bridge: ArnTarget;
};

/** Who the credentials belong to (STS GetCallerIdentity). */
export type Identity = {
  account: string;
  arn: string;
  region: string;
};

/** What a deploy without an image would build: this gateway's version, from its Linux binary. */
export type ImageBuildInfo = {
  available: boolean;
  /** The binary that goes into the image. */
  binary?: string | null;
  /** X86_64 or ARM64: the only CPU it builds for. */
  cpu_architecture?: string | null;
  /** Why it cannot build one. */
  reason?: string | null;
  /** The gateway's version: the image's tag, and what an update rolls out. */
  version: string;
};

/** A step of building and pushing the gateway's image, before the stack's change set. */
export type ImageStep = "repository_created" | "assembled" | "present" | "uploading" | "uploaded" | "pushed";

export type InlineFunctionTool = {
  /** Told to the model. */
  description: string;
  /** The JSON Schema of the tool's input (an object). */
  input_schema: Record<string, unknown>;
};

export type InvokeBody = Target & {
  /** The harness endpoint to call (`DEFAULT` when left out). */
  endpoint?: string | null;
  message: string;
  session_id?: string | null;
};

/** The members of a key that `/key/generate` sets and `/key/update` changes. */
export type KeyFields = LimitFields & {
  aliases?: Record<string, unknown> | null;
  blocked?: boolean | null;
  /** How long the key lives from now (`30d`, ...; `-1`: forever). */
  duration?: string | null;
  /** Unique across keys. (`/key/update` names the key by it when `key` is absent.) */
  key_alias?: string | null;
  metadata?: Record<string, unknown> | null;
  /** Model groups the key may call (empty: all its team and user may). */
  models?: string[] | null;
  /** The key's spend (USD). */
  spend?: number | null;
  tags?: string[] | null;
  team_id?: string | null;
  /** A user made on first mention. */
  user_id?: string | null;
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

/** The key a credential provider holds, as far as the gateway knows it (never the key itself). */
export type KeyRef = {
  key_alias?: string | null;
  /** `sk-...abcd`. */
  key_name: string;
  /** `active`, `blocked`, `expired`, or `deleted` (no longer a key of this gateway). */
  status: string;
  team_id?: string | null;
  /** SHA-256 hex of the key. */
  token: string;
};

export type KeyReport = {
  api_key: string;
  model_details: ModelReport[];
  total_cost: number;
  total_input_tokens: number;
  total_output_tokens: number;
};

/** Where a credential provider's key is kept, as AgentCore describes it. */
export type KeySecret = {
  json_key?: string | null;
  secret_arn: string;
  /** `MANAGED` (AgentCore's own secret, holding the key it was given) or `EXTERNAL` (a secret of yours). */
  source: string;
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

export type LambdaHook = {
  arn: string;
  failure_mode?: null | HookFailureMode;
  /** Seconds to wait for the function (AgentCore's default 60). */
  timeout_seconds?: number | null;
};

/** The width of the report's time buckets. */
export type LatencyBucket = "hour" | "day";

/** The calls of one model group started in one time bucket. Latency counts the calls that reached a deployment; time to first token, the streamed calls that got a first byte. */
export type LatencyPoint = {
  errors: number;
  latency_p50_ms?: number | null;
  latency_p95_ms?: number | null;
  latency_p99_ms?: number | null;
  requests: number;
  /** The bucket's start (ISO 8601, UTC). */
  start: string;
  ttft_p50_ms?: number | null;
  ttft_p95_ms?: number | null;
};

/** `/switchboard/latency`. */
export type LatencyReport = {
  bucket: LatencyBucket;
  /** Per deployment that calls reached, by model group then deployment id. */
  deployments: DeploymentLatency[];
  hours: number;
  /** Per model group, by name. */
  models: ModelLatency[];
  /** The window's start (ISO 8601); it ends now. */
  since: string;
  /** Only the newest rows of the window were read (there were more than 200,000). */
  truncated: boolean;
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

export type LogLine = {
  level: string;
  message: string;
  target: string;
  ts: string;
};

export type ManagedMemory = {
  /** The memory AgentCore made (shown; ignored when sent). */
  arn?: string | null;
  /** A customer-managed KMS key; cannot be changed after creation. */
  encryption_key_arn?: string | null;
  /** Days events are kept (default 30). */
  event_expiry_duration?: number | null;
  /** Default SEMANTIC and SUMMARIZATION. */
  strategies?: MemoryStrategy[] | null;
};

/** How a gateway call was matched to a turn. */
export type MatchedBy = "trace" | "key_and_time";

export type Member = {
  /** The member's budget in this team (USD), set by `/team/member_update` (LiteLLM keeps it in a team membership; it is shown there, in `team_memberships`). */
  max_budget_in_team?: number | null;
  role: string;
  user_email?: string | null;
  user_id?: string | null;
};

/** `/team/member_add`: one member or several. A member named by `user_email` alone is the user with that email (made when there is none). */
export type MemberAddRequest = {
  /** The members' budget in this team (USD). */
  max_budget_in_team?: number | null;
  member: Members;
  team_id: string;
};

export type MemberBudget = {
  max_budget?: number | null;
};

/** `/team/member_delete`: the member by `user_id` or `user_email`. */
export type MemberDeleteRequest = {
  team_id: string;
  user_email?: string | null;
  user_id?: string | null;
};

/** `/team/member_update`: the member by `user_id` or `user_email`; `role` and `max_budget_in_team` change when sent. */
export type MemberUpdateRequest = {
  /** The member's budget in this team (USD). */
  max_budget_in_team?: number | null;
  /** `admin` or `user`. */
  role?: string | null;
  team_id: string;
  user_email?: string | null;
  user_id?: string | null;
};

export type Members = Member | Member[];

/** A member of a team, by user id. */
export type Membership = {
  litellm_budget_table?: null | MemberBudget;
  /** What the member spent in the team (checked against `max_budget_in_team`). */
  spend: number;
  team_id: string;
  user_id: string;
};

export type MemoryRetrieval = {
  /** 0 to 1. */
  relevance_score?: number | null;
  strategy_id?: string | null;
  top_k?: number | null;
};

/** Memory: `{"disabled": {}}`, an AgentCore Memory of yours (`agentcore_memory`), or one AgentCore manages for the harness (`managed`). */
export type MemorySpec = {
  disabled: Empty;
} | {
  agentcore_memory: AgentCoreMemory;
} | {
  managed: ManagedMemory;
};

export type MemoryStrategy = "SEMANTIC" | "SUMMARIZATION" | "USER_PREFERENCE" | "EPISODIC";

export type ModelDeleted = {
  message: string;
};

/** A model group as `/model_group/info` shows it (LiteLLM's `ModelGroupInfo`): what its deployments offer together. */
export type ModelGroupInfo = {
  /** Always null: clients may not send their own provider credentials. */
  configurable_clientside_auth_params?: string[] | null;
  /** USD per token: the highest of the deployments', when known. */
  input_cost_per_token?: number | null;
  /** The largest of the deployments', when known. */
  max_input_tokens?: number | null;
  max_output_tokens?: number | null;
  /** `chat` unless the model says otherwise. */
  mode: string;
  model_group: string;
  output_cost_per_token?: number | null;
  /** The deployments' providers (`bedrock`, `openai`, ...), each once. */
  providers: string[];
  rpm?: number | null;
  supported_openai_params: string[];
  supports_function_calling: boolean;
  supports_parallel_function_calling: boolean;
  supports_reasoning: boolean;
  supports_vision: boolean;
  supports_web_search: boolean;
  /** The sum of the deployments' `tpm` / `rpm`, when any sets one. */
  tpm?: number | null;
};

export type ModelGroups = {
  data: ModelGroupInfo[];
};

export type ModelLatency = {
  /** Per time bucket with calls, oldest first. */
  buckets: LatencyPoint[];
  errors: number;
  model_group: string;
  requests: number;
};

/** `/model/update`'s body: `model_info.id` names the model; members sent replace the stored ones (`null` removes one, a masked secret keeps it). */
export type ModelPatch = {
  litellm_params?: Record<string, unknown> | null;
  model_info: Record<string, unknown>;
  model_name?: string | null;
};

export type ModelReport = {
  model: string;
  total_cost: number;
  total_input_tokens: number;
  total_output_tokens: number;
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

/** `/metrics` and traces, as this gateway serves them. */
export type Monitoring = {
  /** Anyone may scrape `/metrics` (a gateway on loopback); otherwise it takes the master key, an admin or viewer key, or the metrics token. */
  metrics_open: boolean;
  /** `general_settings.metrics_token` is set. */
  metrics_token_set: boolean;
  /** Where spans go (OTLP/HTTP), without any credentials in the URL; absent: traces are off. */
  traces_endpoint?: string | null;
};

/** Where the gateway runs: a new VPC, or subnets of an existing one. */
export type Network = {
  mode: "new";
  vpc_cidr?: string;
} | {
  mode: "existing";
  private_subnet_ids: string[];
  public_subnet_ids: string[];
  vpc_id: string;
};

/** `/model/new`'s body, as in config.yaml's `model_list`. */
export type NewModel = {
  /** `model` (`bedrock/...`, `openai/...`), `api_base`, `api_key`, ... */
  litellm_params: Record<string, unknown>;
  /** `id` (made when absent), and anything else to keep with the model. */
  model_info?: Record<string, unknown>;
  model_name: string;
};

/** `/organization/new`: the organization, with a budget from the limits here unless `budget_id` names one. */
export type NewOrganizationRequest = {
  budget_duration?: string | null;
  budget_id?: string | null;
  max_budget?: number | null;
  max_parallel_requests?: number | null;
  metadata?: Record<string, unknown> | null;
  model_max_budget?: Record<string, unknown> | null;
  models?: string[] | null;
  organization_alias: string;
  /** Made when absent. */
  organization_id?: string | null;
  rpm_limit?: number | null;
  soft_budget?: number | null;
  tpm_limit?: number | null;
};

/** `/team/new`. */
export type NewTeamRequest = TeamFields & {
  members_with_roles?: Member[] | null;
  /** Made when absent. */
  team_id?: string | null;
};

/** `/user/new`: the user, and (unless `auto_create_key` is false) a key of its own with the key members given here. */
export type NewUserRequest = UserFields & {
  /** The key's model aliases. */
  aliases?: Record<string, unknown> | null;
  /** Default true. */
  auto_create_key?: boolean | null;
  /** The key's duration. */
  duration?: string | null;
  /** The key's clear value; made when absent. */
  key?: string | null;
  /** The key's alias. */
  key_alias?: string | null;
  /** Organizations the user joins as an `internal_user` (an organization's admin must name only its own). */
  organizations?: string[] | null;
  /** The key's tags. */
  tags?: string[] | null;
  /** Made when absent. */
  user_id?: string | null;
};

export type OAuthProvider = {
  custom_parameters?: Record<string, string>;
  default_return_url?: string | null;
  /** `CLIENT_CREDENTIALS`, `AUTHORIZATION_CODE` or `TOKEN_EXCHANGE`. */
  grant_type: string;
  provider_arn: string;
  scopes?: string[];
};

export type Operation = "create" | "update" | "delete";

/** The deploy form's defaults and choices. */
export type Options = {
  /** Where the cost estimate's prices come from, and when. */
  cost_basis: string;
  cpu_architectures: string[];
  defaults: DeployRequest;
  fargate_sizes: FargateSize[];
  /** Whether this gateway can build its own image for a form without one. */
  image_build: ImageBuildInfo;
  log_retention_days: number[];
  max_desired_count: number;
};

/** A member to add: by `user_id` or `user_email`, with its role in the organization. */
export type OrgMember = {
  /** `org_admin`, `internal_user` or `internal_user_viewer`. */
  role: string;
  user_email?: string | null;
  user_id?: string | null;
};

export type OrgMembers = OrgMember | OrgMember[];

/** An organization as `/organization/info` and `/organization/list` show it: with its budget and its teams. */
export type OrganizationInfo = OrganizationRecord & {
  litellm_budget_table?: null | BudgetRecord;
  teams: Array<Record<string, unknown>>;
};

/** `/organization/member_add`: one member or several. */
export type OrganizationMemberAddRequest = {
  /** Each member's budget in the organization (USD). */
  max_budget_in_organization?: number | null;
  member: OrgMembers;
  organization_id: string;
};

/** `/organization/member_delete`: a member, by `user_id` or `user_email`. */
export type OrganizationMemberDeleteRequest = {
  organization_id: string;
  user_email?: string | null;
  user_id?: string | null;
};

/** `/organization/member_update`: a member (by `user_id` or `user_email`), its new role and its budget in the organization. */
export type OrganizationMemberUpdateRequest = {
  /** The member's budget in the organization (USD). */
  max_budget_in_organization?: number | null;
  organization_id: string;
  /** `org_admin`, `internal_user` or `internal_user_viewer`. */
  role?: string | null;
  user_email?: string | null;
  user_id?: string | null;
};

/** `/organization/member_add`'s answer. */
export type OrganizationMembersAdded = {
  organization_id: string;
  updated_organization_memberships: OrganizationMembership[];
  updated_users: UserRecord[];
};

/** A member of an organization (LiteLLM's `LiteLLM_OrganizationMembership`). */
export type OrganizationMembership = {
  /** The member's budget in the organization (`max_budget_in_organization`), when one is set. */
  budget_id?: string | null;
  created_at: string;
  organization_id: string;
  spend?: number;
  updated_at: string;
  user_id: string;
  /** `org_admin`, `internal_user` or `internal_user_viewer`. */
  user_role?: string | null;
};

/** An organization (`/organization/new`), as LiteLLM's `LiteLLM_OrganizationTable` shows it; its members are kept with it. */
export type OrganizationRecord = {
  /** The organization's budget (`/budget/*`); made from the limits sent with `/organization/new` when none is named. */
  budget_id?: string | null;
  created_at: string;
  created_by?: string | null;
  members?: OrganizationMembership[];
  metadata?: Record<string, unknown>;
  model_spend?: Record<string, unknown>;
  models?: string[];
  organization_alias?: string | null;
  organization_id: string;
  spend?: number;
  updated_at: string;
  updated_by?: string | null;
};

/** How the harness authenticates to an AgentCore gateway: `{"aws_iam": {}}`, `{"none": {}}` or `{"oauth": {...}}`. */
export type OutboundAuth = {
  aws_iam: Empty;
} | {
  none: Empty;
} | {
  oauth: OAuthProvider;
};

export type Outcome = "succeeded" | "no_changes" | "rolled_back" | "failed" | "deleted" | "not_found" | "error";

export type Passed = {
  check: string;
  message: string;
};

/** What a form would deploy: checked, with the stack's parameters, resources and cost. */
export type Plan = {
  errors: FieldIssue[];
  estimate: CostEstimate;
  ok: boolean;
  /** The CloudFormation parameters (empty when the form has errors). */
  parameters: Record<string, string>;
  region: string;
  /** The resources CloudFormation would create (empty when the form has errors). */
  resources: Resource[];
  stack_name: string;
  warnings: FieldIssue[];
};

/** A change the change set will make. */
export type PlannedChange = {
  /** Add, Modify, Remove, ... */
  action: string;
  logical_id: string;
  /** For Modify: True, False or Conditional. */
  replacement?: string | null;
  resource_type: string;
};

/** An item of a progress stream. Serialized with a `type` member: `message`, `image`, `plan`, `event`, `done`. */
export type Progress = {
  text: string;
  type: "message";
} | {
  /** `layer` or `config` (blob steps). */
  blob?: string | null;
  digest?: string | null;
  /** `registry/repository@sha256:...` (`pushed`) or the repository (`repository_created`). */
  reference?: string | null;
  /** Bytes uploaded so far (`uploading`). */
  sent?: number | null;
  /** Bytes of the blob. */
  size?: number | null;
  step: ImageStep;
  /** One sentence for the user. */
  text: string;
  type: "image";
} | {
  change_set_id?: string | null;
  changes: PlannedChange[];
  operation: Operation;
  stack_id: string;
  stack_name: string;
  /** How many resources the progress fraction counts. */
  total: number;
  type: "plan";
} | StackEvent & {
  /** Resources done / resources of the operation, 0.0 to 1.0. */
  progress: number;
} & {
  type: "event";
} | Done & {
  type: "done";
};

export type ProviderBody = Target & {
  /** `true`, or `/key/generate` fields (`team_id`, `key_alias`, `max_budget`, ...). */
  generate?: unknown;
  /** A key of this gateway, in clear (the gateway keeps only hashes). */
  key?: string | null;
  name?: string | null;
  secret?: null | SecretRef;
};

export type ProviderList = {
  providers: ProviderView[];
  region: string;
};

export type ProviderRef = {
  credential_provider_arn: string;
  key?: null | KeyRef;
  name?: string | null;
};

/** An API-key credential provider. */
export type ProviderView = {
  created_time?: string | null;
  credential_provider_arn: string;
  key?: null | KeyRef;
  key_secret?: null | KeySecret;
  last_updated_time?: string | null;
  name: string;
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

export type RemoteMcpTool = {
  /** Sent to the MCP server; values are hidden once saved. */
  headers?: Record<string, string>;
  url: string;
};

/** A replica on the same database, as the panel's Overview lists it. */
export type ReplicaInfo = {
  /** The machine (a task's host name in ECS). */
  host: string;
  id: string;
  /** When it last said it was up (RFC 3339); this replica: now. */
  last_seen: string;
  started_at: string;
  /** The replica answering this request. */
  this_one: boolean;
  version: string;
};

export type Report = {
  errors: number;
  findings: Finding[];
  /** No errors (warnings may remain). */
  ok: boolean;
  passed: Passed[];
  subject: Subject;
  warnings: number;
};

/** A model and key's spend within a team or customer, on one day. */
export type ReportEntry = {
  /** The key's hash. */
  api_key: string;
  model: string;
  spend: number;
  total_tokens: number;
};

/** A resource of the template. */
export type Resource = {
  logical_id: string;
  resource_type: string;
};

export type S3Skill = {
  uri: string;
};

/** A saved harness and the doctor's report made before saving. */
export type Saved = {
  doctor?: null | Report;
  harness: HarnessView;
};

/** The secret and the JSON key in it that hold the API key. */
export type SecretRef = {
  /** The member of the secret's JSON that holds the key (`{"api_key": "sk-..."}` → `api_key`). */
  json_key: string;
  /** The secret's name or ARN. */
  secret_id: string;
};

export type SessionList = {
  harness_id: string;
  /** Newest first. */
  sessions: SessionSummary[];
};

/** A past session, in a harness's session list. */
export type SessionSummary = {
  /** Turns that ended in an error. */
  failed_turns: number;
  /** The session's first message. */
  first_message: string;
  input_tokens: number;
  last_at: string;
  output_tokens: number;
  session_id: string;
  started_at: string;
  totals: CallTotals;
  turns: number;
};

/** One session of a harness, turn by turn. */
export type SessionView = {
  harness_id: string;
  /** The harness's own usage report, over the turns. */
  input_tokens: number;
  output_tokens: number;
  session_id: string;
  /** The gateway calls of every turn. */
  totals: CallTotals;
  turns: TurnView[];
};

/** The AgentCore page's defaults and choices. */
export type Settings = {
  /** The gateway's URL a harness should call: `public_url`, else the URL the panel reached. */
  default_api_base?: string | null;
  defaults: WiringDefaults;
  models: HarnessModel[];
  profile?: string | null;
  /** Profiles in the shared AWS config and credentials files. */
  profiles: string[];
  public_url?: string | null;
  region?: string | null;
  regions: string[];
};

/** The settings members of the harness form. */
export type SettingsForm = {
  allowed_tools?: string[] | null;
  /** Changes to the environment: a value sets a variable, `null` removes it, names left out keep theirs. */
  environment_variables?: Record<string, string | null> | null;
  /** Replaces the hooks (`[]` removes them all). */
  hooks?: HookSpec[] | null;
  invocation_max_tokens?: number | null;
  max_iterations?: number | null;
  memory?: null | MemorySpec;
  skills?: SkillSpec[] | null;
  timeout_seconds?: number | null;
  /** Replaces the tools (`[]` removes them all). */
  tools?: ToolSpec[] | null;
  truncation?: null | TruncationSpec;
};

export type Severity = "error" | "warning";

export type SharedLimitsStatus = {
  /** Calls this replica limited alone because Redis was away. */
  fallbacks: number;
  /** Redis answers; while it does not, each replica limits its own calls. */
  redis_up: boolean;
};

/** A skill: `{"path": "..."}`, `{"git": {...}}`, `{"s3": {"uri": ...}}` or `{"aws_skills": {"paths": [...]}}`. */
export type SkillSpec = {
  path: string;
} | {
  git: GitSkill;
} | {
  s3: S3Skill;
} | {
  aws_skills: AwsSkills;
};

export type SlidingWindow = {
  /** Recent messages kept. */
  messages_count?: number | null;
};

/** One request, as `/spend/logs` returns it. */
export type SpendLog = {
  api_base?: string | null;
  /** SHA-256 of the virtual key; `litellm-proxy-master-key` for the master key. */
  api_key: string;
  call_type: string;
  /** When the answer began: a stream's first byte, a complete answer's end (as LiteLLM records it); none when no answer came. */
  completionStartTime?: string | null;
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

/** `/global/spend/report`, in LiteLLM's three shapes. */
export type SpendReport = TeamsOfDay[] | CustomersOfDay[] | KeyReport[];

export type SpendStats = {
  errors_today: number;
  requests_today: number;
  requests_total: number;
  spend_today: number;
  spend_total: number;
};

/** One CloudFormation stack event. */
export type StackEvent = {
  event_id: string;
  /** The resource's name in the template (the stack's own events carry the stack name). */
  logical_id: string;
  physical_id: string;
  reason?: string | null;
  resource_type: string;
  /** CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED, DELETE_COMPLETE, ... */
  status: string;
  /** RFC 3339. */
  timestamp: string;
};

/** A stack's state, with one call to its `/health/liveliness` when asked. */
export type StackReport = StackStatus & {
  health?: null | Health;
  /** Whether the deployed replicas reach their Redis (`connected`, `away`), with `health`. */
  running_redis?: string | null;
  /** The replicas the deployed gateway hears (itself included), with `health`. */
  running_replicas?: number | null;
  /** The deployed gateway's version (its `/health/readiness`), with `health`. */
  running_version?: string | null;
};

/** What is deployed under a stack name. */
export type StackStatus = {
  created?: string | null;
  exists: boolean;
  /** An operation is running (follow it with `follow`). */
  in_progress: boolean;
  /** The resources that failed in the last operation, with their reasons. */
  last_failures: Failure[];
  last_updated?: string | null;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  region: string;
  stack_id?: string | null;
  stack_name: string;
  status?: string | null;
  status_reason?: string | null;
};

export type Step = {
  detail?: unknown;
  error?: null | StepError;
  fix?: string | null;
  /** `preflight`, `team`, `key`, `provider`, `harness`, `ready`. */
  id: string;
  message?: string | null;
  status: StepStatus;
  title: string;
};

export type StepError = {
  code: string;
  /** The SDK's account of a failure that never reached AWS (see `AwsError::detail`). */
  detail?: string | null;
  kind: string;
  message: string;
  status?: number | null;
};

export type StepStatus = "not_started" | "running" | "done" | "failed" | "rolled_back";

/** A credential provider that now holds a key. */
export type StoredKey = {
  /** Whether the key was generated for it (its value went to AgentCore only). */
  key_generated: boolean;
  previous_key?: null | KeyRef;
  provider: ProviderView;
  region: string;
};

/** What was checked. */
export type Subject = {
  alias?: string | null;
  api_base?: string | null;
  credential_provider?: string | null;
  credential_provider_arn?: string | null;
  harness_id?: string | null;
  harness_status?: string | null;
  key?: null | KeyRef;
  model_id?: string | null;
};

export type Summarization = {
  preserve_recent_messages?: number | null;
  summarization_system_prompt?: string | null;
  /** The share of the conversation summarized (above 0, at most 1). */
  summary_ratio?: number | null;
};

/** The account and region a request is about (chosen in the panel). */
export type Target = {
  profile?: string | null;
  region?: string | null;
};

/** The members of a team that `/team/new` sets and `/team/update` changes. */
export type TeamFields = LimitFields & {
  blocked?: boolean | null;
  metadata?: Record<string, unknown> | null;
  model_aliases?: Record<string, unknown> | null;
  models?: string[] | null;
  /** The organization the team joins (it must exist): its budget limits the team's calls. */
  organization_id?: string | null;
  tags?: string[] | null;
  team_alias?: string | null;
  /** The budget (USD) of each member without a `max_budget_in_team` of its own (0: none). */
  team_member_budget?: number | null;
};

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

export type TeamOfDay = {
  metadata: ReportEntry[];
  /** The team's alias; "Unassigned Team" for spend without one (as LiteLLM names it). */
  team_name: string;
  total_spend: number;
};

/** A page of `/v2/team/list`: teams without their keys (a team may have a hundred thousand). */
export type TeamPage = {
  page: number;
  page_size: number;
  teams: TeamRecord[];
  total: number;
  total_pages: number;
};

export type TeamRecord = Limits & {
  blocked?: boolean;
  created_at: string;
  members_with_roles?: Member[];
  metadata?: Record<string, unknown>;
  model_aliases?: Record<string, unknown>;
  models?: string[];
  /** The organization the team belongs to: its budget and limits apply to the team's calls. */
  organization_id?: string | null;
  spend?: number;
  tags?: string[];
  team_alias?: string | null;
  team_id: string;
  /** The budget (USD) of each member without a `max_budget_in_team` of its own (LiteLLM's `team_member_budget`; 0 is no limit, as there). */
  team_member_budget?: number | null;
  updated_at: string;
};

export type TeamRef = {
  team_alias?: string | null;
  team_id: string;
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

export type TeamsOfDay = {
  /** Midnight UTC of the day (`2024-05-10T00:00:00+00:00`). */
  group_by_day: string;
  teams: TeamOfDay[];
};

export type ToolConfig = {
  remote_mcp: RemoteMcpTool;
} | {
  agentcore_browser: BrowserTool;
} | {
  agentcore_gateway: GatewayTool;
} | {
  inline_function: InlineFunctionTool;
} | {
  agentcore_code_interpreter: CodeInterpreterTool;
};

/** A tool of the harness: `{"type": "remote_mcp", "name": "docs", "config": {"remote_mcp": {"url": ...}}}`. */
export type ToolSpec = {
  config?: null | ToolConfig;
  /** Unique among the harness's tools; AgentCore infers one when left out. */
  name?: string | null;
  type: ToolType;
};

export type ToolType = "remote_mcp" | "agentcore_browser" | "agentcore_gateway" | "inline_function" | "agentcore_code_interpreter";

export type TruncationConfig = {
  sliding_window: SlidingWindow;
} | {
  summarization: Summarization;
};

/** How the conversation is cut to fit the model's context. */
export type TruncationSpec = {
  config?: null | TruncationConfig;
  strategy: TruncationStrategy;
};

export type TruncationStrategy = "none" | "sliding_window" | "summarization";

/** A gateway call a harness made during a turn. */
export type TurnCall = {
  /** SHA-256 hex of the key. */
  api_key: string;
  completion_tokens: number;
  duration_ms: number;
  end_time: string;
  key_alias?: string | null;
  matched_by: MatchedBy;
  model_group: string;
  prompt_tokens: number;
  request_id: string;
  spend: number;
  start_time: string;
  /** `success` or `failure`. */
  status: string;
};

/** One turn of a harness session played through the gateway (the harness playground). */
export type TurnRecord = {
  ended_at?: string | null;
  error?: string | null;
  harness_arn: string;
  harness_id: string;
  /** What the harness reported for the turn. */
  input_tokens: number;
  /** SHA-256 hex of the key the harness calls this gateway with, when the gateway knows it. */
  key_token?: string | null;
  /** The user's message (its first 500 characters). */
  message: string;
  output_tokens: number;
  region: string;
  session_id: string;
  started_at: string;
  /** `running`, `done` or `error`. */
  status: string;
  /** The W3C trace the turn was sent in (32 hex digits); a harness that propagates it marks its model calls with it. */
  trace_id: string;
  turn_id: string;
};

/** A turn and the gateway calls the harness made for it. */
export type TurnView = TurnRecord & {
  calls: TurnCall[];
  totals: CallTotals;
};

export type UpdateBody = {
  /** Where to push the image [default: the repository of the image running now]. */
  image_repository?: string | null;
  profile?: string | null;
  region: string;
  stack?: string;
};

/** `/key/update`: the key named by `key` (clear or hash) or `key_alias`; members sent change. */
export type UpdateKeyRequest = KeyFields & {
  key?: string | null;
};

/** `/organization/update`: `organization_id` names it; members sent change. */
export type UpdateOrganizationRequest = {
  budget_id?: string | null;
  metadata?: Record<string, unknown> | null;
  models?: string[] | null;
  organization_alias?: string | null;
  organization_id: string;
};

/** `/team/update`: `team_id` names the team; members sent change. */
export type UpdateTeamRequest = TeamFields & {
  /** Sets the team's spend (USD). */
  spend?: number | null;
  team_id: string;
};

/** `/user/update`: `user_id` names the user; members sent change. */
export type UpdateUserRequest = UserFields & {
  /** Sets the user's spend (USD). */
  spend?: number | null;
  user_id: string;
};

/** `/team/member_update`'s answer, as LiteLLM gives it. */
export type UpdatedMember = {
  max_budget_in_team?: number | null;
  team_id: string;
  user_email?: string | null;
  user_id: string;
};

export type UpdatedTeam = {
  data: TeamRecord;
  team_id: string;
};

/** The members of a user that `/user/new` sets and `/user/update` changes. */
export type UserFields = LimitFields & {
  metadata?: Record<string, unknown> | null;
  models?: string[] | null;
  teams?: string[] | null;
  user_alias?: string | null;
  user_email?: string | null;
  /** `proxy_admin`, `proxy_admin_viewer`, `internal_user` (default), `internal_user_viewer`. */
  user_role?: string | null;
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

/** The outcome of validating a form: errors stop the deploy, warnings are shown. */
export type Validation = {
  errors: FieldIssue[];
  warnings: FieldIssue[];
};

export type VersionDiff = {
  /** The members that differ, by name (`model.model_id`, `system_prompt`, ...). */
  changes: Change[];
  from: string;
  harness_id: string;
  to: string;
};

export type VersionList = {
  harness_id: string;
  region: string;
  /** Newest first. */
  versions: VersionView[];
};

/** One version of a harness. */
export type VersionView = {
  created_at?: string | null;
  failure_reason?: string | null;
  status: string;
  version: string;
};

export type WireBody = Target & WireRequest;

/** `POST /agentcore/wire`. */
export type WireRequest = HarnessForm & {
  /** Go on despite the doctor's errors (for example a loopback API base in a test). */
  force?: boolean;
  /** Wire this existing harness instead of creating one. */
  harness_id?: string | null;
  /** Alias of the key generated for the harness (default `agentcore-harness-key`). */
  key_alias?: string | null;
  /** More `/key/generate` fields for that key (max_budget, budget_duration, rpm_limit, ...). */
  key_settings?: Record<string, unknown>;
  /** Models of a new team (default: every model of the gateway, so the harness can switch). */
  models?: string[] | null;
  /** ...or the team with this alias, created if missing (default `agentcore-harness`). */
  team_alias?: string | null;
  /** Use this existing team... */
  team_id?: string | null;
  /** How long to wait for the harness to be READY (default 60 s, at most 600). */
  wait_seconds?: number | null;
};

/** The outcome: every step, and what exists now. */
export type WireResult = {
  doctor?: null | Report;
  fix?: string | null;
  harness?: null | HarnessView;
  key?: null | KeyRef;
  message: string;
  ok: boolean;
  provider?: null | ProviderView;
  region?: string | null;
  steps: Step[];
  team?: null | TeamRef;
};

export type WiringDefaults = {
  credential_provider: string;
  key_alias: string;
  team_alias: string;
};

/** What the writer is up to, for `/switchboard/info` and the logs. */
export type WriterStatus = {
  /** Rows waiting to be written. */
  backlog_rows: number;
  /** The last write failed; rows are kept and retried. */
  database_unavailable: boolean;
  last_error?: string | null;
  /** Rows whose detail was given up (the backlog was full); their spend was still counted. */
  rows_folded: number;
};

