// The "Deploy to AWS" page's pure logic: the form (as typed) → the gateway's deploy request
// (deploy/README.md, "The form"), validation issues → fields, the progress of a deploy or a
// destroy from its server-sent items, colours of CloudFormation statuses, and what the page keeps
// in sessionStorage. No React, no fetch: unit-tested in src/test/deploy.test.ts.

import type { CpuArchitecture, DeployRequest, FieldIssue, Options as DeployOptions, Progress } from "./api.gen";

// ---------------------------------------------------------------- the gateway's JSON
// The requests and answers are the generated types of docs/openapi.json (api.gen.ts).

/** The items of a progress stream, by `type` (members of the generated Progress). */
export type PlanItem = Extract<Progress, { type: "plan" }>;
export type EventItem = Extract<Progress, { type: "event" }>;
export type DoneItem = Extract<Progress, { type: "done" }>;
export type ImageItem = Extract<Progress, { type: "image" }>;

/** The architectures the options offer that the deploy request takes (the options list strings). */
export function cpuArchitectures(options: Pick<DeployOptions, "cpu_architectures">): CpuArchitecture[] {
  return options.cpu_architectures.filter(isCpuArchitecture);
}

function isCpuArchitecture(a: string): a is CpuArchitecture {
  return a === "X86_64" || a === "ARM64";
}

/** A progress item from one SSE `data:` line; null for anything else. */
export function parseProgressItem(data: string): Progress | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== "object") return null;
  const t = (v as { type?: unknown }).type;
  if (t === "message" || t === "image" || t === "plan" || t === "event" || t === "done") return v as Progress;
  return null;
}

// ---------------------------------------------------------------- the form as typed

export interface DeployForm {
  region: string;
  profile: string;
  namePrefix: string;
  /** "build": the gateway builds its own image and pushes it; "own": the image URI below. */
  imageSource: "build" | "own";
  imageUri: string;
  /** Where a built image goes; empty: the account's ECR repository named after the prefix. */
  imageRepository: string;
  arch: CpuArchitecture;
  cpu: number;
  memory: number;
  desiredCount: string;
  enableRds: boolean;
  dbInstanceClass: string;
  enableRedis: boolean;
  cacheNodeType: string;
  networkMode: "new" | "existing";
  vpcCidr: string;
  vpcId: string;
  publicSubnets: string;
  privateSubnets: string;
  https: boolean;
  certificateArn: string;
  domainName: string;
  masterKeySecretArn: string;
  modelsConfig: string;
  logRetentionDays: number;
}

export type FormKey = keyof DeployForm;

/** The seed article deploys to us-east-1; the gateway's defaults leave the region empty. */
export const DEFAULT_REGION = "us-east-1";

/** The form from the gateway's defaults; it builds the image unless the gateway cannot. */
export function formFromDefaults(d: DeployRequest = {}, canBuild = true): DeployForm {
  const net = d.network;
  return {
    region: d.region || DEFAULT_REGION,
    profile: d.profile ?? "",
    namePrefix: d.name_prefix ?? "switchboard",
    imageSource: d.image_uri || !canBuild ? "own" : "build",
    imageUri: d.image_uri ?? "",
    imageRepository: d.image_repository ?? "",
    arch: d.cpu_architecture ?? "X86_64",
    cpu: d.cpu ?? 512,
    memory: d.memory ?? 1024,
    desiredCount: String(d.desired_count ?? 1),
    enableRds: d.enable_rds ?? true,
    dbInstanceClass: d.db_instance_class ?? "db.t4g.micro",
    enableRedis: d.enable_redis ?? false,
    cacheNodeType: d.cache_node_type ?? "cache.t4g.micro",
    networkMode: net?.mode === "existing" ? "existing" : "new",
    vpcCidr: (net?.mode === "new" ? net.vpc_cidr : undefined) ?? "10.0.0.0/16",
    vpcId: net?.mode === "existing" ? net.vpc_id : "",
    publicSubnets: net?.mode === "existing" ? net.public_subnet_ids.join(", ") : "",
    privateSubnets: net?.mode === "existing" ? net.private_subnet_ids.join(", ") : "",
    https: !!d.certificate_arn,
    certificateArn: d.certificate_arn ?? "",
    domainName: d.domain_name ?? "",
    masterKeySecretArn: d.master_key_secret_arn ?? "",
    modelsConfig: d.models_config ?? "",
    logRetentionDays: d.log_retention_days ?? 30,
  };
}

/** "subnet-a, subnet-b\nsubnet-c" → ["subnet-a", "subnet-b", "subnet-c"]. */
export function splitIds(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const blankToNull = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/** Problems the form can't even send (the gateway takes numbers as numbers). */
export function localErrors(f: DeployForm, maxDesired = 10): Partial<Record<FormKey, string>> {
  const errors: Partial<Record<FormKey, string>> = {};
  const n = f.desiredCount.trim();
  if (n === "") errors.desiredCount = "How many tasks: 0 to " + maxDesired;
  else if (!/^\d+$/.test(n)) errors.desiredCount = `A whole number of tasks, 0 to ${maxDesired}`;
  if (f.https && f.certificateArn.trim() === "") errors.certificateArn = "HTTPS needs an ACM certificate ARN in the region (or switch HTTPS off)";
  if (f.imageSource === "own" && f.imageUri.trim() === "") errors.imageUri = "The image to deploy (or let the gateway build and push it)";
  return errors;
}

/** The JSON the gateway takes. Fields the form can't express (a non-number count) are left out. */
export function requestBody(f: DeployForm): DeployRequest {
  const count = f.desiredCount.trim();
  const body: DeployRequest = {
    region: f.region.trim(),
    profile: blankToNull(f.profile),
    name_prefix: f.namePrefix.trim(),
    image_uri: f.imageSource === "own" ? f.imageUri.trim() : "",
    image_repository: f.imageSource === "build" ? blankToNull(f.imageRepository) : null,
    cpu_architecture: f.arch,
    cpu: f.cpu,
    memory: f.memory,
    enable_rds: f.enableRds,
    db_instance_class: f.dbInstanceClass.trim(),
    enable_redis: f.enableRedis,
    cache_node_type: f.cacheNodeType.trim(),
    network:
      f.networkMode === "new"
        ? { mode: "new", vpc_cidr: f.vpcCidr.trim() }
        : { mode: "existing", vpc_id: f.vpcId.trim(), public_subnet_ids: splitIds(f.publicSubnets), private_subnet_ids: splitIds(f.privateSubnets) },
    certificate_arn: f.https ? blankToNull(f.certificateArn) : null,
    domain_name: f.https ? blankToNull(f.domainName) : null,
    master_key_secret_arn: blankToNull(f.masterKeySecretArn),
    models_config: f.modelsConfig.trim() === "" ? null : f.modelsConfig,
    log_retention_days: f.logRetentionDays,
  };
  if (/^\d+$/.test(count)) body.desired_count = Number(count);
  return body;
}

/** The memory sizes Fargate takes with `cpu` (MiB). */
export function memoryChoices(options: Pick<DeployOptions, "fargate_sizes"> | undefined, cpu: number): number[] {
  return options?.fargate_sizes.find((s) => s.cpu === cpu)?.memory ?? [];
}

/** A new CPU keeps the memory when Fargate allows it, else takes the nearest size it allows. */
export function withCpu(f: DeployForm, cpu: number, options: Pick<DeployOptions, "fargate_sizes"> | undefined): DeployForm {
  const choices = memoryChoices(options, cpu);
  if (choices.length === 0 || choices.includes(f.memory)) return { ...f, cpu };
  const nearest = choices.reduce((best, m) => (Math.abs(m - f.memory) < Math.abs(best - f.memory) ? m : best), choices[0]);
  return { ...f, cpu, memory: nearest };
}

/** "1024" → "1 vCPU", "512" → "0.5 vCPU"; 2048 MiB → "2 GB". */
export function cpuLabel(units: number): string {
  return `${units / 1024} vCPU`;
}
export function memoryLabel(mib: number): string {
  return mib < 1024 ? `${mib} MiB` : `${mib / 1024} GB`;
}

/** Which form field a validation issue of the gateway is about (`field` is the JSON name). */
const FIELD_OF: Record<string, FormKey> = {
  region: "region",
  profile: "profile",
  name_prefix: "namePrefix",
  image_uri: "imageUri",
  image_repository: "imageRepository",
  cpu_architecture: "arch",
  cpu: "cpu",
  memory: "memory",
  desired_count: "desiredCount",
  enable_rds: "enableRds",
  db_instance_class: "dbInstanceClass",
  enable_redis: "enableRedis",
  cache_node_type: "cacheNodeType",
  "network.vpc_cidr": "vpcCidr",
  "network.vpc_id": "vpcId",
  "network.public_subnet_ids": "publicSubnets",
  "network.private_subnet_ids": "privateSubnets",
  certificate_arn: "certificateArn",
  domain_name: "domainName",
  master_key_secret_arn: "masterKeySecretArn",
  models_config: "modelsConfig",
  log_retention_days: "logRetentionDays",
};

/** The form's labels, for the list of fields to fix. */
export const FIELD_LABELS: Record<FormKey, string> = {
  region: "Region",
  profile: "AWS profile",
  namePrefix: "Name prefix",
  imageSource: "Image",
  imageUri: "Image URI",
  imageRepository: "Image repository",
  arch: "Architecture",
  cpu: "CPU",
  memory: "Memory",
  desiredCount: "Tasks",
  enableRds: "RDS",
  dbInstanceClass: "RDS instance class",
  enableRedis: "Redis",
  cacheNodeType: "Redis node type",
  networkMode: "Network",
  vpcCidr: "VPC CIDR",
  vpcId: "VPC id",
  publicSubnets: "Public subnets",
  privateSubnets: "Private subnets",
  https: "HTTPS",
  certificateArn: "Certificate ARN",
  domainName: "Domain name",
  masterKeySecretArn: "Master key secret ARN",
  modelsConfig: "Models (config.yaml)",
  logRetentionDays: "Log retention",
};

export function formKeyOf(field: string): FormKey | null {
  return FIELD_OF[field] ?? null;
}

export interface IssueView {
  /** Per form field: the messages, joined. */
  byField: Partial<Record<FormKey, string>>;
  /** Issues about no field of the form (e.g. "template"): shown above the button. */
  general: FieldIssue[];
}

/** Groups the gateway's issues by form field. */
export function issuesByField(issues: FieldIssue[]): IssueView {
  const byField: Partial<Record<FormKey, string>> = {};
  const general: FieldIssue[] = [];
  for (const i of issues) {
    const key = formKeyOf(i.field);
    if (!key) {
      general.push(i);
      continue;
    }
    const msg = sentence(i.message);
    byField[key] = byField[key] ? `${byField[key]} ${msg}` : msg;
  }
  return { byField, general };
}

/** "an AWS region such as us-east-1" → "An AWS region such as us-east-1." */
export function sentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const first = m[0].toUpperCase() + m.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * The field errors to show: the gateway's (for the form it checked) and the form's own, only for
 * fields the user has touched, unless `all` (after pressing Deploy).
 */
export function visibleErrors(
  serverErrors: FieldIssue[],
  local: Partial<Record<FormKey, string>>,
  touched: ReadonlySet<FormKey>,
  all: boolean,
): Partial<Record<FormKey, string>> {
  const merged: Partial<Record<FormKey, string>> = { ...issuesByField(serverErrors).byField };
  for (const [k, v] of Object.entries(local) as Array<[FormKey, string]>) merged[k] = v;
  if (all) return merged;
  const shown: Partial<Record<FormKey, string>> = {};
  for (const [k, v] of Object.entries(merged) as Array<[FormKey, string]>) if (touched.has(k)) shown[k] = v;
  return shown;
}

/** Resources to be created, grouped by type: [["AWS::EC2::Subnet", 4], ...] by count, then name. */
export function resourceSummary(resources: Array<{ resource_type: string }>): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.resource_type, (counts.get(r.resource_type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "AWS::ElasticLoadBalancingV2::LoadBalancer" → "ElasticLoadBalancingV2 LoadBalancer". */
export function shortType(resourceType: string): string {
  return resourceType.replace(/^AWS::/, "").replace(/::/g, " ");
}

/** $36.5 → "$36.50"; null → "no price". */
export function formatMonthly(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return "no price";
  return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

// ---------------------------------------------------------------- progress

export type RunKind = "up" | "update" | "down" | "follow";

/** Building and pushing the image, before the change set. */
export interface ImageProgress {
  /** The steps so far, but the uploads' intermediate counts. */
  steps: ImageItem[];
  /** The blob being uploaded, with how much is sent. */
  uploading: ImageItem | null;
  /** The pushed image, by digest. */
  reference: string | null;
}

export interface RunState {
  kind: RunKind;
  /** What the operation is for ("up" or "down"), also when re-attached with a follow. */
  intent: "up" | "down" | null;
  region: string;
  stack: string;
  profile: string | null;
  /** Date.now() when the page started or re-attached. */
  startedAt: number;
  plan: PlanItem | null;
  image: ImageProgress | null;
  messages: string[];
  events: EventItem[];
  /** 0..1: from the events; 1 once it succeeded or everything is deleted. */
  progress: number;
  done: DoneItem | null;
  /** The stream ended (or broke) without `done`: CloudFormation goes on; follow re-attaches. */
  lost: unknown;
}

export type RunAction =
  | { type: "start"; kind: RunKind; intent?: "up" | "down" | null; region: string; stack: string; profile: string | null; at: number }
  | { type: "item"; item: Progress }
  | { type: "lost"; error: unknown }
  | { type: "clear" };

export function startRun(
  kind: RunKind,
  target: { region: string; stack: string; profile: string | null; intent?: "up" | "down" | null },
  at = Date.now(),
): RunState {
  const intent = target.intent ?? (kind === "follow" ? null : kind === "down" ? "down" : "up");
  return { kind, intent, region: target.region, stack: target.stack, profile: target.profile, startedAt: at, plan: null, image: null, messages: [], events: [], progress: 0, done: null, lost: null };
}

/** Takes one SSE item (or the end of the stream) into the state. */
export function runReducer(state: RunState | null, action: RunAction): RunState | null {
  if (action.type === "clear") return null;
  if (action.type === "start") return startRun(action.kind, action, action.at);
  if (!state) return state;
  if (action.type === "lost") return state.done ? state : { ...state, lost: action.error ?? "the stream ended" };
  const item = action.item;
  switch (item.type) {
    case "message":
      return { ...state, messages: [...state.messages, item.text] };
    case "image":
      return { ...state, image: imageReducer(state.image, item) };
    case "plan":
      // A follow replays the operation from its start: a new plan starts a new list.
      return { ...state, plan: item, events: [], progress: 0, done: null, lost: null };
    case "event": {
      if (state.events.some((e) => e.event_id === item.event_id)) return state;
      const progress = Number.isFinite(item.progress) ? Math.max(state.progress, Math.min(1, item.progress)) : state.progress;
      return { ...state, events: [...state.events, item], progress };
    }
    case "done": {
      const complete = item.outcome === "succeeded" || item.outcome === "deleted" || item.outcome === "no_changes";
      return { ...state, done: item, lost: null, progress: complete ? 1 : state.progress };
    }
    default:
      return state;
  }
}

function imageReducer(image: ImageProgress | null, item: ImageItem): ImageProgress {
  const now = image ?? { steps: [], uploading: null, reference: null };
  if (item.step === "uploading") return { ...now, uploading: item };
  const blobDone = (item.step === "uploaded" || item.step === "present") && now.uploading?.digest === item.digest;
  return {
    steps: [...now.steps, item],
    uploading: blobDone ? null : now.uploading,
    reference: item.step === "pushed" ? (item.reference ?? null) : now.reference,
  };
}

/** 0..1 of the blob being uploaded. */
export function uploadFraction(item: ImageItem): number {
  return item.size && item.sent != null ? Math.max(0, Math.min(1, item.sent / item.size)) : 0;
}

/** The latest status of each resource, in the order they first appeared (the stack's own last). */
export function resourceStates(events: EventItem[]): Array<{ logical_id: string; resource_type: string; status: string; reason: string | null }> {
  const latest = new Map<string, { logical_id: string; resource_type: string; status: string; reason: string | null }>();
  for (const e of events) {
    latest.set(e.logical_id, { logical_id: e.logical_id, resource_type: e.resource_type, status: e.status, reason: e.reason ?? latest.get(e.logical_id)?.reason ?? null });
  }
  const all = [...latest.values()];
  return [...all.filter((r) => r.resource_type !== STACK_TYPE), ...all.filter((r) => r.resource_type === STACK_TYPE)];
}

export const STACK_TYPE = "AWS::CloudFormation::Stack";

/** Counts for the line under the progress bar. */
export function runCounts(state: RunState): { done: number; inProgress: number; failed: number; total: number } {
  const resources = resourceStates(state.events).filter((r) => r.resource_type !== STACK_TYPE);
  const op = state.plan?.operation ?? state.done?.operation ?? null;
  const doneStatus = (s: string) =>
    op === "delete" ? s === "DELETE_COMPLETE" || s === "DELETE_SKIPPED" : op === "create" ? s === "CREATE_COMPLETE" : /_COMPLETE$/.test(s) && !/ROLLBACK/.test(s);
  // Like the gateway's tracker: a resource that completed counts, even if a rollback deletes it.
  const completed = new Set(state.events.filter((e) => e.resource_type !== STACK_TYPE && doneStatus(e.status)).map((e) => e.logical_id));
  return {
    done: completed.size,
    inProgress: resources.filter((r) => r.status.endsWith("_IN_PROGRESS")).length,
    failed: resources.filter((r) => r.status.endsWith("_FAILED")).length,
    total: state.plan?.total ?? 0,
  };
}

export type Tone = "green" | "red" | "amber" | "blue" | "neutral";

/** The colour of a CloudFormation status. */
export function statusTone(status: string | null | undefined): Tone {
  const s = status ?? "";
  if (!s) return "neutral";
  if (s.endsWith("_FAILED")) return "red";
  if (s.includes("ROLLBACK")) return s.endsWith("_IN_PROGRESS") ? "amber" : "red";
  if (s.endsWith("_IN_PROGRESS")) return "blue";
  if (s === "DELETE_COMPLETE" || s === "DELETE_SKIPPED") return "neutral";
  if (s.endsWith("_COMPLETE")) return "green";
  return "neutral";
}

export interface OutcomeView {
  tone: Tone;
  title: string;
}

export function outcomeView(done: DoneItem, intent: "up" | "down" | null = null): OutcomeView {
  // Re-attached after a destroy that ended meanwhile: the stack is gone, as asked.
  if (done.outcome === "not_found" && intent === "down") return { tone: "green", title: "Deleted" };
  switch (done.outcome) {
    case "succeeded":
      return { tone: "green", title: done.operation === "update" ? "Updated" : "Deployed" };
    case "no_changes":
      return { tone: "blue", title: "Nothing to change" };
    case "rolled_back":
      return { tone: "red", title: done.operation === "update" ? "Update failed and rolled back" : "Deploy failed and rolled back" };
    case "failed":
      return { tone: "red", title: done.operation === "delete" ? "Destroy failed" : "Failed" };
    case "deleted":
      return { tone: "green", title: "Deleted" };
    case "not_found":
      return { tone: "neutral", title: "No such stack" };
    case "error":
    default:
      return { tone: "red", title: "Could not run" };
  }
}

/**
 * The outcome's sentence without the failure it ends with (": <resource> (<type>) <status>:
 * <reason>"), which the page shows apart.
 */
export function outcomeMessage(done: Pick<DoneItem, "message" | "failure">): string {
  const f = done.failure;
  if (!f) return done.message;
  const at = done.message.indexOf(`: ${f.logical_id} (${f.resource_type})`);
  return at > 0 ? `${done.message.slice(0, at)}.` : done.message;
}

/** "1 resource", "3 resources". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The tone of the progress bar. */
export function progressTone(state: RunState): "accent" | "ok" | "danger" | "warn" {
  if (state.done) {
    const t = outcomeView(state.done, state.intent).tone;
    return t === "green" || t === "blue" ? "ok" : t === "red" ? "danger" : "accent";
  }
  if (state.events.some((e) => e.status.endsWith("_FAILED") || e.status.startsWith("ROLLBACK") || e.status.includes("_ROLLBACK_"))) return "warn";
  return "accent";
}

/** What the page's title line says while it runs. */
export function runTitle(state: RunState): string {
  const op = state.plan?.operation ?? state.done?.operation;
  if (state.done) return outcomeView(state.done, state.intent).title;
  if (op === "delete" || state.intent === "down") return `Destroying ${state.stack}…`;
  if (op === "update") return `Updating ${state.stack}…`;
  if (op === "create") return `Deploying ${state.stack}…`;
  if (state.image && !state.image.reference) return state.image.steps.some((s) => s.step === "assembled") ? "Pushing the image…" : "Building the image…";
  if (state.kind === "update") return `Updating ${state.stack}…`;
  return state.kind === "follow" ? `Following ${state.stack}…` : `Preparing ${state.stack}…`;
}

// ---------------------------------------------------------------- sessionStorage

/**
 * The last deployed gateway's URL (its `ServiceUrl` output), for other pages (the AgentCore
 * harness wiring uses it as the API base). Plain text. Removed when that stack is destroyed.
 */
export const DEPLOYED_URL_KEY = "switchboard.deployedUrl";
/** JSON {url, region, stack, profile} of the same deployment. */
export const DEPLOYED_STACK_KEY = "switchboard.deployedStack";
/** The form as typed, so a reload keeps it (it holds no secret). */
export const FORM_KEY = "switchboard.deploy.form";
/** JSON {kind, region, stack, profile} while an operation runs: a reload re-attaches to it. */
export const RUNNING_KEY = "switchboard.deploy.running";

export interface RunTarget {
  kind: RunKind;
  region: string;
  stack: string;
  profile: string | null;
}

type KV = Pick<Storage, "getItem" | "setItem" | "removeItem">;

function readJson<T>(storage: KV, key: string): T | null {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function saveForm(storage: KV, f: DeployForm): void {
  storage.setItem(FORM_KEY, JSON.stringify(f));
}

export function loadForm(storage: KV, fallback: DeployForm): DeployForm {
  const saved = readJson<Partial<DeployForm>>(storage, FORM_KEY);
  if (!saved || typeof saved !== "object") return fallback;
  const out = { ...fallback };
  for (const k of Object.keys(fallback) as FormKey[]) {
    if (k in saved && typeof saved[k] === typeof fallback[k]) (out as Record<FormKey, unknown>)[k] = saved[k];
  }
  return out;
}

export function markRunning(storage: KV, t: RunTarget): void {
  storage.setItem(RUNNING_KEY, JSON.stringify(t));
}

export function runningTarget(storage: KV): RunTarget | null {
  const t = readJson<RunTarget>(storage, RUNNING_KEY);
  return t && typeof t.region === "string" && typeof t.stack === "string" ? { ...t, profile: t.profile ?? null } : null;
}

export function clearRunning(storage: KV): void {
  storage.removeItem(RUNNING_KEY);
}

/** Keeps (or forgets) the deployed gateway's URL after an operation's `done`. */
export function rememberDeployment(storage: KV, target: { region: string; stack: string; profile: string | null }, done: Pick<DoneItem, "outcome" | "outputs">): void {
  const url = done.outputs?.ServiceUrl;
  if ((done.outcome === "succeeded" || done.outcome === "no_changes") && url) {
    storage.setItem(DEPLOYED_URL_KEY, url);
    storage.setItem(DEPLOYED_STACK_KEY, JSON.stringify({ url, region: target.region, stack: target.stack, profile: target.profile }));
    return;
  }
  if (done.outcome === "deleted" || done.outcome === "not_found") {
    const known = readJson<{ region?: string; stack?: string }>(storage, DEPLOYED_STACK_KEY);
    if (!known || (known.region === target.region && known.stack === target.stack)) {
      storage.removeItem(DEPLOYED_URL_KEY);
      storage.removeItem(DEPLOYED_STACK_KEY);
    }
  }
}

export function deployedUrl(storage: KV): string | null {
  return storage.getItem(DEPLOYED_URL_KEY);
}

/** "2026-06-10T08:14:15Z" → "08:14:15" (local time). */
export function eventTime(ts: string): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return d.toLocaleTimeString("en-GB", { hour12: false });
}

/** 65_000 → "1 min 05 s". */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, "0")} s`;
}
