// "Deploy to AWS": the gateway's /deploy/* routes as a form, a live progress view, the stack's
// status, destroy, and switching this tab to the deployed gateway. See deploy/README.md. The
// sections live in components/deploy/; this page holds them together.

import { useState } from "react";
import { DeployFormView, focusField } from "../components/deploy/DeployForm";
import { DeploySummary } from "../components/deploy/DeploySummary";
import { AwsErrorNotice } from "../components/deploy/parts";
import { ProgressView } from "../components/deploy/ProgressView";
import { DestroyDialog, ManageDialog } from "../components/deploy/StackDialogs";
import { StatusView } from "../components/deploy/StatusView";
import { useDeployChecks, useDeployDraft, useDeployRun, useWhoami } from "../components/deploy/useDeploy";
import "../components/deploy/deploy.css";
import { PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import { useAsync } from "../hooks";
import { type FormKey, issuesByField, localErrors, visibleErrors } from "../lib/deploy";
import { type StackTarget, deployOptions } from "../lib/deployApi";

type Tab = "form" | "progress" | "status";

export function DeployPage() {
  const { gw, toast } = useApp();
  const options = useAsync((signal) => deployOptions(gw, signal), [gw]);
  const { form, setForm, set, touched, showAll, setShowAll } = useDeployDraft(options.data);
  const [tab, setTab] = useState<Tab>("form");
  const [destroying, setDestroying] = useState<StackTarget | null>(null);
  const [managing, setManaging] = useState<StackTarget | null>(null);
  const op = useDeployRun(gw, {
    start: () => setTab("progress"),
    refused: () => {
      setShowAll(true);
      setTab("form");
    },
  });
  const checks = useDeployChecks(gw, form, op.tick);
  const { body, check, current, target, targetOk } = checks;
  const { identity, whoami } = useWhoami(gw, body);
  const { run, busy } = op;

  const localErrs = form ? localErrors(form, options.data?.max_desired_count ?? 10) : {};
  const serverErrors = check.result?.errors ?? [];
  // The refusal's field errors stand until the gateway has checked the form as it is now.
  const refusedErrors = op.refused?.validation?.errors ?? [];
  const errors = form ? visibleErrors(refusedErrors.length && !current ? refusedErrors : serverErrors, localErrs, touched, showAll) : {};
  const warnings = issuesByField(check.result?.warnings ?? []).byField;
  const allErrorCount = (check.result?.errors.length ?? 0) + Object.keys(localErrs).length;

  const deploy = () => {
    if (!form || !body || !target) return;
    setShowAll(true);
    if (Object.keys(localErrs).length > 0 || (current && !current.ok)) {
      document.querySelector(".deploy-form .has-error")?.scrollIntoView({ block: "center", behavior: "smooth" });
      return;
    }
    op.deploy(body, target);
  };

  const showField = (k: FormKey) => {
    setShowAll(true);
    focusField(k);
  };

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
          <DeployFormView form={form} options={options.data} set={set} setForm={setForm} errors={errors} warnings={warnings} identity={identity} onWhoami={whoami} />
          <DeploySummary
            checks={checks}
            fieldErrors={visibleErrors(serverErrors, localErrs, touched, true)}
            onField={showField}
            refused={op.refused}
            busy={busy}
            blockedCount={showAll ? allErrorCount : 0}
            onFollow={() => target && op.follow(target)}
            onDeploy={deploy}
          />
        </div>
      )}

      {tab === "progress" && run && <ProgressView run={run} onReattach={op.reattach} onManage={setManaging} onStatus={() => setTab("status")} onForm={() => setTab("form")} />}

      {tab === "status" && target && (
        <StatusView
          target={target}
          targetOk={targetOk}
          busy={busy}
          onManage={() => setManaging(target)}
          onDestroy={() => setDestroying(target)}
          onFollow={() => op.follow(target)}
          onDeploy={() => setTab("form")}
          onUpdate={() => {
            op.update(target, form?.imageSource === "build" ? form.imageRepository.trim() || null : null);
            toast(`Updating ${target.stack}…`, "info");
          }}
          imageBuild={options.data?.image_build}
          tick={op.tick}
        />
      )}

      {destroying && (
        <DestroyDialog
          target={destroying}
          onClose={() => setDestroying(null)}
          onConfirm={(typed) => {
            const t = destroying;
            setDestroying(null);
            op.destroy(t, typed);
            toast(`Destroying ${t.stack}…`, "info");
          }}
        />
      )}
      {managing && <ManageDialog target={managing} onClose={() => setManaging(null)} />}
    </div>
  );
}
