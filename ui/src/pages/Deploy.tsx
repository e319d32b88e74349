// "Deploy to AWS": the gateway's /deploy/* routes as a form, a live progress view, the stack's
// status, destroy, and switching this tab to the deployed gateway. See deploy/README.md.

import { type ReactNode, useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { AwsErrorNotice, CfnStatus, DestroyDialog, FailureBox, HealthLine, ManageDialog, OutputsList, ProgressView } from "../components/deploy";
import { Badge, EmptyState, Field, PageHeader, Spinner, TextInput } from "../components/ui";
import { useApp } from "../context";
import { useAsync } from "../hooks";
import {
  type DeployForm,
  type DeployOptions,
  type FormKey,
  type Identity,
  type RunKind,
  type RunTarget,
  type StackStatus,
  type ValidateResult,
  FIELD_LABELS,
  clearRunning,
  cpuLabel,
  formFromDefaults,
  formatMonthly,
  issuesByField,
  loadForm,
  localErrors,
  markRunning,
  memoryChoices,
  memoryLabel,
  rememberDeployment,
  requestBody,
  resourceSummary,
  runReducer,
  runningTarget,
  saveForm,
  sentence,
  shortType,
  visibleErrors,
  withCpu,
} from "../lib/deploy";
import { type DeployCall, DeployRefused, type StackTarget, deployOptions, stackStatus, streamDeploy, validateDeploy } from "../lib/deployApi";
import { formatRelative } from "../lib/format";
import "./Deploy.css";

type Tab = "form" | "progress" | "status";

const REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-3", "ap-northeast-1", "ap-southeast-2"];
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PREFIX_RE = /^[a-z](?!.*--)[a-z0-9-]{1,30}[a-z0-9]$/;

interface Check {
  key: string;
  result?: ValidateResult;
  error?: unknown;
  pending: boolean;
}

interface StackInfo {
  key: string;
  status?: StackStatus;
  error?: unknown;
  loading: boolean;
}

export function DeployPage() {
  const { gw, toast } = useApp();
  const options = useAsync((signal) => deployOptions(gw, signal), [gw]);
  const [form, setFormState] = useState<DeployForm | null>(null);
  const [touched, setTouched] = useState<Set<FormKey>>(new Set());
  const [showAll, setShowAll] = useState(false);
  const [check, setCheck] = useState<Check>({ key: "", pending: false });
  const [identity, setIdentity] = useState<{ loading: boolean; identity?: Identity; error?: unknown } | null>(null);
  const [stack, setStack] = useState<StackInfo>({ key: "", loading: false });
  const [stackTick, setStackTick] = useState(0);
  const [tab, setTab] = useState<Tab>("form");
  const [run, dispatch] = useReducer(runReducer, null);
  const [upRefused, setUpRefused] = useState<DeployRefused | null>(null);
  const [destroying, setDestroying] = useState<StackTarget | null>(null);
  const [managing, setManaging] = useState<StackTarget | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const lastCall = useRef<{ target: RunTarget } | null>(null);

  // The form: the gateway's defaults, or what this tab typed before.
  useEffect(() => {
    if (options.data && !form) setFormState(loadForm(sessionStorage, formFromDefaults(options.data.defaults)));
  }, [options.data, form]);
  useEffect(() => {
    if (form) saveForm(sessionStorage, form);
  }, [form]);

  const set = useCallback(<K extends FormKey>(k: K, v: DeployForm[K]) => {
    setFormState((f) => (f ? { ...f, [k]: v } : f));
    setTouched((t) => (t.has(k) ? t : new Set(t).add(k)));
  }, []);

  const body = useMemo(() => (form ? requestBody(form) : null), [form]);
  const bodyKey = body ? JSON.stringify(body) : "";

  // Live validation (debounced): errors, warnings, resources, cost. Nothing is created.
  useEffect(() => {
    if (!body) return;
    const ctl = new AbortController();
    setCheck((c) => ({ ...c, pending: true }));
    const t = window.setTimeout(() => {
      validateDeploy(gw, body, { signal: ctl.signal }).then(
        (result) => setCheck({ key: bodyKey, result, pending: false }),
        (error) => {
          if (!ctl.signal.aborted) setCheck({ key: bodyKey, error, pending: false });
        },
      );
    }, 350);
    return () => {
      window.clearTimeout(t);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gw, bodyKey]);

  const target: StackTarget | null = form ? { region: form.region.trim(), stack: form.namePrefix.trim(), profile: form.profile.trim() || null } : null;
  const targetKey = target ? `${target.region}|${target.stack}|${target.profile ?? ""}` : "";
  const targetOk = !!target && REGION_RE.test(target.region) && PREFIX_RE.test(target.stack);

  // Whether the stack exists (Deploy or Update), debounced; again after every operation.
  useEffect(() => {
    if (!target || !targetOk) {
      setStack({ key: targetKey, loading: false });
      return;
    }
    const ctl = new AbortController();
    setStack((s) => ({ ...s, loading: true }));
    const t = window.setTimeout(() => {
      stackStatus(gw, target, { signal: ctl.signal }).then(
        (status) => setStack({ key: targetKey, status, loading: false }),
        (error) => {
          if (!ctl.signal.aborted) setStack({ key: targetKey, error, loading: false });
        },
      );
    }, 500);
    return () => {
      window.clearTimeout(t);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gw, targetKey, targetOk, stackTick]);

  // ------------------------------------------------------------ operations

  const begin = useCallback(
    (call: DeployCall, t: RunTarget, kind: RunKind) => {
      abortRef.current?.abort();
      const ctl = new AbortController();
      abortRef.current = ctl;
      lastCall.current = { target: t };
      markRunning(sessionStorage, t);
      dispatch({ type: "start", kind, intent: t.kind === "follow" ? null : t.kind, region: t.region, stack: t.stack, profile: t.profile, at: Date.now() });
      setUpRefused(null);
      setTab("progress");
      let finished = false;
      streamDeploy(
        gw,
        call,
        (item) => {
          if (item.type === "done") {
            finished = true;
            clearRunning(sessionStorage);
            rememberDeployment(sessionStorage, t, item);
            setStackTick((n) => n + 1);
          }
          dispatch({ type: "item", item });
        },
        ctl.signal,
      ).then(
        () => {
          if (!finished && !ctl.signal.aborted) dispatch({ type: "lost", error: null });
        },
        (error) => {
          if (ctl.signal.aborted) return;
          if (error instanceof DeployRefused && call.kind === "up") {
            // Refused before anything was created (the form changed meanwhile, or the stack is busy).
            clearRunning(sessionStorage);
            dispatch({ type: "clear" });
            setUpRefused(error);
            setShowAll(true);
            setTab("form");
            return;
          }
          if (error instanceof DeployRefused) clearRunning(sessionStorage);
          dispatch({ type: "lost", error });
        },
      );
    },
    [gw],
  );

  // Stop following when leaving the page (CloudFormation goes on; coming back re-attaches).
  useEffect(() => () => abortRef.current?.abort(), []);

  // A reload (or a return to this page) during an operation re-attaches to it.
  useEffect(() => {
    const t = runningTarget(sessionStorage);
    if (t) begin({ kind: "follow", target: t }, t, "follow");
  }, [begin]);

  const follow = (t: StackTarget, kind: RunKind = "up") => {
    const rt: RunTarget = { kind, region: t.region, stack: t.stack, profile: t.profile ?? null };
    begin({ kind: "follow", target: rt }, rt, "follow");
  };

  const localErrs = form ? localErrors(form, options.data?.max_desired_count ?? 10) : {};
  const current = check.key === bodyKey ? check.result : undefined;
  const serverErrors = check.result?.errors ?? [];
  const refusedErrors = upRefused?.validation?.errors ?? [];
  const errors = form ? visibleErrors(refusedErrors.length && !current ? refusedErrors : serverErrors, localErrs, touched, showAll) : {};
  const warnings = issuesByField(check.result?.warnings ?? []).byField;
  const allErrorCount = (check.result?.errors.length ?? 0) + Object.keys(localErrs).length;
  const stackNow = stack.key === targetKey ? stack.status : undefined;
  const busy = !!run && !run.done && !run.lost;
  const exists = !!stackNow?.exists && stackNow.status !== "ROLLBACK_COMPLETE";

  const deploy = () => {
    if (!form || !body || !target) return;
    setShowAll(true);
    if (Object.keys(localErrs).length > 0 || (current && !current.ok)) {
      document.querySelector(".deploy-form .has-error")?.scrollIntoView({ block: "center", behavior: "smooth" });
      return;
    }
    begin({ kind: "up", body }, { kind: "up", region: target.region, stack: target.stack, profile: target.profile ?? null }, "up");
  };

  const focusField = (k: FormKey) => {
    setShowAll(true);
    if (k === "masterKeySecretArn" || k === "modelsConfig" || k === "logRetentionDays") document.querySelector<HTMLDetailsElement>(".deploy-form details.advanced")?.setAttribute("open", "");
    const el = document.getElementById(FIELD_IDS[k] ?? "");
    el?.scrollIntoView({ block: "center", behavior: "smooth" });
    el?.focus({ preventScroll: true });
  };

  const whoami = async () => {
    if (!body) return;
    setIdentity({ loading: true });
    try {
      const r = await validateDeploy(gw, body, { whoami: true });
      setIdentity(r.identity ? { loading: false, identity: r.identity } : { loading: false, error: r.identity_error ?? "The gateway did not check the identity: fix the region first." });
    } catch (e) {
      setIdentity({ loading: false, error: e });
    }
  };

  const runTarget: StackTarget | null = run ? { region: run.region, stack: run.stack, profile: run.profile } : null;
  const runSucceeded = run?.done && (run.done.outcome === "succeeded" || run.done.outcome === "no_changes");

  // ------------------------------------------------------------ render

  const tabs: Array<[Tab, string, boolean]> = [
    ["form", "Configure", true],
    ["progress", "Progress", !!run],
    ["status", "Status", true],
  ];

  return (
    <div className="page page-deploy">
      <PageHeader
        title="Deploy to AWS"
        subtitle="One CloudFormation stack: ECS Fargate behind a load balancer, the master key in Secrets Manager, PostgreSQL on RDS. AWS calls use the gateway's own credentials (the standard chain, or the profile below)."
      />
      <div className="tabs deploy-tabs" role="tablist">
        {tabs
          .filter(([, , shown]) => shown)
          .map(([t, label]) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} className={`tab${tab === t ? " active" : ""}`} onClick={() => setTab(t)} data-testid={`deploy-tab-${t}`}>
              {label}
              {t === "progress" && busy && <span className="tab-dot" aria-label="running" />}
            </button>
          ))}
      </div>

      {options.error != null && <AwsErrorNotice error={options.error} testid="deploy-options-error" />}
      {options.loading && !options.data && <Spinner label="Loading the deploy options…" />}

      {tab === "form" && form && options.data && (
        <div className="deploy-grid">
          <DeployFormView form={form} options={options.data} set={set} setForm={setFormState} errors={errors} warnings={warnings} identity={identity} onWhoami={whoami} />
          <aside className="deploy-side">
            <div className="card plan-card" data-testid="deploy-summary">
              <div className="card-head">
                <h2>Before you deploy</h2>
                {check.pending && <Spinner label="checking…" />}
              </div>
              <ValidationSummary check={check} current={current} fieldErrors={visibleErrors(serverErrors, localErrs, touched, true)} onField={focusField} />
              {upRefused && !upRefused.validation && <AwsErrorNotice error={upRefused} testid="deploy-up-refused" />}
              {check.result && <CostView result={check.result} />}
              {check.result && check.result.resources.length > 0 && <ResourcesView result={check.result} />}
              <StackLine info={stack} current={stackNow} targetOk={targetOk} target={target} onFollow={() => target && follow(target)} />
              <button
                type="button"
                className="btn btn-primary btn-block deploy-button"
                onClick={deploy}
                disabled={busy || !!stackNow?.in_progress}
                data-testid="deploy-submit"
                data-action={exists ? "update" : "deploy"}
              >
                {busy ? "Running…" : !targetOk ? "Deploy" : exists ? `Update ${target?.stack}` : stackNow?.status === "ROLLBACK_COMPLETE" ? `Deploy ${target?.stack} again` : `Deploy ${target?.stack}`}
              </button>
              {allErrorCount > 0 && showAll && (
                <p className="error-text small center" data-testid="deploy-blocked">
                  Fix the {allErrorCount === 1 ? "field" : `${allErrorCount} fields`} marked in red first.
                </p>
              )}
              {stackNow?.status === "ROLLBACK_COMPLETE" && <p className="muted small">The last deploy was rolled back: the empty stack is deleted first.</p>}
            </div>
          </aside>
        </div>
      )}

      {tab === "progress" && run && (
        <ProgressView
          run={run}
          onReattach={() => lastCall.current && follow(lastCall.current.target, lastCall.current.target.kind)}
          actions={
            run.done ? (
              <>
                {runSucceeded && runTarget && (
                  <button type="button" className="btn btn-primary" onClick={() => setManaging(runTarget)} data-testid="deploy-manage">
                    Manage the deployed gateway
                  </button>
                )}
                <button type="button" className="btn" onClick={() => setTab("status")} data-testid="deploy-open-status">
                  Status
                </button>
                <button type="button" className="btn btn-ghost" onClick={() => setTab("form")} data-testid="deploy-back-to-form">
                  Back to the form
                </button>
                {runSucceeded && run.done.outputs.ServiceUrl && (
                  <span className="muted small run-note">
                    The AgentCore wiring of this tab uses <span className="mono">{run.done.outputs.ServiceUrl}</span> as its API base.
                  </span>
                )}
              </>
            ) : null
          }
        />
      )}

      {tab === "status" && target && (
        <StatusView
          target={target}
          targetOk={targetOk}
          busy={busy}
          onManage={() => setManaging(target)}
          onDestroy={() => setDestroying(target)}
          onFollow={() => follow(target)}
          onDeploy={() => setTab("form")}
          tick={stackTick}
        />
      )}

      {destroying && (
        <DestroyDialog
          target={destroying}
          onClose={() => setDestroying(null)}
          onConfirm={(typed) => {
            const t = destroying;
            setDestroying(null);
            const rt: RunTarget = { kind: "down", region: t.region, stack: t.stack, profile: t.profile ?? null };
            begin({ kind: "down", target: t, confirm: typed }, rt, "down");
            toast(`Destroying ${t.stack}…`, "info");
          }}
        />
      )}
      {managing && <ManageDialog target={managing} onClose={() => setManaging(null)} />}
    </div>
  );
}

// ------------------------------------------------------------ the form

function DeployFormView({
  form,
  options,
  set,
  setForm,
  errors,
  warnings,
  identity,
  onWhoami,
}: {
  form: DeployForm;
  options: DeployOptions;
  set: <K extends FormKey>(k: K, v: DeployForm[K]) => void;
  setForm: (f: (f: DeployForm | null) => DeployForm | null) => void;
  errors: Partial<Record<FormKey, string>>;
  warnings: Partial<Record<FormKey, string>>;
  identity: { loading: boolean; identity?: Identity; error?: unknown } | null;
  onWhoami: () => void;
}) {
  const cpus = options.fargate_sizes.map((s) => s.cpu);
  const memories = memoryChoices(options, form.cpu);
  const maxCount = options.max_desired_count;
  const w = (k: FormKey) => (errors[k] ? null : warnings[k]);
  const hint = (k: FormKey, text: ReactNode) => (w(k) ? <span className="field-warn" data-testid={`warn-${k}`}>{w(k)}</span> : text);

  return (
    <form className="deploy-form" onSubmit={(e) => e.preventDefault()} noValidate data-testid="deploy-form">
      <fieldset className="card fieldset-card">
        <legend>Where</legend>
        <div className="form-row form-row-3">
          <Field label="Region" htmlFor="d-region" error={errors.region} hint="Bedrock models must be enabled there">
            <TextInput id="d-region" value={form.region} onChange={(v) => set("region", v)} testid="deploy-region" mono list="d-regions" invalid={!!errors.region} />
            <datalist id="d-regions">
              {REGIONS.map((r) => (
                <option key={r} value={r} />
              ))}
            </datalist>
          </Field>
          <Field label="AWS profile" htmlFor="d-profile" optional error={errors.profile} hint="Of ~/.aws/config where the gateway runs; empty: its default chain">
            <TextInput id="d-profile" value={form.profile} onChange={(v) => set("profile", v)} testid="deploy-profile" mono placeholder="default chain" invalid={!!errors.profile} />
          </Field>
          <Field label="Name prefix" htmlFor="d-prefix" error={errors.namePrefix} hint={<>Names the stack, the ECS cluster and the log group /ecs/{form.namePrefix || "<prefix>"}</>}>
            <TextInput id="d-prefix" value={form.namePrefix} onChange={(v) => set("namePrefix", v)} testid="deploy-name-prefix" mono invalid={!!errors.namePrefix} />
          </Field>
        </div>
        <div className="identity-row">
          <button type="button" className="btn btn-sm" onClick={onWhoami} disabled={identity?.loading} data-testid="deploy-whoami">
            {identity?.loading ? "Checking…" : "Check AWS identity"}
          </button>
          {identity?.identity && (
            <span className="identity-ok" data-testid="deploy-identity">
              <span className="dot dot-green" aria-hidden="true" /> <span className="mono wrap">{identity.identity.arn}</span>{" "}
              <span className="muted">
                account {identity.identity.account} · {identity.identity.region}
              </span>
            </span>
          )}
          {!identity && <span className="muted small">Who the gateway deploys as (STS GetCallerIdentity); nothing is created.</span>}
        </div>
        {identity?.error != null && <AwsErrorNotice error={identity.error} testid="deploy-identity-error" compact />}
      </fieldset>

      <fieldset className="card fieldset-card">
        <legend>Gateway</legend>
        <Field
          label="Image URI"
          htmlFor="d-image"
          error={errors.imageUri}
          hint={hint("imageUri", <>Built from deploy/Dockerfile and pushed to ECR, with a versioned tag (an update with the same URI starts no new tasks)</>)}
        >
          <TextInput
            id="d-image"
            value={form.imageUri}
            onChange={(v) => set("imageUri", v)}
            testid="deploy-image"
            mono
            placeholder="123456789012.dkr.ecr.us-east-1.amazonaws.com/switchboard:0.1.0"
            invalid={!!errors.imageUri}
          />
        </Field>
        <div className="form-row form-row-4">
          <Field label="CPU" htmlFor="d-cpu" error={errors.cpu}>
            <select id="d-cpu" className="input" value={form.cpu} onChange={(e) => setForm((f) => (f ? withCpu(f, Number(e.target.value), options) : f))} data-testid="deploy-cpu">
              {cpus.map((c) => (
                <option key={c} value={c}>
                  {c} ({cpuLabel(c)})
                </option>
              ))}
            </select>
          </Field>
          <Field label="Memory" htmlFor="d-memory" error={errors.memory} hint="Valid Fargate sizes for this CPU">
            <select id="d-memory" className="input" value={form.memory} onChange={(e) => set("memory", Number(e.target.value))} data-testid="deploy-memory">
              {(memories.length ? memories : [form.memory]).map((m) => (
                <option key={m} value={m}>
                  {memoryLabel(m)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Tasks" htmlFor="d-count" error={errors.desiredCount} hint={hint("desiredCount", `0-${maxCount}; 0 stops them`)}>
            <TextInput id="d-count" value={form.desiredCount} onChange={(v) => set("desiredCount", v)} testid="deploy-desired-count" inputMode="numeric" invalid={!!errors.desiredCount} />
          </Field>
          <Field label="Architecture" error={errors.arch} hint={form.arch === "ARM64" ? "~20% cheaper; the image must be arm64" : "ARM64 is ~20% cheaper"}>
            <div className="segmented" data-testid="deploy-arch">
              {options.cpu_architectures.map((a) => (
                <button key={a} type="button" className={form.arch === a ? "on" : ""} aria-pressed={form.arch === a} onClick={() => set("arch", a)} data-value={a}>
                  {a === "X86_64" ? "x86-64" : "ARM64"}
                </button>
              ))}
            </div>
          </Field>
        </div>
      </fieldset>

      <fieldset className="card fieldset-card">
        <legend>Data</legend>
        <Switch checked={form.enableRds} onChange={(v) => set("enableRds", v)} testid="deploy-rds" label="PostgreSQL on RDS" detail="Keys, teams and spend survive updates. Off: SQLite inside each task, lost on every update." />
        {w("enableRds") && !form.enableRds && (
          <div className="field-warn block" data-testid="warn-enableRds">
            {w("enableRds")}
          </div>
        )}
        {form.enableRds && (
          <div className="switch-body">
            <Field label="Instance class" htmlFor="d-dbclass" error={errors.dbInstanceClass}>
              <TextInput id="d-dbclass" value={form.dbInstanceClass} onChange={(v) => set("dbInstanceClass", v)} testid="deploy-db-class" mono invalid={!!errors.dbInstanceClass} />
            </Field>
          </div>
        )}
        <Switch checked={form.enableRedis} onChange={(v) => set("enableRedis", v)} testid="deploy-redis" label="Redis on ElastiCache" detail="Passed to the tasks as REDIS_URL (the gateway does not share limits through Redis yet)." />
        {form.enableRedis && (
          <div className="switch-body">
            <Field label="Node type" htmlFor="d-cache" error={errors.cacheNodeType}>
              <TextInput id="d-cache" value={form.cacheNodeType} onChange={(v) => set("cacheNodeType", v)} testid="deploy-cache-type" mono invalid={!!errors.cacheNodeType} />
            </Field>
          </div>
        )}
      </fieldset>

      <fieldset className="card fieldset-card">
        <legend>Network</legend>
        <div className="segmented network-mode" data-testid="deploy-network">
          <button type="button" className={form.networkMode === "new" ? "on" : ""} aria-pressed={form.networkMode === "new"} onClick={() => set("networkMode", "new")} data-value="new">
            New VPC
          </button>
          <button type="button" className={form.networkMode === "existing" ? "on" : ""} aria-pressed={form.networkMode === "existing"} onClick={() => set("networkMode", "existing")} data-value="existing">
            Existing VPC
          </button>
        </div>
        {form.networkMode === "new" ? (
          <Field label="VPC CIDR" htmlFor="d-cidr" error={errors.vpcCidr} hint="/16 to /24, split into two public and two private subnets in two AZs, with one NAT gateway">
            <TextInput id="d-cidr" value={form.vpcCidr} onChange={(v) => set("vpcCidr", v)} testid="deploy-vpc-cidr" mono invalid={!!errors.vpcCidr} />
          </Field>
        ) : (
          <>
            <Field label="VPC id" htmlFor="d-vpc" error={errors.vpcId}>
              <TextInput id="d-vpc" value={form.vpcId} onChange={(v) => set("vpcId", v)} testid="deploy-vpc-id" mono placeholder="vpc-0123456789abcdef0" invalid={!!errors.vpcId} />
            </Field>
            <div className="form-row">
              <Field label="Public subnets" htmlFor="d-pub" error={errors.publicSubnets} hint="Two or more in different AZs, one per line or comma-separated: the load balancer">
                <textarea
                  id="d-pub"
                  className="input textarea mono subnets"
                  rows={2}
                  value={form.publicSubnets}
                  onChange={(e) => set("publicSubnets", e.target.value)}
                  data-testid="deploy-public-subnets"
                  placeholder={"subnet-…\nsubnet-…"}
                  spellCheck={false}
                  aria-invalid={!!errors.publicSubnets || undefined}
                />
              </Field>
              <Field
                label="Private subnets"
                htmlFor="d-priv"
                error={errors.privateSubnets}
                hint={hint("privateSubnets", "Two or more: tasks, RDS, Redis; they need outbound access to ECR, Secrets Manager, Logs and Bedrock")}
              >
                <textarea
                  id="d-priv"
                  className="input textarea mono subnets"
                  rows={2}
                  value={form.privateSubnets}
                  onChange={(e) => set("privateSubnets", e.target.value)}
                  data-testid="deploy-private-subnets"
                  placeholder={"subnet-…\nsubnet-…"}
                  spellCheck={false}
                  aria-invalid={!!errors.privateSubnets || undefined}
                />
              </Field>
            </div>
          </>
        )}
      </fieldset>

      <fieldset className="card fieldset-card">
        <legend>HTTPS</legend>
        <Switch checked={form.https} onChange={(v) => set("https", v)} testid="deploy-https" label="HTTPS with an ACM certificate" detail="Listener 443 with the certificate; port 80 redirects to it." />
        {!form.https && w("certificateArn") && (
          <div className="field-warn block" data-testid="warn-certificateArn">
            {w("certificateArn")}
          </div>
        )}
        {form.https && (
          <div className="switch-body form-row">
            <Field label="Certificate ARN" htmlFor="d-cert" error={errors.certificateArn} hint="In the same region as the load balancer">
              <TextInput id="d-cert" value={form.certificateArn} onChange={(v) => set("certificateArn", v)} testid="deploy-certificate" mono placeholder="arn:aws:acm:us-east-1:123456789012:certificate/…" invalid={!!errors.certificateArn} />
            </Field>
            <Field label="Domain name" htmlFor="d-domain" error={errors.domainName} hint={hint("domainName", "The name the certificate covers; point a CNAME at the load balancer")}>
              <TextInput id="d-domain" value={form.domainName} onChange={(v) => set("domainName", v)} testid="deploy-domain" mono placeholder="llm.example.com" invalid={!!errors.domainName} />
            </Field>
          </div>
        )}
      </fieldset>

      <details className="card fieldset-card advanced" open={!!(errors.masterKeySecretArn || errors.modelsConfig || form.masterKeySecretArn || form.modelsConfig) || undefined}>
        <summary data-testid="deploy-advanced">Advanced: master key, models, logs</summary>
        <Field
          label="Master key secret ARN"
          htmlFor="d-secret"
          optional
          error={errors.masterKeySecretArn}
          hint="An existing Secrets Manager secret holding the master key as plain text (kept on destroy). Empty: a generated sk-… key."
        >
          <TextInput id="d-secret" value={form.masterKeySecretArn} onChange={(v) => set("masterKeySecretArn", v)} testid="deploy-master-key-secret" mono placeholder="arn:aws:secretsmanager:us-east-1:123456789012:secret:…" invalid={!!errors.masterKeySecretArn} />
        </Field>
        <Field label="Models (config.yaml)" htmlFor="d-models" optional error={errors.modelsConfig} hint="Empty: claude-sonnet and claude-haiku on Bedrock in the stack's region. Keep it under ~3 KB; add more with /model/new once deployed.">
          <textarea
            id="d-models"
            className="input textarea mono"
            rows={4}
            value={form.modelsConfig}
            onChange={(e) => set("modelsConfig", e.target.value)}
            data-testid="deploy-models-config"
            spellCheck={false}
            aria-invalid={!!errors.modelsConfig || undefined}
            placeholder={"model_list:\n  - model_name: claude-haiku\n    litellm_params: {model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0}"}
          />
        </Field>
        <Field label="Log retention" htmlFor="d-logs" error={errors.logRetentionDays}>
          <select id="d-logs" className="input input-narrow-select" value={form.logRetentionDays} onChange={(e) => set("logRetentionDays", Number(e.target.value))} data-testid="deploy-log-retention">
            {options.log_retention_days.map((d) => (
              <option key={d} value={d}>
                {d} {d === 1 ? "day" : "days"}
              </option>
            ))}
          </select>
        </Field>
      </details>
    </form>
  );
}

function Switch({ checked, onChange, label, detail, testid }: { checked: boolean; onChange: (v: boolean) => void; label: string; detail?: string; testid?: string }) {
  return (
    <label className="switch-row">
      <input type="checkbox" role="switch" className="switch" checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testid} aria-checked={checked} />
      <span>
        <span className="switch-label">{label}</span>
        {detail && <span className="muted small switch-detail">{detail}</span>}
      </span>
    </label>
  );
}

// ------------------------------------------------------------ the summary column

const FIELD_IDS: Partial<Record<FormKey, string>> = {
  region: "d-region",
  profile: "d-profile",
  namePrefix: "d-prefix",
  imageUri: "d-image",
  cpu: "d-cpu",
  memory: "d-memory",
  desiredCount: "d-count",
  dbInstanceClass: "d-dbclass",
  cacheNodeType: "d-cache",
  vpcCidr: "d-cidr",
  vpcId: "d-vpc",
  publicSubnets: "d-pub",
  privateSubnets: "d-priv",
  certificateArn: "d-cert",
  domainName: "d-domain",
  masterKeySecretArn: "d-secret",
  modelsConfig: "d-models",
  logRetentionDays: "d-logs",
};

function ValidationSummary({
  check,
  current,
  fieldErrors,
  onField,
}: {
  check: Check;
  current: ValidateResult | undefined;
  fieldErrors: Partial<Record<FormKey, string>>;
  onField: (k: FormKey) => void;
}) {
  if (check.error != null) return <AwsErrorNotice error={check.error} testid="deploy-validate-error" compact />;
  const r = check.result;
  if (!r) return <p className="muted">Checking the form…</p>;
  const general = issuesByField(r.errors).general;
  const listed = Object.entries(fieldErrors) as Array<[FormKey, string]>;
  const count = listed.length + general.length;
  return (
    <div data-testid="deploy-validation" data-ok={count === 0 && current ? "true" : "false"}>
      {count === 0 ? (
        <div className="check-line ok">
          <span className="check-icon">✓</span> The form is valid{current ? "" : " (checking the last change…)"}.
        </div>
      ) : (
        <>
          <div className="check-line bad" data-testid="deploy-error-count">
            <span className="check-icon">!</span> {count === 1 ? "1 field to fix" : `${count} fields to fix`}
          </div>
          <ul className="field-errors" data-testid="deploy-field-errors">
            {listed.map(([k, message]) => (
              <li key={k}>
                <button type="button" className="btn-link" onClick={() => onField(k)}>
                  {FIELD_LABELS[k]}
                </button>
                <span className="muted">: {message}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {general.map((g) => (
        <div key={g.field + g.message} className="notice notice-error compact">
          <span className="mono">{g.field}</span>: {g.message}
        </div>
      ))}
      {r.warnings.length > 0 && (
        <ul className="warnings" data-testid="deploy-warnings">
          {r.warnings.map((w) => (
            <li key={w.field + w.message}>
              <span className="warn-icon" aria-hidden="true">
                ⚠
              </span>
              <span>{sentence(w.message)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CostView({ result }: { result: ValidateResult }) {
  const e = result.estimate;
  return (
    <div className="cost" data-testid="deploy-cost">
      <div className="cost-head">
        <h3 className="section-title">Monthly cost estimate</h3>
        <span className="cost-total" data-testid="deploy-cost-total">
          ≈ {formatMonthly(e.total_monthly_usd)}
          <span className="muted small"> / month</span>
        </span>
      </div>
      <table className="cost-table">
        <tbody>
          {e.lines.map((l) => (
            <tr key={l.item}>
              <td>
                <div>{l.item}</div>
                <div className="muted small">{l.detail}</div>
              </td>
              <td className="num nowrap">{formatMonthly(l.monthly_usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {e.region_note && <div className="field-warn block">{sentence(e.region_note)}</div>}
      <details className="cost-notes">
        <summary>What the estimate is based on</summary>
        <p className="small">{sentence(e.basis)}</p>
        <p className="small muted">Not included: {e.excludes}.</p>
      </details>
    </div>
  );
}

function ResourcesView({ result }: { result: ValidateResult }) {
  const groups = resourceSummary(result.resources);
  return (
    <details className="resources" data-testid="deploy-resources">
      <summary>
        Creates <strong data-testid="deploy-resource-count">{result.resources.length}</strong> resources in stack <span className="mono">{result.stack_name}</span>
      </summary>
      <ul>
        {groups.map(([type, n]) => (
          <li key={type} title={type}>
            <span className="ellipsis-line">{shortType(type)}</span>
            {n > 1 && <span className="muted"> × {n}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}

function StackLine({
  info,
  current,
  targetOk,
  target,
  onFollow,
}: {
  info: StackInfo;
  current: StackStatus | undefined;
  targetOk: boolean;
  target: StackTarget | null;
  onFollow: () => void;
}) {
  if (!targetOk || !target) return <div className="stack-line muted small">Enter a valid region and name prefix to look for the stack.</div>;
  if (info.error != null && info.key) return <AwsErrorNotice error={info.error} testid="deploy-stack-error" compact />;
  if (!current) return <div className="stack-line muted small">{info.loading ? "Looking for the stack…" : ""}</div>;
  return (
    <div className="stack-line" data-testid="deploy-stack-line" data-exists={current.exists ? "true" : "false"}>
      {current.exists ? (
        <>
          <span className="muted">Stack</span> <span className="mono">{current.stack_name}</span> <CfnStatus status={current.status} />
          {current.last_updated || current.created ? <span className="muted small"> · {formatRelative((current.last_updated || current.created) as string)}</span> : null}
          {current.in_progress && (
            <div className="notice notice-info compact">
              An operation is running on this stack.{" "}
              <button type="button" className="btn-link" onClick={onFollow} data-testid="deploy-follow">
                Follow it
              </button>
            </div>
          )}
        </>
      ) : (
        <span className="muted small">
          No stack <span className="mono">{current.stack_name}</span> in {current.region} yet: Deploy creates it.
        </span>
      )}
    </div>
  );
}

// ------------------------------------------------------------ status

function StatusView({
  target,
  targetOk,
  busy,
  onManage,
  onDestroy,
  onFollow,
  onDeploy,
  tick,
}: {
  target: StackTarget;
  targetOk: boolean;
  busy: boolean;
  onManage: () => void;
  onDestroy: () => void;
  onFollow: () => void;
  onDeploy: () => void;
  tick: number;
}) {
  const { gw } = useApp();
  const key = `${target.region}|${target.stack}|${target.profile ?? ""}`;
  const status = useAsync((signal) => (targetOk ? stackStatus(gw, target, { health: true, signal }) : Promise.resolve(null)), [gw, key, targetOk, tick]);
  const s = status.data;
  const manageable = !!s?.exists && !!s.status && ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"].includes(s.status);
  const params = s ? Object.entries(s.parameters).filter(([k]) => k !== "ModelsConfig" || s.parameters[k] !== "") : [];
  return (
    <div className="deploy-status" data-testid="deploy-status">
      <div className="card">
        <div className="card-head">
          <div>
            <h2>
              Stack <span className="mono">{target.stack}</span>
            </h2>
            <span className="muted small">
              {target.region}
              {target.profile ? ` · profile ${target.profile}` : ""}
            </span>
          </div>
          <div className="page-actions">
            <button type="button" className="btn btn-sm" onClick={() => void status.reload()} disabled={status.loading} data-testid="deploy-status-refresh">
              {status.loading ? "Checking…" : "Refresh"}
            </button>
            {manageable && (
              <button type="button" className="btn btn-sm btn-primary" onClick={onManage} data-testid="status-manage">
                Manage the deployed gateway
              </button>
            )}
            {s?.exists && (
              <button type="button" className="btn btn-sm btn-danger" onClick={onDestroy} disabled={busy || s.in_progress} data-testid="deploy-destroy">
                Destroy…
              </button>
            )}
          </div>
        </div>
        {!targetOk && <p className="muted">Enter a valid region and name prefix on the Configure tab.</p>}
        {status.error != null && <AwsErrorNotice error={status.error} testid="deploy-status-error" />}
        {status.loading && !s && targetOk && <Spinner label="Reading the stack and checking its health…" />}
        {s && !s.exists && (
          <EmptyState
            title={`No stack named ${s.stack_name} in ${s.region}`}
            testid="deploy-status-empty"
            action={
              <button type="button" className="btn btn-primary" onClick={onDeploy}>
                Configure a deploy
              </button>
            }
          >
            Nothing is deployed under this name prefix. Deploying creates it; the stack name is the form's name prefix.
          </EmptyState>
        )}
        {s?.exists && (
          <>
            <dl className="dl dl-grid status-dl">
              <dt>Status</dt>
              <dd>
                <CfnStatus status={s.status} testid="status-stack-status" />
                {s.in_progress && (
                  <>
                    {" "}
                    <button type="button" className="btn-link" onClick={onFollow} data-testid="status-follow">
                      Follow the running operation
                    </button>
                  </>
                )}
              </dd>
              {s.status_reason && (
                <>
                  <dt>Reason</dt>
                  <dd className="wrap">{s.status_reason}</dd>
                </>
              )}
              <dt>Created</dt>
              <dd>{s.created ? `${new Date(s.created).toLocaleString()} (${formatRelative(s.created)})` : "—"}</dd>
              <dt>Last updated</dt>
              <dd>{s.last_updated ? `${new Date(s.last_updated).toLocaleString()} (${formatRelative(s.last_updated)})` : "never"}</dd>
              <dt>Stack id</dt>
              <dd className="mono small wrap">{s.stack_id}</dd>
            </dl>
            {s.health && <HealthLine health={s.health} testid="status-health" again="press Refresh to check again" />}
            {s.last_failures.length > 0 && (
              <>
                <h3 className="section-title">Failures of the last operation</h3>
                {s.last_failures.map((f, i) => (
                  <FailureBox key={`${f.logical_id}-${i}`} failure={f} title="Failed" testid="status-failure" />
                ))}
              </>
            )}
          </>
        )}
      </div>
      {s?.exists && (
        <div className="grid-2">
          <div className="card">
            <div className="card-head">
              <h2>Outputs</h2>
            </div>
            <OutputsList outputs={s.outputs} testid="status-outputs" />
          </div>
          <div className="card card-flush">
            <div className="card-head pad">
              <h2>Parameters</h2>
              <Badge>{params.length}</Badge>
            </div>
            <table className="table table-compact params" data-testid="status-parameters">
              <colgroup>
                <col style={{ width: "40%" }} />
                <col />
              </colgroup>
              <tbody>
                {params.map(([k, v]) => (
                  <tr key={k}>
                    <td className="mono small">{k}</td>
                    <td className="mono small wrap" title={v}>
                      {v === "" ? <span className="muted">(empty)</span> : v.length > 120 ? `${v.slice(0, 120)}…` : v}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}
