// "Wire everything": team → virtual key → credential provider → harness → READY in one click,
// each step's progress as the gateway streams it, and a summary that says what was done and
// what was not when a step fails.

import { type FormEvent, useEffect, useRef, useState } from "react";
import { flushSync } from "react-dom";
import type { TeamRecord } from "../../lib/api.gen";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { HarnessView, ProviderView, WireResult } from "../../lib/api.gen";
import {
  type HarnessFormState,
  type WireState,
  applyWireEvent,
  emptyHarnessForm,
  initialWireState,
  validateHarnessForm,
  wireRefusedByDoctor,
  wireRequestBody,
} from "../../lib/agentcoreLogic";
import { validateName, validateNumber } from "../../lib/validate";
import { Field, TextInput } from "../ui";
import { HarnessFields } from "./HarnessForm";
import { AwsErrorNotice, FixText, WireSteps } from "./parts";

export function WirePanel({
  api,
  aliases,
  harnesses,
  providers,
  teams,
  defaults,
  deployedUrl,
  onWired,
  onPlay,
  onRequests,
}: {
  api: AgentCoreApi;
  aliases: string[];
  harnesses: HarnessView[];
  providers: ProviderView[];
  teams: TeamRecord[];
  defaults: { alias: string; provider: string; apiBase: string; teamAlias: string; keyAlias: string };
  deployedUrl: string | null;
  onWired: (r: WireResult) => void;
  onPlay: (harnessId: string) => void;
  onRequests: (token: string) => void;
}) {
  const [form, setForm] = useState<HarnessFormState>(() => ({
    ...emptyHarnessForm({ alias: defaults.alias, provider: defaults.provider, apiBase: defaults.apiBase }),
    systemPrompt: "You are a helpful assistant.",
  }));
  const [existing, setExisting] = useState<string>("");
  const [teamId, setTeamId] = useState("");
  const [teamAlias, setTeamAlias] = useState(defaults.teamAlias);
  const [keyAlias, setKeyAlias] = useState(defaults.keyAlias);
  const [keyBudget, setKeyBudget] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [running, setRunning] = useState(false);
  const [state, setState] = useState<WireState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [lost, setLost] = useState(false);

  const errors = submitted ? validateHarnessForm(form, "wire", { aliases, existingHarness: !!existing }) : {};
  const teamError = submitted && !teamId ? validateName(teamAlias, "Team alias", { required: true }) : null;
  const keyError = submitted ? validateName(keyAlias, "Key alias", { required: true }) : null;
  const budgetError = submitted ? validateNumber(keyBudget, { label: "Max budget" }) : null;
  const set = <K extends keyof HarnessFormState>(k: K, v: HarnessFormState[K]) => setForm((f) => ({ ...f, [k]: v }));

  const wire = async (force: boolean) => {
    setSubmitted(true);
    const problems = validateHarnessForm(form, "wire", { aliases, existingHarness: !!existing });
    if (Object.keys(problems).length || (!teamId && validateName(teamAlias, "Team alias", { required: true })) || validateName(keyAlias, "Key alias", { required: true }) || validateNumber(keyBudget, {})) return;
    setRunning(true);
    setError(null);
    setLost(false);
    setState(initialWireState());
    try {
      // Each step is committed to the screen as its event arrives (not batched with the next):
      // the progress shows even when several steps finish within one network read.
      const result = await api.wire(wireRequestBody(form, { harnessId: existing || undefined, teamId: teamId || undefined, teamAlias, keyAlias, keyBudget }, force), (e) =>
        flushSync(() => setState((s) => applyWireEvent(s ?? initialWireState(), e))),
      );
      if (result) onWired(result);
      else setLost(true);
    } catch (e) {
      setError(e);
      setState(null);
    } finally {
      setRunning(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!running) void wire(false);
  };

  const result = state?.result ?? null;
  const harness = result?.harness ?? null;
  // The progress is in view when the wiring starts, and its outcome when it ends.
  const progress = useRef<HTMLDivElement>(null);
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (running) progress.current?.scrollIntoView({ block: "nearest" });
  }, [running]);
  useEffect(() => {
    if (result) summary.current?.scrollIntoView({ block: "nearest" });
  }, [result]);

  return (
    <div className="ac-wire grid-2">
      <form className="card form" onSubmit={onSubmit} noValidate data-testid="wire-form">
        <div className="card-head">
          <h2>Wire everything</h2>
          <span className="muted small">the seed article's whole chain, in one click</span>
        </div>
        <Field label="Harness" htmlFor="wf-existing" hint={existing ? "UpdateHarness: the harness gets the model, provider and API base below." : "CreateHarness: a new harness with model source LiteLLM."}>
          <select id="wf-existing" className="input" value={existing} onChange={(e) => setExisting(e.target.value)} data-testid="wf-existing">
            <option value="">Create a new harness</option>
            {harnesses.map((h) => (
              <option key={h.harness_id} value={h.harness_id}>
                Wire the existing {h.harness_name} ({h.status})
              </option>
            ))}
          </select>
        </Field>
        <HarnessFields form={form} set={set} errors={errors} mode="wire" aliases={aliases} providers={providers} apiBaseDefault={defaults.apiBase} deployedUrl={deployedUrl} prefix="wf" existingHarness={!!existing} />
        <fieldset className="fieldset">
          <legend>Team and virtual key</legend>
          <div className="form-row">
            <Field label="Team" htmlFor="wf-team" error={teamError} hint={teamId ? "The key is generated for this team (it must allow the model)." : "Reused when a team has this alias, else created with every model of the gateway."}>
              <div className="input-row ac-team-row">
                <select className="input" value={teamId} onChange={(e) => setTeamId(e.target.value)} aria-label="Existing team" data-testid="wf-team">
                  <option value="">By alias…</option>
                  {teams.map((t) => (
                    <option key={t.team_id} value={t.team_id}>
                      {t.team_alias ?? t.team_id}
                    </option>
                  ))}
                </select>
                {!teamId && <TextInput id="wf-team" value={teamAlias} onChange={setTeamAlias} testid="wf-team-alias" invalid={!!teamError} />}
              </div>
            </Field>
            <Field label="Key alias" htmlFor="wf-key-alias" error={keyError} hint="Reused when the provider already holds it; its value goes to AgentCore only.">
              <TextInput id="wf-key-alias" value={keyAlias} onChange={setKeyAlias} testid="wf-key-alias" invalid={!!keyError} mono />
            </Field>
          </div>
          <Field label="Max budget of a new key (USD)" htmlFor="wf-budget" error={budgetError} optional>
            <TextInput id="wf-budget" value={keyBudget} onChange={setKeyBudget} inputMode="decimal" testid="wf-key-budget" invalid={!!budgetError} />
          </Field>
        </fieldset>
        <div className="ac-actions">
          <button type="submit" className="btn btn-primary" disabled={running} data-testid="wire-run">
            {running ? "Wiring…" : "Wire everything"}
          </button>
        </div>
      </form>

      <div className="card ac-progress" ref={progress} data-testid="wire-progress" data-running={running ? "true" : "false"}>
        <div className="card-head">
          <h2>Progress</h2>
          {running && <span className="muted small">each step as it happens</span>}
        </div>
        {!state && error == null && (
          <div className="muted ac-progress-empty">
            Six steps: check the configuration (the doctor), the team, a virtual key, the credential provider in AgentCore Identity holding it, the harness with model source LiteLLM, and waiting for READY. A failing step stops the wiring and says
            what was done before it.
          </div>
        )}
        {error != null && <AwsErrorNotice error={error} testid="wire-error" />}
        {state && <WireSteps steps={state.steps} />}
        {lost && (
          <div className="notice notice-warn" data-testid="wire-lost">
            The connection was lost before the end. The wiring runs to its end in the gateway: refresh the lists to see what it made.
          </div>
        )}
        {result && result.ok && (
          <div className="notice notice-ok" ref={summary} data-testid="wire-summary" data-ok="true">
            <div className="notice-title">Wired.</div>
            <div className="ac-summary-text">{result.message}</div>
            <div className="ac-actions">
              {harness && (
                <button type="button" className="btn btn-sm btn-primary" onClick={() => onPlay(harness.harness_id)} data-testid="wire-play">
                  Try it in the harness playground
                </button>
              )}
              {result.key && (
                <button type="button" className="btn btn-sm" onClick={() => onRequests(result.key?.token ?? "")} data-testid="wire-requests">
                  The harness's requests
                </button>
              )}
            </div>
          </div>
        )}
        {result && !result.ok && (
          <div className="notice notice-error" ref={summary} data-testid="wire-summary" data-ok="false">
            <div className="notice-title">Stopped: not wired.</div>
            <div className="ac-summary-text" data-testid="wire-summary-message">
              {result.message}
            </div>
            {result.fix && (
              <div className="ac-fix" data-testid="wire-summary-fix">
                <span className="ac-fix-label">What to do:</span> <FixText text={result.fix} />
              </div>
            )}
            {state && wireRefusedByDoctor(state) && (
              <div className="ac-actions">
                <button type="button" className="btn btn-sm btn-danger" onClick={() => wire(true)} disabled={running} data-testid="wire-force">
                  Wire anyway (ignore the doctor's errors)
                </button>
                <span className="muted small">Only when the harness can reach this API base regardless (a local test).</span>
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
