// The deploy form: where (region, profile, name prefix, and who deploys), the gateway's size, its
// data stores, its network and HTTPS, and the advanced settings.

import type { ReactNode } from "react";
import type { Options as DeployOptions } from "../../lib/api.gen";
import { type DeployForm, type FormKey, cpuArchitectures, cpuLabel, memoryChoices, memoryLabel, withCpu } from "../../lib/deploy";
import { Field, TextInput } from "../ui";
import { AwsErrorNotice } from "./parts";
import type { IdentityCheck } from "./useDeploy";

/** Where the gateway's image comes from: built and pushed by the gateway itself (the default), or given. */
function ImageFields({
  form,
  options,
  set,
  errors,
  hint,
}: {
  form: DeployForm;
  options: DeployOptions;
  set: <K extends FormKey>(k: K, v: DeployForm[K]) => void;
  errors: Partial<Record<FormKey, string>>;
  hint: (k: FormKey, text: ReactNode) => ReactNode;
}) {
  const build = options.image_build;
  const prefix = form.namePrefix.trim() || "<prefix>";
  return (
    <div className="image-source" data-testid="deploy-image-source" data-value={form.imageSource}>
      <div className="segmented" role="group" aria-label="Image">
        <button
          type="button"
          className={form.imageSource === "build" ? "on" : ""}
          aria-pressed={form.imageSource === "build"}
          onClick={() => set("imageSource", "build")}
          disabled={!build.available}
          title={build.available ? undefined : (build.reason ?? undefined)}
          data-value="build"
        >
          Build and push automatically
        </button>
        <button type="button" className={form.imageSource === "own" ? "on" : ""} aria-pressed={form.imageSource === "own"} onClick={() => set("imageSource", "own")} data-value="own">
          Use my image
        </button>
      </div>
      {form.imageSource === "build" ? (
        <>
          <p className="muted small image-build-note" data-testid="deploy-image-build-note">
            The gateway assembles Switchboard <span className="mono">{build.version}</span>&apos;s image itself (no Docker), for{" "}
            {build.cpu_architecture === "ARM64" ? "ARM64" : "x86-64"}, pushes it and deploys it by digest. An ECR repository is created when missing, with scan on push and a
            policy keeping the last 10 images.
          </p>
          <Field
            label="Image repository"
            htmlFor="d-image-repo"
            optional
            error={errors.imageRepository}
            hint={hint("imageRepository", <>Empty: ECR in this account, <span className="mono">&lt;account&gt;.dkr.ecr.{form.region.trim() || "<region>"}.amazonaws.com/{prefix}</span></>)}
          >
            <TextInput
              id="d-image-repo"
              value={form.imageRepository}
              onChange={(v) => set("imageRepository", v)}
              testid="deploy-image-repository"
              mono
              placeholder={`123456789012.dkr.ecr.${form.region.trim() || "us-east-1"}.amazonaws.com/${prefix}`}
              invalid={!!errors.imageRepository}
            />
          </Field>
        </>
      ) : (
        <>
          {!build.available && build.reason && (
            <p className="muted small" data-testid="deploy-image-build-unavailable">
              This gateway cannot build its image: {build.reason}
            </p>
          )}
          <Field
            label="Image URI"
            htmlFor="d-image"
            error={errors.imageUri}
            hint={hint(
              "imageUri",
              <>
                A versioned tag or a digest (an update with the same URI starts no new tasks). <code>switchboard deploy image --repository …</code> builds one without Docker and prints
                its reference.
              </>,
            )}
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
        </>
      )}
    </div>
  );
}

const REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-3", "ap-northeast-1", "ap-southeast-2"];

export function DeployFormView({
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
  identity: IdentityCheck | null;
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
        <ImageFields form={form} options={options} set={set} errors={errors} hint={hint} />
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
              {cpuArchitectures(options).map((a) => (
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
        <Switch
          checked={form.enableRedis}
          onChange={(v) => {
            set("enableRedis", v);
            // Shared limits are what let a second task in: two tasks spread over two AZs.
            if (v && form.desiredCount.trim() === "1") set("desiredCount", "2");
          }}
          testid="deploy-redis" label="Redis on ElastiCache" detail="Passed to the tasks as REDIS_URL: the tasks share rate limits, budgets to the call and the router's cooldowns and load through it. Keys and changes are shared through RDS." />
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

const FIELD_IDS: Partial<Record<FormKey, string>> = {
  region: "d-region",
  profile: "d-profile",
  namePrefix: "d-prefix",
  imageUri: "d-image",
  imageRepository: "d-image-repo",
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

/** Scrolls to a field of the form and focuses it, opening the advanced section when it is there. */
export function focusField(k: FormKey) {
  if (k === "masterKeySecretArn" || k === "modelsConfig" || k === "logRetentionDays") document.querySelector<HTMLDetailsElement>(".deploy-form details.advanced")?.setAttribute("open", "");
  const el = document.getElementById(FIELD_IDS[k] ?? "");
  el?.scrollIntoView({ block: "center", behavior: "smooth" });
  el?.focus({ preventScroll: true });
}
