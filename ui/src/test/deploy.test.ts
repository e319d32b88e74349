import { describe, expect, it } from "vitest";
import type { Progress } from "../lib/api.gen";
import {
  DEPLOYED_STACK_KEY,
  DEPLOYED_URL_KEY,
  type DoneItem,
  type EventItem,
  type PlanItem,
  type ImageItem,
  type RunState,
  clearRunning,
  cpuArchitectures,
  deployedUrl,
  elapsed,
  formFromDefaults,
  formatMonthly,
  issuesByField,
  loadForm,
  localErrors,
  markRunning,
  memoryChoices,
  outcomeMessage,
  outcomeView,
  parseProgressItem,
  plural,
  progressTone,
  rememberDeployment,
  requestBody,
  resourceStates,
  resourceSummary,
  runCounts,
  runReducer,
  runTitle,
  runningTarget,
  saveForm,
  sentence,
  shortType,
  splitIds,
  startRun,
  uploadFraction,
  statusTone,
  visibleErrors,
  withCpu,
} from "../lib/deploy";
import { ApiError, awsSummary, explainAws, explainError } from "../lib/errors";
import { clearSession, loadSession, previousSession, saveSession, switchBack, switchSession } from "../lib/session";
import { SSEParser } from "../lib/sse";

const storage = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m } as unknown as Storage & {
    m: Map<string, string>;
  };
};

// GET /deploy/options's defaults, as the gateway sends them.
const DEFAULTS = {
  cache_node_type: "cache.t4g.micro",
  certificate_arn: null,
  cpu: 512,
  cpu_architecture: "X86_64" as const,
  db_instance_class: "db.t4g.micro",
  desired_count: 1,
  domain_name: null,
  enable_rds: true,
  enable_redis: false,
  image_uri: "",
  image_repository: null,
  log_retention_days: 30,
  master_key_secret_arn: null,
  memory: 1024,
  models_config: null,
  name_prefix: "switchboard",
  network: { mode: "new" as const, vpc_cidr: "10.0.0.0/16" },
  profile: null,
  region: "",
};
const SIZES = {
  fargate_sizes: [
    { cpu: 256, memory: [512, 1024, 2048] },
    { cpu: 512, memory: [1024, 2048, 3072, 4096] },
    { cpu: 1024, memory: [2048, 3072, 4096, 5120, 6144, 7168, 8192] },
  ],
};

describe("deploy form → request body", () => {
  it("starts from the gateway's defaults with the seed's region", () => {
    const f = formFromDefaults(DEFAULTS);
    expect(f.region).toBe("us-east-1");
    expect(f.networkMode).toBe("new");
    expect(f.https).toBe(false);
    // The gateway builds and pushes its own image unless told otherwise.
    expect(f.imageSource).toBe("build");
    expect(requestBody(f)).toEqual({ ...DEFAULTS, region: "us-east-1" });
    const body = requestBody({ ...f, imageSource: "own", imageUri: " 123.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0 " });
    expect(body).toEqual({
      ...DEFAULTS,
      region: "us-east-1",
      image_uri: "123.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0",
    });
  });

  it("sends the image or the repository for the built one, never both", () => {
    const f = { ...formFromDefaults(DEFAULTS), imageUri: "ghcr.io/acme/switchboard:0.1.0", imageRepository: " 127.0.0.1:5000/gw " };
    expect(requestBody(f)).toMatchObject({ image_uri: "", image_repository: "127.0.0.1:5000/gw" });
    expect(requestBody({ ...f, imageRepository: " " })).toMatchObject({ image_uri: "", image_repository: null });
    expect(requestBody({ ...f, imageSource: "own" })).toMatchObject({ image_uri: "ghcr.io/acme/switchboard:0.1.0", image_repository: null });
    // A gateway that cannot build starts on "Use my image"; a form that names an image keeps it.
    expect(formFromDefaults(DEFAULTS, false).imageSource).toBe("own");
    expect(formFromDefaults({ ...DEFAULTS, image_uri: "ghcr.io/acme/switchboard:0.1.0" }).imageSource).toBe("own");
    expect(localErrors({ ...f, imageSource: "own", imageUri: " " }).imageUri).toMatch(/image to deploy/);
    expect(localErrors(f).imageUri).toBeUndefined();
  });

  it("sends an existing VPC with its subnets, RDS and HTTPS off", () => {
    const f = {
      ...formFromDefaults(DEFAULTS),
      namePrefix: " litellm-harness ",
      profile: " dev ",
      enableRds: false,
      networkMode: "existing" as const,
      vpcId: "vpc-0123456789abcdef0",
      publicSubnets: "subnet-1, subnet-2",
      privateSubnets: "subnet-3\nsubnet-4 ,",
      https: false,
      certificateArn: "arn:aws:acm:us-east-1:1:certificate/x",
      domainName: "llm.example.com",
      masterKeySecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:k",
      desiredCount: "2",
    };
    const b = requestBody(f);
    expect(b.name_prefix).toBe("litellm-harness");
    expect(b.profile).toBe("dev");
    expect(b.enable_rds).toBe(false);
    expect(b.network).toEqual({ mode: "existing", vpc_id: "vpc-0123456789abcdef0", public_subnet_ids: ["subnet-1", "subnet-2"], private_subnet_ids: ["subnet-3", "subnet-4"] });
    // HTTPS off: the certificate and domain typed earlier are not sent.
    expect(b.certificate_arn).toBeNull();
    expect(b.domain_name).toBeNull();
    expect(b.master_key_secret_arn).toBe("arn:aws:secretsmanager:us-east-1:1:secret:k");
    expect(b.desired_count).toBe(2);
    expect(requestBody({ ...f, https: true }).certificate_arn).toBe("arn:aws:acm:us-east-1:1:certificate/x");
  });

  it("reads defaults with only what the schema requires (every member has a serde default)", () => {
    const f = formFromDefaults({ network: { mode: "new" } });
    expect(f).toMatchObject({ region: "us-east-1", namePrefix: "switchboard", networkMode: "new", vpcCidr: "10.0.0.0/16", arch: "X86_64", cpu: 512, memory: 1024 });
    expect(formFromDefaults({}).vpcCidr).toBe("10.0.0.0/16");
  });

  it("offers the architectures the request takes", () => {
    expect(cpuArchitectures({ cpu_architectures: ["X86_64", "ARM64", "RISCV"] })).toEqual(["X86_64", "ARM64"]);
  });

  it("leaves out a count that is not a number and says so next to the field", () => {
    const f = { ...formFromDefaults(DEFAULTS), desiredCount: "two" };
    expect("desired_count" in requestBody(f)).toBe(false);
    expect(localErrors(f).desiredCount).toMatch(/whole number/);
    expect(localErrors({ ...f, desiredCount: "3" })).toEqual({});
    expect(localErrors({ ...f, desiredCount: "3", https: true }).certificateArn).toMatch(/certificate ARN/);
  });

  it("offers only Fargate's memory sizes for a CPU and keeps a valid pair", () => {
    expect(memoryChoices(SIZES, 256)).toEqual([512, 1024, 2048]);
    expect(memoryChoices(SIZES, 3)).toEqual([]);
    const f = formFromDefaults(DEFAULTS); // 512 / 1024
    expect(withCpu(f, 256, SIZES)).toMatchObject({ cpu: 256, memory: 1024 });
    expect(withCpu({ ...f, memory: 4096 }, 256, SIZES)).toMatchObject({ cpu: 256, memory: 2048 });
    expect(withCpu(f, 1024, SIZES)).toMatchObject({ cpu: 1024, memory: 2048 });
  });

  it("splits ids on commas, spaces and lines", () => {
    expect(splitIds(" a,b  c;\nd ")).toEqual(["a", "b", "c", "d"]);
    expect(splitIds("")).toEqual([]);
  });

  it("keeps the typed form across a reload, ignoring what does not fit", () => {
    const s = storage();
    const base = formFromDefaults(DEFAULTS);
    saveForm(s, { ...base, namePrefix: "gw", cpu: 1024 });
    expect(loadForm(s, base)).toMatchObject({ namePrefix: "gw", cpu: 1024, region: "us-east-1" });
    s.setItem("switchboard.deploy.form", JSON.stringify({ cpu: "lots", bogus: 1 }));
    expect(loadForm(s, base)).toEqual(base);
    s.setItem("switchboard.deploy.form", "{not json");
    expect(loadForm(s, base)).toEqual(base);
  });
});

describe("validation display", () => {
  const errors = [
    { field: "name_prefix", message: "3-32 lower-case letters, digits and hyphens" },
    { field: "memory", message: "with 512 CPU units Fargate takes 1024-4096 MiB" },
    { field: "network.public_subnet_ids", message: "two or more subnets" },
    { field: "network.public_subnet_ids", message: "a subnet is listed twice" },
    { field: "template", message: "the template is broken" },
  ];

  it("puts each issue next to its field and keeps the others apart", () => {
    const v = issuesByField(errors);
    expect(v.byField.namePrefix).toBe("3-32 lower-case letters, digits and hyphens.");
    expect(v.byField.publicSubnets).toBe("Two or more subnets. A subnet is listed twice.");
    expect(v.general).toEqual([{ field: "template", message: "the template is broken" }]);
    expect(sentence("an AWS region such as us-east-1")).toBe("An AWS region such as us-east-1.");
  });

  it("shows errors of touched fields only, until Deploy is pressed", () => {
    const touched = new Set(["namePrefix", "desiredCount"] as const);
    const shown = visibleErrors(errors, { desiredCount: "A whole number", imageUri: "x" }, touched, false);
    expect(Object.keys(shown).sort()).toEqual(["desiredCount", "namePrefix"]);
    const all = visibleErrors(errors, { imageUri: "Required" }, touched, true);
    expect(Object.keys(all).sort()).toEqual(["imageUri", "memory", "namePrefix", "publicSubnets"]);
  });

  it("summarises resources and prices", () => {
    const s = resourceSummary([{ resource_type: "AWS::EC2::Subnet" }, { resource_type: "AWS::ECS::Service" }, { resource_type: "AWS::EC2::Subnet" }]);
    expect(s).toEqual([
      ["AWS::EC2::Subnet", 2],
      ["AWS::ECS::Service", 1],
    ]);
    expect(shortType("AWS::ElasticLoadBalancingV2::LoadBalancer")).toBe("ElasticLoadBalancingV2 LoadBalancer");
    expect(formatMonthly(36.5)).toBe("$36.50");
    expect(formatMonthly(1234.567)).toBe("$1,234.57");
    expect(formatMonthly(null)).toBe("no price");
  });
});

const ev = (n: number, logical: string, status: string, progress: number, extra: Partial<EventItem> = {}): EventItem => ({
  type: "event",
  event_id: `e${n}`,
  logical_id: logical,
  physical_id: "",
  resource_type: logical === "gw" ? "AWS::CloudFormation::Stack" : "AWS::X::Y",
  status,
  reason: null,
  timestamp: `2026-06-10T08:14:${String(n).padStart(2, "0")}Z`,
  progress,
  ...extra,
});
const plan = (operation: PlanItem["operation"], total: number): PlanItem => ({ type: "plan", operation, stack_name: "gw", stack_id: "arn:s", change_set_id: null, changes: [], total });
const done = (over: Partial<DoneItem>): DoneItem => ({
  type: "done",
  outcome: "succeeded",
  operation: "create",
  stack_name: "gw",
  stack_id: "arn:s",
  stack_status: "CREATE_COMPLETE",
  message: "The gateway is deployed.",
  failure: null,
  failures: [],
  outputs: {},
  health: null,
  ...over,
});

function feed(items: Progress[], kind: RunState["kind"] = "up"): RunState {
  let s = runReducer(null, { type: "start", kind, region: "us-east-1", stack: "gw", profile: null, at: 0 });
  for (const item of items) s = runReducer(s, { type: "item", item });
  return s!;
}

describe("progress over the SSE items", () => {
  it("reads the items of a stream, keep-alives and partial frames included", () => {
    const items: Progress[] = [];
    const p = new SSEParser((e) => {
      const item = parseProgressItem(e.data);
      if (item) items.push(item);
    });
    p.push('data: {"type":"plan","operation":"create","stack_name":"gw","stack_id":"a","change_set_id":null,"changes":[],"total":2}\n\n: waiting for CloudFormation\n\nda');
    p.push('ta: {"type":"event","event_id":"1","logical_id":"Vpc","physical_id":"","resource_type":"AWS::EC2::VPC","status":"CREATE_COMPLETE","reason":null,"timestamp":"t","progress":0.5}\n\n');
    p.push('data: {"type":"unknown"}\n\ndata: not json\n\n');
    p.end();
    expect(items.map((i) => i.type)).toEqual(["plan", "event"]);
  });

  it("follows a create to success: progress, counts, outcome", () => {
    const s = feed([
      plan("create", 3),
      ev(1, "gw", "CREATE_IN_PROGRESS", 0),
      ev(2, "Vpc", "CREATE_IN_PROGRESS", 0),
      ev(3, "Vpc", "CREATE_COMPLETE", 1 / 3),
      ev(3, "Vpc", "CREATE_COMPLETE", 1 / 3), // replayed: ignored
      ev(4, "Cluster", "CREATE_IN_PROGRESS", 1 / 3),
    ]);
    expect(s.events).toHaveLength(4);
    expect(s.progress).toBeCloseTo(1 / 3);
    expect(runCounts(s)).toEqual({ done: 1, inProgress: 1, failed: 0, total: 3 });
    expect(runTitle(s)).toBe("Deploying gw…");
    expect(progressTone(s)).toBe("accent");
    const end = runReducer(s, { type: "item", item: done({ outputs: { ServiceUrl: "http://alb" } }) })!;
    expect(end.progress).toBe(1);
    expect(runTitle(end)).toBe("Deployed");
    expect(progressTone(end)).toBe("ok");
    // A lost stream after done changes nothing.
    expect(runReducer(end, { type: "lost", error: new Error("x") })).toBe(end);
  });

  it("never moves the bar backwards, and shows a failure and its rollback", () => {
    const failure = { logical_id: "LoadBalancer", resource_type: "AWS::ElasticLoadBalancingV2::LoadBalancer", status: "CREATE_FAILED", reason: "subnet-1 not found" };
    const s = feed([
      plan("create", 4),
      ev(1, "Vpc", "CREATE_COMPLETE", 0.25),
      ev(2, "LoadBalancer", "CREATE_FAILED", 0.25, { reason: "subnet-1 not found" }),
      ev(3, "gw", "ROLLBACK_IN_PROGRESS", 0.25),
      ev(4, "Vpc", "DELETE_COMPLETE", 0.1),
    ]);
    expect(s.progress).toBe(0.25);
    expect(progressTone(s)).toBe("warn");
    // Vpc was created (then deleted by the rollback): it counts, like the bar; LoadBalancer failed.
    expect(runCounts(s)).toEqual({ done: 1, inProgress: 0, failed: 1, total: 4 });
    expect(resourceStates(s.events).find((r) => r.logical_id === "LoadBalancer")).toMatchObject({ status: "CREATE_FAILED", reason: "subnet-1 not found" });
    const end = runReducer(s, {
      type: "item",
      item: done({ outcome: "rolled_back", stack_status: "ROLLBACK_COMPLETE", failure, failures: [failure], message: "The deploy failed and was rolled back" }),
    })!;
    expect(end.progress).toBe(0.25);
    expect(outcomeView(end.done!)).toEqual({ tone: "red", title: "Deploy failed and rolled back" });
    // The sentence without the failure, which the page shows apart.
    expect(
      outcomeMessage({
        failure,
        message:
          "The deploy failed and was rolled back (nothing is left running; deploy again to retry): LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) CREATE_FAILED: subnet-1 not found",
      }),
    ).toBe("The deploy failed and was rolled back (nothing is left running; deploy again to retry).");
    expect(outcomeMessage({ failure: null, message: "The gateway is deployed." })).toBe("The gateway is deployed.");
    expect(plural(1, "resource")).toBe("1 resource");
    expect(plural(0, "resource")).toBe("0 resources");
    expect(progressTone(end)).toBe("danger");
  });

  it("counts a destroy's deletions and reports it deleted", () => {
    const s = feed([plan("delete", 2), ev(1, "gw", "DELETE_IN_PROGRESS", 0), ev(2, "A", "DELETE_COMPLETE", 0.5), ev(3, "B", "DELETE_SKIPPED", 1)], "down");
    expect(runCounts(s)).toMatchObject({ done: 2, total: 2 });
    expect(runTitle(s)).toBe("Destroying gw…");
    const end = runReducer(s, { type: "item", item: done({ outcome: "deleted", operation: "delete", stack_status: "DELETE_COMPLETE" }) })!;
    expect(outcomeView(end.done!).title).toBe("Deleted");
  });

  it("starts over when a follow replays the operation, and remembers a lost stream", () => {
    let s = feed([ev(1, "A", "CREATE_COMPLETE", 0.5)], "follow");
    expect(runTitle(s)).toBe("Following gw…");
    s = runReducer(s, { type: "item", item: plan("create", 2) })!;
    expect(s.events).toEqual([]);
    s = runReducer(s, { type: "item", item: { type: "message", text: "deleting the empty stack first" } })!;
    expect(s.messages).toEqual(["deleting the empty stack first"]);
    s = runReducer(s, { type: "lost", error: null })!;
    expect(s.lost).toBe("the stream ended");
    expect(runReducer(s, { type: "clear" })).toBeNull();
    expect(runReducer(null, { type: "item", item: plan("create", 1) })).toBeNull();
  });

  it("colours statuses and names outcomes", () => {
    expect(statusTone("CREATE_COMPLETE")).toBe("green");
    expect(statusTone("UPDATE_COMPLETE")).toBe("green");
    expect(statusTone("CREATE_IN_PROGRESS")).toBe("blue");
    expect(statusTone("CREATE_FAILED")).toBe("red");
    expect(statusTone("ROLLBACK_IN_PROGRESS")).toBe("amber");
    expect(statusTone("ROLLBACK_COMPLETE")).toBe("red");
    expect(statusTone("UPDATE_ROLLBACK_COMPLETE")).toBe("red");
    expect(statusTone("DELETE_COMPLETE")).toBe("neutral");
    expect(statusTone(null)).toBe("neutral");
    expect(outcomeView(done({ outcome: "succeeded", operation: "update" })).title).toBe("Updated");
    expect(outcomeView(done({ outcome: "no_changes" })).tone).toBe("blue");
    expect(outcomeView(done({ outcome: "failed", operation: "delete" })).title).toBe("Destroy failed");
    expect(outcomeView(done({ outcome: "error" })).tone).toBe("red");
    expect(outcomeView(done({ outcome: "not_found" })).title).toBe("No such stack");
    // Re-attached after a destroy that finished meanwhile.
    expect(outcomeView(done({ outcome: "not_found" }), "down")).toEqual({ tone: "green", title: "Deleted" });
    const followed = runReducer(null, { type: "start", kind: "follow", intent: "down", region: "r", stack: "gw", profile: null, at: 0 })!;
    expect(runTitle(followed)).toBe("Destroying gw…");
    expect(startRun("follow", { region: "r", stack: "s", profile: null }).intent).toBeNull();
    expect(startRun("up", { region: "r", stack: "s", profile: null }).intent).toBe("up");
    expect(startRun("up", { region: "r", stack: "s", profile: null }, 5).startedAt).toBe(5);
    expect(startRun("update", { region: "r", stack: "s", profile: null }).intent).toBe("up");
    expect(runTitle(startRun("update", { region: "r", stack: "s", profile: null }))).toBe("Updating s…");
    expect(elapsed(65_000)).toBe("1 min 05 s");
    expect(elapsed(4_200)).toBe("4 s");
  });
});

describe("building and pushing the image before the change set", () => {
  const image = (step: ImageItem["step"], over: Partial<ImageItem> = {}): ImageItem => ({ type: "image", step, text: `${step}.`, ...over });

  it("lists the steps, shows the blob on its way and keeps the pushed reference", () => {
    let s = feed([image("assembled", { blob: "layer", digest: "sha256:l", size: 1000 })]);
    expect(runTitle(s)).toBe("Pushing the image…");
    s = runReducer(s, { type: "item", item: image("uploading", { blob: "layer", digest: "sha256:l", size: 1000, sent: 250 }) })!;
    s = runReducer(s, { type: "item", item: image("uploading", { blob: "layer", digest: "sha256:l", size: 1000, sent: 750 }) })!;
    expect(s.image!.steps.map((x) => x.step)).toEqual(["assembled"]);
    expect(uploadFraction(s.image!.uploading!)).toBe(0.75);
    s = runReducer(s, { type: "item", item: image("uploaded", { blob: "layer", digest: "sha256:l", size: 1000 }) })!;
    expect(s.image!.uploading).toBeNull();
    s = runReducer(s, { type: "item", item: image("present", { blob: "config", digest: "sha256:c", size: 10 }) })!;
    s = runReducer(s, { type: "item", item: image("pushed", { reference: "127.0.0.1:5000/gw@sha256:m" }) })!;
    expect(s.image!.steps.map((x) => x.step)).toEqual(["assembled", "uploaded", "present", "pushed"]);
    expect(s.image!.reference).toBe("127.0.0.1:5000/gw@sha256:m");
    expect(runTitle(s)).toBe("Preparing gw…");
    // The stack's plan follows; the image stays in view.
    s = runReducer(s, { type: "item", item: plan("update", 2) })!;
    expect(runTitle(s)).toBe("Updating gw…");
    expect(s.image!.reference).toBe("127.0.0.1:5000/gw@sha256:m");
    expect(runTitle(feed([]))).toBe("Preparing gw…");
    expect(runTitle(feed([image("repository_created", { reference: "123.dkr.ecr.us-east-1.amazonaws.com/gw" })]))).toBe("Building the image…");
    expect(uploadFraction(image("uploading", { size: 0, sent: 0 }))).toBe(0);
  });

  it("parses image items from the stream", () => {
    expect(parseProgressItem('{"type":"image","step":"pushed","text":"Pushed.","reference":"r@sha256:1"}')).toMatchObject({ type: "image", step: "pushed" });
  });
});

describe("what the page keeps in sessionStorage", () => {
  const t = { region: "us-east-1", stack: "gw", profile: null };

  it("keeps the deployed URL for the AgentCore wiring and forgets it on destroy", () => {
    const s = storage();
    rememberDeployment(s, t, { outcome: "rolled_back", outputs: {} });
    expect(deployedUrl(s)).toBeNull();
    rememberDeployment(s, t, { outcome: "succeeded", outputs: { ServiceUrl: "http://gw-alb.elb.amazonaws.com" } });
    expect(s.getItem(DEPLOYED_URL_KEY)).toBe("http://gw-alb.elb.amazonaws.com");
    expect(JSON.parse(s.getItem(DEPLOYED_STACK_KEY)!)).toEqual({ url: "http://gw-alb.elb.amazonaws.com", ...t });
    // Destroying another stack keeps it; destroying this one forgets it.
    rememberDeployment(s, { ...t, stack: "other" }, { outcome: "deleted", outputs: {} });
    expect(deployedUrl(s)).not.toBeNull();
    rememberDeployment(s, t, { outcome: "deleted", outputs: {} });
    expect(deployedUrl(s)).toBeNull();
    expect(s.getItem(DEPLOYED_STACK_KEY)).toBeNull();
  });

  it("marks a running operation for a reload to re-attach", () => {
    const s = storage();
    expect(runningTarget(s)).toBeNull();
    markRunning(s, { kind: "down", ...t });
    expect(runningTarget(s)).toEqual({ kind: "down", ...t });
    clearRunning(s);
    expect(runningTarget(s)).toBeNull();
    s.setItem("switchboard.deploy.running", "[]");
    expect(runningTarget(s)).toBeNull();
  });
});

describe("switching this tab to the deployed gateway", () => {
  it("from a signed-in browser tab, and back", () => {
    (globalThis as unknown as { window: object }).window = {};
    const s = storage();
    saveSession({ url: "http://127.0.0.1:4000", masterKey: "sk-local" }, s);
    const local = loadSession(s)!;
    switchSession({ url: "http://alb", masterKey: "sk-remote" }, local, s);
    expect(loadSession(s)).toEqual({ url: "http://alb", masterKey: "sk-remote", injected: false });
    expect(previousSession(s)).toEqual({ injected: false, url: "http://127.0.0.1:4000", masterKey: "sk-local" });
    switchBack(s);
    expect(loadSession(s)).toEqual({ url: "http://127.0.0.1:4000", masterKey: "sk-local", injected: false });
    expect(previousSession(s)).toBeNull();
  });

  it("from the desktop app's injected gateway, and back; sign-out forgets both", () => {
    (globalThis as unknown as { window: object }).window = { __SWITCHBOARD__: { url: "http://127.0.0.1:4123", masterKey: "sk-app" } };
    try {
      const s = storage();
      const injected = loadSession(s)!;
      expect(injected.injected).toBe(true);
      switchSession({ url: "http://alb", masterKey: "sk-remote" }, injected, s);
      expect(loadSession(s)).toEqual({ url: "http://alb", masterKey: "sk-remote", injected: false });
      expect(previousSession(s)).toEqual({ injected: true, url: "http://127.0.0.1:4123" });
      expect(s.m.get("switchboard.previousSession")).not.toContain("sk-app");
      switchBack(s);
      expect(loadSession(s)).toEqual({ url: "http://127.0.0.1:4123", masterKey: "sk-app", injected: true });
      switchSession({ url: "http://alb", masterKey: "sk-remote" }, injected, s);
      clearSession(s);
      expect(loadSession(s)?.injected).toBe(true);
    } finally {
      (globalThis as unknown as { window: object }).window = {};
    }
  });
});

describe("AWS errors, explained", () => {
  const NO_CREDS =
    "cloudformation:DescribeStacks: dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:\n  Environment: the credential provider was not enabled: environment variable not set (DispatchFailure(DispatchFailure { source: ConnectorError { kind: Other(None) } }))";

  it("tells missing credentials, denied access, expired and invalid tokens apart", () => {
    expect(explainAws(NO_CREDS).title).toBe("No AWS credentials were found.");
    expect(explainAws(NO_CREDS).hint).toMatch(/aws sso login/);
    const denied = explainAws(
      "cloudformation:CreateChangeSet: AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: cloudformation:CreateChangeSet on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/gw/*",
    );
    expect(denied.title).toBe("AWS denied access to cloudformation:CreateChangeSet.");
    expect(denied.hint).toMatch(/CAPABILITY_IAM/);
    expect(explainAws("sts:GetCallerIdentity: ExpiredToken: The security token included in the request is expired").title).toMatch(/expired/);
    expect(explainAws("sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.").title).toBe("AWS refused the credentials.");
    const v = explainAws("CloudFormation refused the change: ValidationError: Parameter 'Cpu' must be one of AllowedValues");
    expect(v.title).toBe("CloudFormation refused the request.");
    expect(v.hint).toMatch(/AllowedValues/);
    expect(explainAws("cloudformation:DescribeStacks: dispatch failure: io: error trying to connect: dns error").title).toBe("AWS could not be reached.");
    expect(explainAws("something else entirely").title).toBe("AWS returned an error.");
  });

  it("goes through the panel's explainer for aws_error answers, with the debug dump cut", () => {
    const e = new ApiError({ status: 502, type: "aws_error", message: NO_CREDS });
    expect(explainError(e).title).toBe("No AWS credentials were found.");
    expect(awsSummary(NO_CREDS)).toBe("cloudformation:DescribeStacks: dispatch failure: other: the credential provider was not enabled: no credentials found in chain.");
    expect(awsSummary("x".repeat(500))).toHaveLength(401);
  });
});
