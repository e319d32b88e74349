// The doctor on demand: a harness as it is in AgentCore, or a draft (any model id, API base,
// provider), each finding with its fix.

import { type FormEvent, useState } from "react";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { DoctorRequest, HarnessView, ProviderView, Report } from "../../lib/api.gen";
import { LITELLM_PREFIX } from "../../lib/agentcoreLogic";
import { Field, TextInput } from "../ui";
import { AwsErrorNotice, DoctorReportView } from "./parts";

export function DoctorPanel({
  api,
  harnesses,
  providers,
  aliases,
  defaults,
  subject,
  onSubject,
}: {
  api: AgentCoreApi;
  harnesses: HarnessView[];
  providers: ProviderView[];
  aliases: string[];
  defaults: { alias: string; provider: string; apiBase: string };
  /** A harness id, or "" for a draft. */
  subject: string;
  onSubject: (id: string) => void;
}) {
  const [model, setModel] = useState(defaults.alias ? `${LITELLM_PREFIX}${defaults.alias}` : "");
  const [apiBase, setApiBase] = useState(defaults.apiBase);
  const [provider, setProvider] = useState(defaults.provider);
  const [keyAlias, setKeyAlias] = useState("");
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);

  const run = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: DoctorRequest = subject
        ? { harness_id: subject }
        : {
            model: model.trim() || undefined,
            api_base: apiBase.trim() === "" ? undefined : apiBase.trim(),
            credential_provider: provider.trim() || undefined,
            key: keyAlias.trim() || undefined,
          };
      setReport(await api.doctor(body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="grid-2 ac-doctor-panel">
      <form className="card form" onSubmit={run} noValidate data-testid="doctor-form">
        <div className="card-head">
          <h2>Doctor</h2>
          <span className="muted small">finds what would fail before AWS does</span>
        </div>
        <Field label="Check" htmlFor="dr-subject">
          <select id="dr-subject" className="input" value={subject} onChange={(e) => onSubject(e.target.value)} data-testid="doctor-subject">
            <option value="">A draft: the values below</option>
            {harnesses.map((h) => (
              <option key={h.harness_id} value={h.harness_id}>
                Harness {h.harness_name} as it is in AgentCore
              </option>
            ))}
          </select>
        </Field>
        {!subject && (
          <>
            <Field
              label="Model id, as the harness would send it"
              htmlFor="dr-model"
              hint={
                <>
                  E.g. the seed article's <code>claude-haiku</code> (missing the prefix) vs <code>{LITELLM_PREFIX}claude-haiku</code>.
                </>
              }
            >
              <TextInput id="dr-model" value={model} onChange={setModel} list="dr-models" mono testid="doctor-model" />
              <datalist id="dr-models">
                {aliases.map((a) => (
                  <option key={a} value={`${LITELLM_PREFIX}${a}`} />
                ))}
              </datalist>
            </Field>
            <Field label="LiteLLM API base" htmlFor="dr-api-base" optional hint="Empty: the gateway's public URL.">
              <TextInput id="dr-api-base" value={apiBase} onChange={setApiBase} mono testid="doctor-api-base" />
            </Field>
            <div className="form-row">
              <Field label="Credential provider" htmlFor="dr-provider" optional>
                <TextInput id="dr-provider" value={provider} onChange={setProvider} list="dr-providers" mono testid="doctor-provider" />
                <datalist id="dr-providers">
                  {providers.map((p) => (
                    <option key={p.name} value={p.name} />
                  ))}
                </datalist>
              </Field>
              <Field label="Key it should hold" htmlFor="dr-key" optional hint="Alias of the expected key.">
                <TextInput id="dr-key" value={keyAlias} onChange={setKeyAlias} mono testid="doctor-key" />
              </Field>
            </div>
          </>
        )}
        <div className="ac-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="doctor-run">
            {busy ? "Checking…" : "Run the doctor"}
          </button>
        </div>
      </form>
      <div className="card" data-testid="doctor-result">
        <div className="card-head">
          <h2>Findings</h2>
        </div>
        {!report && error == null && <div className="muted">Each finding comes with its fix. The doctor sends traffic only to AgentCore and to the one API base it checks.</div>}
        {error != null && <AwsErrorNotice error={error} testid="doctor-error" />}
        {report && <DoctorReportView report={report} testid="doctor-page-report" />}
      </div>
    </div>
  );
}
