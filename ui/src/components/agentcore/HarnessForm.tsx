// The harness form (create, edit, and the harness half of "Wire everything"), and the dialog that
// saves it after the doctor: the model is picked from the gateway's aliases and sent as
// `litellm_proxy/<alias>`; the credential provider is picked, its ARN comes from AgentCore.

import { type FormEvent, useEffect, useRef, useState } from "react";
import { type AgentCoreApi, AgentCoreError } from "../../lib/agentcore";
import type { HarnessView, ProviderView, Report, Saved } from "../../lib/api.gen";
import {
  type HarnessFormErrors,
  type HarnessFormMode,
  type HarnessFormState,
  LITELLM_PREFIX,
  classifyApiBase,
  doctorBodyOfForm,
  emptyHarnessForm,
  harnessCreateBody,
  harnessFormOf,
  harnessPatchBody,
  validateHarnessForm,
  validateHarnessName,
} from "../../lib/agentcoreLogic";
import { type SettingsState, settingsBody, settingsStateOf, validateSettings } from "../../lib/harnessSettings";
import { Field, Modal, TextInput } from "../ui";
import { HarnessSettingsFields } from "./HarnessSettingsFields";
import { AwsErrorNotice, DoctorReportView, KeyHeld, LongId } from "./parts";

export function HarnessFields({
  form,
  set,
  errors,
  mode,
  aliases,
  providers,
  apiBaseDefault,
  deployedUrl,
  prefix,
  existingHarness,
}: {
  form: HarnessFormState;
  set: <K extends keyof HarnessFormState>(k: K, v: HarnessFormState[K]) => void;
  errors: HarnessFormErrors;
  mode: HarnessFormMode;
  aliases: string[];
  providers: ProviderView[];
  apiBaseDefault: string;
  deployedUrl: string | null;
  prefix: string;
  /** Wiring an existing harness: no name, the role is optional. */
  existingHarness?: boolean;
}) {
  const nameProblem = form.name.trim() ? validateHarnessName(form.name) : null;
  const provider = providers.find((p) => p.name === form.provider);
  const base = form.apiBase.trim() || apiBaseDefault;
  const reach = classifyApiBase(base);
  const creating = mode === "create" || (mode === "wire" && !existingHarness);
  return (
    <>
      {creating && (
        <div className="form-row">
          <Field
            label="Harness name"
            htmlFor={`${prefix}-name`}
            error={nameProblem ? null : errors.name}
            hint={
              nameProblem?.suggestion ? (
                <span className="field-error">
                  {nameProblem.message}{" "}
                  <button type="button" className="btn-link" onClick={() => set("name", nameProblem.suggestion ?? "")} data-testid={`${prefix}-name-suggestion`}>
                    Use {nameProblem.suggestion}
                  </button>
                </span>
              ) : nameProblem ? (
                <span className="field-error">{nameProblem.message}</span>
              ) : (
                "Letters, digits and underscores, starting with a letter (no hyphens), up to 40."
              )
            }
          >
            <TextInput id={`${prefix}-name`} value={form.name} onChange={(v) => set("name", v)} placeholder="seed_harness" testid={`${prefix}-name`} invalid={!!errors.name || !!nameProblem} mono />
          </Field>
          <Field label="Execution role ARN" htmlFor={`${prefix}-role`} error={errors.roleArn} hint="The IAM role AgentCore assumes to run the harness.">
            <TextInput id={`${prefix}-role`} value={form.roleArn} onChange={(v) => set("roleArn", v)} placeholder="arn:aws:iam::123456789012:role/AgentCoreHarnessRole" testid={`${prefix}-role`} invalid={!!errors.roleArn} mono />
          </Field>
        </div>
      )}
      {!creating && (
        <Field label="Execution role ARN" htmlFor={`${prefix}-role`} error={errors.roleArn} optional={existingHarness} hint={existingHarness ? "Empty: keep the harness's role." : undefined}>
          <TextInput id={`${prefix}-role`} value={form.roleArn} onChange={(v) => set("roleArn", v)} testid={`${prefix}-role`} invalid={!!errors.roleArn} mono />
        </Field>
      )}
      <div className="form-row">
        <Field
          label="Model"
          htmlFor={`${prefix}-model`}
          error={errors.alias}
          hint={
            <>
              Sent to AgentCore as <code data-testid={`${prefix}-model-id`}>{form.alias ? `${LITELLM_PREFIX}${form.alias}` : `${LITELLM_PREFIX}<alias>`}</code>: LiteLLM in the harness needs the prefix.
            </>
          }
        >
          <select id={`${prefix}-model`} className="input mono" value={form.alias} onChange={(e) => set("alias", e.target.value)} data-testid={`${prefix}-model`} aria-invalid={!!errors.alias || undefined}>
            {form.alias === "" && <option value="">Pick a model…</option>}
            {form.alias !== "" && !aliases.includes(form.alias) && <option value={form.alias}>{form.alias} (not a model of this gateway)</option>}
            {aliases.map((a) => (
              <option key={a} value={a}>
                {LITELLM_PREFIX}
                {a}
              </option>
            ))}
          </select>
        </Field>
        {mode === "wire" ? (
          <Field label="Credential provider" htmlFor={`${prefix}-provider`} error={errors.provider} hint="Created in AgentCore Identity, or updated when it exists, holding the wired key.">
            <TextInput id={`${prefix}-provider`} value={form.provider} onChange={(v) => set("provider", v)} testid={`${prefix}-provider`} invalid={!!errors.provider} mono />
          </Field>
        ) : (
          <Field
            label="Credential provider (API key)"
            htmlFor={`${prefix}-provider`}
            error={errors.provider}
            hint={providers.length === 0 ? "No credential provider in this region yet: create one first (or use Wire everything)." : undefined}
          >
            <select id={`${prefix}-provider`} className="input" value={form.provider} onChange={(e) => set("provider", e.target.value)} data-testid={`${prefix}-provider`} aria-invalid={!!errors.provider || undefined}>
              {(form.provider === "" || !provider) && <option value={form.provider}>{form.provider ? `${form.provider} (missing)` : "Pick a provider…"}</option>}
              {providers.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      {mode !== "wire" && provider && (
        <div className="ac-provider-picked" data-testid={`${prefix}-provider-arn`}>
          <span className="muted small">ARN from AgentCore</span>
          <LongId value={provider.credential_provider_arn} />
          <KeyHeld provider={provider} />
        </div>
      )}
      <Field
        label="LiteLLM API base"
        htmlFor={`${prefix}-api-base`}
        error={errors.apiBase}
        optional
        hint={
          <span data-testid={`${prefix}-api-base-hint`}>
            {reach.kind !== "public" ? (
              <span className="ac-warn-text">
                AWS cannot reach {base || "it"}: {reach.reason}. The doctor will refuse it; deploy the gateway (<a href="#/deploy">Deploy page</a>) or set its public URL.
              </span>
            ) : reach.insecure ? (
              <span className="ac-warn-text">Plain http: the key travels unencrypted; serve the gateway over HTTPS.</span>
            ) : (
              <>Where the harness calls this gateway. Empty: the gateway's public URL.</>
            )}
            {deployedUrl && deployedUrl !== form.apiBase && (
              <>
                {" "}
                <button type="button" className="btn-link" onClick={() => set("apiBase", deployedUrl)} data-testid={`${prefix}-use-deployed`}>
                  Use the deployed gateway {deployedUrl}
                </button>
              </>
            )}
          </span>
        }
      >
        <TextInput id={`${prefix}-api-base`} value={form.apiBase} onChange={(v) => set("apiBase", v)} placeholder={apiBaseDefault || "https://gateway.example.com"} testid={`${prefix}-api-base`} invalid={!!errors.apiBase} mono />
      </Field>
      <Field label="System prompt" htmlFor={`${prefix}-system`} optional>
        <textarea id={`${prefix}-system`} className="input textarea" rows={2} value={form.systemPrompt} onChange={(e) => set("systemPrompt", e.target.value)} placeholder="You are a helpful assistant." data-testid={`${prefix}-system`} />
      </Field>
      <div className="form-row form-row-3">
        <Field label="Max tokens per model call" htmlFor={`${prefix}-max-tokens`} error={errors.maxTokens} optional>
          <TextInput id={`${prefix}-max-tokens`} value={form.maxTokens} onChange={(v) => set("maxTokens", v)} inputMode="numeric" placeholder="model default" testid={`${prefix}-max-tokens`} invalid={!!errors.maxTokens} />
        </Field>
        <Field label="Temperature (0–2)" htmlFor={`${prefix}-temperature`} error={errors.temperature} optional>
          <TextInput id={`${prefix}-temperature`} value={form.temperature} onChange={(v) => set("temperature", v)} inputMode="decimal" placeholder="model default" testid={`${prefix}-temperature`} invalid={!!errors.temperature} />
        </Field>
        <Field label="Top P (0–1)" htmlFor={`${prefix}-top-p`} error={errors.topP} optional>
          <TextInput id={`${prefix}-top-p`} value={form.topP} onChange={(v) => set("topP", v)} inputMode="decimal" placeholder="model default" testid={`${prefix}-top-p`} invalid={!!errors.topP} />
        </Field>
      </div>
    </>
  );
}

/** Create or edit a harness; the doctor runs on demand and before saving. */
export function HarnessDialog({
  api,
  harness,
  aliases,
  providers,
  defaults,
  deployedUrl,
  onClose,
  onSaved,
}: {
  api: AgentCoreApi;
  /** Editing this harness; else creating one. */
  harness: HarnessView | null;
  aliases: string[];
  providers: ProviderView[];
  defaults: { alias: string; provider: string; apiBase: string };
  deployedUrl: string | null;
  onClose: () => void;
  onSaved: (saved: Saved, created: boolean) => void;
}) {
  const mode: HarnessFormMode = harness ? "edit" : "create";
  const [form, setForm] = useState<HarnessFormState>(() =>
    harness
      ? harnessFormOf(harness)
      : emptyHarnessForm({ alias: defaults.alias, provider: providers.some((p) => p.name === defaults.provider) ? defaults.provider : (providers[0]?.name ?? defaults.provider), apiBase: defaults.apiBase }),
  );
  const [settings, setSettings] = useState<SettingsState>(() => settingsStateOf(harness));
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState<"doctor" | "save" | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refused, setRefused] = useState<AgentCoreError | null>(null);
  const errors = submitted ? validateHarnessForm(form, mode, { aliases }) : {};
  const settingsErrors = submitted ? validateSettings(settings) : {};
  // A new answer (the doctor's report, a refusal, an error) is scrolled into view: it is below the form.
  const results = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (report || error != null || refused) results.current?.scrollIntoView({ block: "start" });
  }, [report, error, refused]);
  const set = <K extends keyof HarnessFormState>(k: K, v: HarnessFormState[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setRefused(null);
  };
  const setSetting = <K extends keyof SettingsState>(k: K, v: SettingsState[K]) => {
    setSettings((s) => ({ ...s, [k]: v }));
    setRefused(null);
  };

  const runDoctor = async () => {
    setSubmitted(true);
    setBusy("doctor");
    setError(null);
    try {
      setReport(await api.doctor({ ...doctorBodyOfForm(form, harness?.harness_id), ...settingsBody(settings, harness) }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const save = async (force: boolean) => {
    setSubmitted(true);
    if (Object.keys(validateHarnessForm(form, mode, { aliases })).length || Object.keys(validateSettings(settings)).length) return;
    setBusy("save");
    setError(null);
    setRefused(null);
    try {
      const body = harness ? harnessPatchBody(form, harness, force) : harnessCreateBody(form, force);
      const withSettings = { ...body, ...settingsBody(settings, harness) };
      const saved = harness ? await api.updateHarness(harness.harness_id, withSettings) : await api.createHarness(withSettings);
      onSaved(saved, !harness);
    } catch (e) {
      if (e instanceof AgentCoreError && e.refusedByDoctor) {
        setRefused(e);
        setReport(e.doctor);
      } else setError(e);
    } finally {
      setBusy(null);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save(false);
  };

  return (
    <Modal
      title={harness ? `Edit harness ${harness.harness_name}` : "New harness with model source LiteLLM"}
      onClose={onClose}
      wide
      testid="harness-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={runDoctor} disabled={busy != null} data-testid="harness-doctor">
            {busy === "doctor" ? "Checking…" : "Run the doctor"}
          </button>
          <span className="ac-foot-spacer" />
          <button type="button" className="btn" onClick={onClose} disabled={busy === "save"}>
            Cancel
          </button>
          {refused?.forceOffered && (
            <button type="button" className="btn btn-danger" onClick={() => save(true)} disabled={busy != null} data-testid="harness-save-anyway">
              Save anyway
            </button>
          )}
          <button type="submit" form="harness-form" className="btn btn-primary" disabled={busy != null} data-testid="harness-save">
            {busy === "save" ? "Saving…" : harness ? "Save changes" : "Create harness"}
          </button>
        </>
      }
    >
      <form id="harness-form" className="form" onSubmit={onSubmit} noValidate>
        {harness && (
          <div className="ac-dialog-id">
            <span className="muted small">Harness</span> <LongId value={harness.arn} />
          </div>
        )}
        <HarnessFields form={form} set={set} errors={errors} mode={mode} aliases={aliases} providers={providers} apiBaseDefault={defaults.apiBase} deployedUrl={deployedUrl} prefix="hf" />
        <HarnessSettingsFields s={settings} set={setSetting} errors={settingsErrors} />
      </form>
      <div ref={results} className="ac-results">
        {error != null && <AwsErrorNotice error={error} testid="harness-error" />}
        {refused && (
          <div className="notice notice-warn" data-testid="harness-refused">
            <div className="notice-title">The doctor found {refused.doctor?.errors ?? "some"} problem(s): nothing was saved.</div>
            <div className="notice-hint">Fix them, or save anyway if you know the harness can work regardless (e.g. a local demo).</div>
          </div>
        )}
        {report && <DoctorReportView report={report} testid="harness-doctor-report" />}
      </div>
    </Modal>
  );
}
