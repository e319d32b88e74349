// Create an API-key credential provider in AgentCore Identity, or rotate the key it holds: a key
// of this gateway pasted (never shown back), one generated in this tab, a new key generated for a
// team in the same step (its value goes to AgentCore only), or a Secrets Manager secret of yours
// holding a key of this gateway (the provider reads it from there).

import { useState } from "react";
import type { SessionKey } from "../../context";
import type { TeamRecord } from "../../lib/api.gen";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { ProviderView, StoredKey } from "../../lib/api.gen";
import { type KeySourceChoice, nextKeyAlias, providerBody, validateProviderName } from "../../lib/agentcoreLogic";
import { validateName, validateNumber } from "../../lib/validate";
import { FormDialog } from "../FormDialog";
import { Field, TextInput } from "../ui";
import { AwsErrorNotice, KeyHeld } from "./parts";

type Source = "generate" | "paste" | "tab" | "secret";

export function ProviderDialog({
  api,
  provider,
  teams,
  sessionKeys,
  defaults,
  onClose,
  onSaved,
}: {
  api: AgentCoreApi;
  /** Rotating this provider's key; else creating a provider. */
  provider: ProviderView | null;
  teams: TeamRecord[];
  sessionKeys: SessionKey[];
  defaults: { name: string; keyAlias: string; teamAlias: string };
  onClose: () => void;
  onSaved: (stored: StoredKey) => void;
}) {
  const rotating = provider != null;
  const [name, setName] = useState(defaults.name);
  // A provider that reads a secret of yours is rotated to a secret again by default.
  const [source, setSource] = useState<Source>(provider?.key_secret ? "secret" : "generate");
  const [pasted, setPasted] = useState("");
  const [tabKey, setTabKey] = useState(sessionKeys[0]?.token ?? "");
  const [teamId, setTeamId] = useState(() => {
    const own = provider?.key?.team_id;
    if (own && teams.some((t) => t.team_id === own)) return own;
    return teams.find((t) => t.team_alias === defaults.teamAlias)?.team_id ?? teams[0]?.team_id ?? "";
  });
  const [keyAlias, setKeyAlias] = useState(() => (rotating ? nextKeyAlias(provider?.key?.key_alias, defaults.keyAlias) : defaults.keyAlias));
  const [maxBudget, setMaxBudget] = useState("");
  const [secretId, setSecretId] = useState(provider?.key_secret?.secret_arn ?? "");
  const [jsonKey, setJsonKey] = useState(provider?.key_secret?.json_key ?? "api_key");

  const validate = () => ({
    name: rotating ? null : validateProviderName(name),
    pasted: source === "paste" && !/^sk-\S{8,}$/.test(pasted.trim()) ? "Paste a virtual key of this gateway (sk-…)" : null,
    tabKey: source === "tab" && !tabKey ? "Pick a key" : null,
    keyAlias: source === "generate" ? validateName(keyAlias, "Key alias") : null,
    maxBudget: source === "generate" ? validateNumber(maxBudget, { label: "Max budget" }) : null,
    secretId: source === "secret" && !secretId.trim() ? "The secret's name or ARN" : null,
    jsonKey: source === "secret" && !jsonKey.trim() ? "The member of the secret's JSON that holds the key" : null,
  });

  const choice = (): KeySourceChoice => {
    if (source === "paste") return { kind: "paste", key: pasted };
    if (source === "tab") return { kind: "tab", key: sessionKeys.find((k) => k.token === tabKey)?.key ?? "" };
    if (source === "secret") return { kind: "secret", secretId, jsonKey };
    return { kind: "generate", teamId, keyAlias, maxBudget };
  };

  const save = async () => {
    const stored = rotating ? await api.rotateProvider(provider.name, providerBody(null, choice())) : await api.createProvider(providerBody(name, choice()));
    setPasted("");
    onSaved(stored);
  };

  return (
    <FormDialog
      title={rotating ? `Rotate the key of ${provider.name}` : "New credential provider (API key)"}
      testid="provider-dialog"
      formId="provider-form"
      submitLabel={rotating ? "Rotate key" : "Create provider"}
      submitTestid="provider-save"
      validate={validate}
      onSubmit={save}
      onClose={onClose}
      errorNotice={(error) => <AwsErrorNotice error={error} testid="provider-error" />}
    >
      {(errors) => (
        <>
          {rotating ? (
            <p className="ac-current">
              Now: <KeyHeld provider={provider} />. The provider will hold the new key (UpdateApiKeyCredentialProvider); harnesses using it pick it up, the old key keeps working until you block or delete it.
            </p>
          ) : (
            <Field label="Name" htmlFor="pv-name" error={errors.name} hint="AgentCore Identity → Outbound Auth → API key. The harness form offers it by name; its ARN is AgentCore's.">
              <TextInput id="pv-name" value={name} onChange={setName} testid="provider-name" mono invalid={!!errors.name} />
            </Field>
          )}
          <fieldset className="fieldset">
            <legend>The virtual key it holds</legend>
            <label className="check">
              <input type="radio" name="pv-source" checked={source === "generate"} onChange={() => setSource("generate")} data-testid="provider-source-generate" /> Generate a new key for a team (its value goes to AgentCore only)
            </label>
            {sessionKeys.length > 0 && (
              <label className="check">
                <input type="radio" name="pv-source" checked={source === "tab"} onChange={() => setSource("tab")} data-testid="provider-source-tab" /> A key generated in this tab
              </label>
            )}
            <label className="check">
              <input type="radio" name="pv-source" checked={source === "paste"} onChange={() => setSource("paste")} data-testid="provider-source-paste" /> Paste an existing key of this gateway
            </label>
            <label className="check">
              <input type="radio" name="pv-source" checked={source === "secret"} onChange={() => setSource("secret")} data-testid="provider-source-secret" /> Read it from a Secrets Manager secret of yours
            </label>
            {source === "generate" && (
              <div className="ac-indent">
                <div className="form-row">
                  <Field label="Team" htmlFor="pv-team" hint={teams.length === 0 ? "No team yet: the key will belong to none (or use Wire everything, which creates one)." : "The team decides which models the key may call."}>
                    <select id="pv-team" className="input" value={teamId} onChange={(e) => setTeamId(e.target.value)} data-testid="provider-team">
                      <option value="">No team</option>
                      {teams.map((t) => (
                        <option key={t.team_id} value={t.team_id}>
                          {t.team_alias ?? t.team_id}
                        </option>
                      ))}
                    </select>
                  </Field>
                  <Field label="Key alias" htmlFor="pv-alias" error={errors.keyAlias}>
                    <TextInput id="pv-alias" value={keyAlias} onChange={setKeyAlias} testid="provider-key-alias" mono invalid={!!errors.keyAlias} />
                  </Field>
                </div>
                <Field label="Max budget (USD)" htmlFor="pv-budget" error={errors.maxBudget} optional>
                  <TextInput id="pv-budget" value={maxBudget} onChange={setMaxBudget} inputMode="decimal" testid="provider-max-budget" invalid={!!errors.maxBudget} />
                </Field>
              </div>
            )}
            {source === "tab" && (
              <div className="ac-indent">
                <Field label="Key" htmlFor="pv-tab" error={errors.tabKey}>
                  <select id="pv-tab" className="input" value={tabKey} onChange={(e) => setTabKey(e.target.value)} data-testid="provider-tab-key">
                    {sessionKeys.map((k) => (
                      <option key={k.token} value={k.token}>
                        {k.alias ?? "(no alias)"} · {k.key.slice(0, 3)}…{k.key.slice(-4)}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>
            )}
            {source === "secret" && (
              <div className="ac-indent">
                <div className="form-row">
                  <Field label="Secret name or ARN" htmlFor="pv-secret" error={errors.secretId} hint="In this region. AgentCore reads the key from it at each call, so rotating it there is enough.">
                    <TextInput id="pv-secret" value={secretId} onChange={setSecretId} placeholder="harness/gateway-key" testid="provider-secret-id" mono invalid={!!errors.secretId} />
                  </Field>
                  <Field label="JSON key" htmlFor="pv-json-key" error={errors.jsonKey} hint={`The secret is JSON: {"${jsonKey || "api_key"}": "sk-…"}.`}>
                    <TextInput id="pv-json-key" value={jsonKey} onChange={setJsonKey} testid="provider-secret-json-key" mono invalid={!!errors.jsonKey} />
                  </Field>
                </div>
                <p className="muted small">The gateway reads the secret once to learn which of its keys is in it (it keeps only the key&apos;s hash); the key itself is never sent by the gateway.</p>
              </div>
            )}
            {source === "paste" && (
              <div className="ac-indent">
                <Field label="Virtual key" htmlFor="pv-key" error={errors.pasted} hint="A key of this gateway, so it can tell which key the provider holds. It is sent to AgentCore and never shown again.">
                  <TextInput id="pv-key" type="password" value={pasted} onChange={setPasted} placeholder="sk-..." testid="provider-key-input" mono invalid={!!errors.pasted} />
                </Field>
              </div>
            )}
          </fieldset>
        </>
      )}
    </FormDialog>
  );
}
