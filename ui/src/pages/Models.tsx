import { useState } from "react";
import { FormDialog } from "../components/FormDialog";
import { Badge, ConfirmDialog, EmptyState, ErrorNotice, Field, PageHeader, Spinner, TextInput } from "../components/ui";
import { useApp } from "../context";
import { useAsync } from "../hooks";
import type { Deployment } from "../lib/api";
import {
  type ModelForm,
  PROVIDERS,
  deploymentWhere,
  emptyModelForm,
  groupByAlias,
  modelFormOf,
  modelPayload,
  providerKind,
  agentCoreAgent,
  splitModel,
  validateModelForm,
} from "../lib/forms";
import { formatTokens } from "../lib/format";

type TestResult = { state: "running" } | { state: "ok"; answer: string; ms: number; tokens?: number } | { state: "error"; error: unknown };

export function ModelsPage() {
  const { gw, toast, session } = useApp();
  const models = useAsync(() => gw.modelInfo(), [gw]);
  const [editing, setEditing] = useState<Deployment | "new" | null>(null);
  const [deleting, setDeleting] = useState<Deployment | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult>>({});
  const groups = groupByAlias(models.data ?? []);

  const test = async (alias: string) => {
    setTests((t) => ({ ...t, [alias]: { state: "running" } }));
    const started = performance.now();
    try {
      const r = await gw.testModel(alias);
      setTests((t) => ({ ...t, [alias]: { state: "ok", answer: r.choices?.[0]?.message?.content ?? "(empty answer)", ms: performance.now() - started, tokens: r.usage?.total_tokens } }));
    } catch (e) {
      setTests((t) => ({ ...t, [alias]: { state: "error", error: e } }));
    }
  };

  return (
    <div className="page">
      <PageHeader
        title="Models"
        subtitle="Aliases clients call, and the deployments behind them. Models from config.yaml are read-only here: edit the file."
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")} data-testid="add-model">
            Add model
          </button>
        }
      />
      {models.error != null && <ErrorNotice error={models.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
      {models.loading && !models.data && <Spinner label="Loading models…" />}
      {models.data && groups.length === 0 && (
        <EmptyState
          title="No models yet"
          action={
            <button type="button" className="btn btn-primary" onClick={() => setEditing("new")}>
              Add a model
            </button>
          }
        >
          A model is an alias (e.g. <code>claude-haiku</code>) that clients send as <code>model</code>, routed to a provider: Amazon Bedrock or an OpenAI-compatible server. Add one here, or list them in config.yaml's <code>model_list</code> and restart the gateway.
        </EmptyState>
      )}
      {groups.length > 0 && (
        <div className="card card-flush">
          <table className="table" data-testid="models-table">
            <colgroup>
              <col style={{ width: "20%" }} />
              <col style={{ width: "96px" }} />
              <col />
              <col style={{ width: "18%" }} />
              <col style={{ width: "104px" }} />
              <col style={{ width: "180px" }} />
            </colgroup>
            <thead>
              <tr>
                <th>Alias</th>
                <th>Provider</th>
                <th>Model</th>
                <th>Region / endpoint</th>
                <th>Source</th>
                <th className="right">Actions</th>
              </tr>
            </thead>
            {groups.map((g) => (
              <tbody key={g.alias} className="group" data-testid="model-group" data-alias={g.alias}>
                {g.deployments.map((d, i) => {
                  const { provider, id } = splitModel(d.litellm_params.model);
                  const agent = agentCoreAgent(d.litellm_params.model);
                  const fromDb = d.model_info.db_model === true;
                  return (
                    <tr key={d.model_info.id} data-testid="model-row">
                      <td className="wrap" title={g.alias}>
                        {i === 0 && <strong className="alias">{g.alias}</strong>}
                        {i === 0 && g.deployments.length > 1 && <span className="muted small"> · {g.deployments.length} deployments</span>}
                      </td>
                      <td>
                        <Badge tone={providerKind(provider) === "bedrock" ? "amber" : "blue"}>{agent ? "agentcore" : (d.model_info.litellm_provider ?? provider)}</Badge>
                      </td>
                      <td className="mono wrap" title={d.litellm_params.model}>
                        {agent ? `${agent.kind}/${agent.name}` : id}
                      </td>
                      <td className="ellipsis" title={deploymentWhere(d)}>
                        {deploymentWhere(d)}
                      </td>
                      <td>{fromDb ? <Badge tone="violet">database</Badge> : <Badge title="Defined in config.yaml: edit the file to change it">config.yaml</Badge>}</td>
                      <td className="right nowrap">
                        {i === 0 && (
                          <button type="button" className="btn btn-sm" onClick={() => test(g.alias)} disabled={tests[g.alias]?.state === "running"} data-testid="test-model">
                            {tests[g.alias]?.state === "running" ? "Testing…" : "Test"}
                          </button>
                        )}
                        {fromDb ? (
                          <>
                            <button type="button" className="btn btn-sm btn-ghost" onClick={() => setEditing(d)} data-testid="edit-model">
                              Edit
                            </button>
                            <button type="button" className="btn btn-sm btn-ghost danger" onClick={() => setDeleting(d)} data-testid="delete-model">
                              Delete
                            </button>
                          </>
                        ) : (
                          <span className="readonly-note" title="Defined in config.yaml: edit the file to change it">
                            read-only
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
                {tests[g.alias] && tests[g.alias].state !== "running" && (
                  <tr className="test-row">
                    <td colSpan={6}>
                      <TestOutcome result={tests[g.alias]} alias={g.alias} onClose={() => setTests((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== g.alias)))} />
                    </td>
                  </tr>
                )}
              </tbody>
            ))}
          </table>
        </div>
      )}
      {editing && (
        <ModelDialog
          deployment={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(alias) => {
            setEditing(null);
            toast(editing === "new" ? `Model ${alias} added` : `Model ${alias} saved`);
            void models.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the deployment of ${deleting.model_name}?`}
          confirmLabel="Delete"
          body={
            <>
              <p>
                <strong>{deleting.model_name}</strong> → <code>{deleting.litellm_params.model}</code> is removed from the gateway now.
              </p>
              <p className="muted">Clients calling this alias get “Invalid model name” unless another deployment serves it. Teams and keys that list it keep the name.</p>
            </>
          }
          onConfirm={async () => {
            await gw.deleteModel(deleting.model_info.id);
            toast(`Deleted ${deleting.model_name}`);
            await models.reload();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </div>
  );
}

function TestOutcome({ result, alias, onClose }: { result: TestResult; alias: string; onClose: () => void }) {
  const { session } = useApp();
  return (
    <div className="test-outcome" data-testid="test-result">
      {result.state === "ok" && (
        <div className="notice notice-ok">
          <div className="notice-title">
            {alias} answered in {Math.round(result.ms)} ms{result.tokens != null ? ` · ${formatTokens(result.tokens)} tokens` : ""}
          </div>
          <div className="answer" data-testid="test-answer">
            {result.answer}
          </div>
        </div>
      )}
      {result.state === "error" && <ErrorNotice error={result.error} ctx={{ model: alias, gatewayUrl: session.url }} testid="test-error" />}
      <button type="button" className="btn btn-xs btn-ghost test-close" onClick={onClose} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

function ModelDialog({ deployment, onClose, onSaved }: { deployment: Deployment | null; onClose: () => void; onSaved: (alias: string) => void }) {
  const { gw } = useApp();
  const editing = deployment != null;
  const [form, setForm] = useState<ModelForm>(() => (deployment ? modelFormOf(deployment) : emptyModelForm()));
  const set = <K extends keyof ModelForm>(k: K) => (v: ModelForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const bedrock = providerKind(form.provider) === "bedrock";

  const save = async () => {
    const body = modelPayload(form, { editing });
    if (deployment) await gw.updateModel({ ...body, model_info: { id: deployment.model_info.id } });
    else await gw.newModel(body);
    onSaved(body.model_name);
  };

  return (
    <FormDialog
      title={editing ? `Edit ${deployment.model_name}` : "Add a model"}
      testid="model-dialog"
      formId="model-form"
      submitLabel={editing ? "Save" : "Add model"}
      submitTestid="model-save"
      validate={() => validateModelForm(form, { editing })}
      onSubmit={save}
      onClose={onClose}
    >
      {(errors) => (
        <>
          <Field label="Alias" htmlFor="m-alias" error={errors.alias} hint={<>The name clients send as <code>model</code>; LiteLLM clients write <code>litellm_proxy/{form.alias || "<alias>"}</code>.</>}>
            <TextInput id="m-alias" value={form.alias} onChange={set("alias")} testid="model-alias" placeholder="claude-haiku" invalid={!!errors.alias} autoFocus />
          </Field>
          <Field label="Provider" htmlFor="m-provider">
            <select id="m-provider" className="input" value={form.provider} onChange={(e) => set("provider")(e.target.value)} data-testid="model-provider">
              {PROVIDERS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          </Field>
          {bedrock ? (
            <>
              <Field
                label="Model id or inference profile"
                htmlFor="m-id"
                error={errors.modelId}
                hint={<>A model id (anthropic.claude-…), a cross-region inference profile (us.anthropic.claude-…) or an ARN.</>}
              >
                <TextInput id="m-id" value={form.modelId} onChange={set("modelId")} testid="model-id" mono placeholder="us.anthropic.claude-haiku-4-5-20251001-v1:0" invalid={!!errors.modelId} />
              </Field>
              <div className="form-row">
                <Field label="Region" htmlFor="m-region" error={errors.region} optional hint="Else the AWS default chain's">
                  <TextInput id="m-region" value={form.region} onChange={set("region")} testid="model-region" mono placeholder="us-east-1" invalid={!!errors.region} />
                </Field>
                <Field label="AWS profile" htmlFor="m-profile" error={errors.profile} optional hint="From ~/.aws/config">
                  <TextInput id="m-profile" value={form.profile} onChange={set("profile")} testid="model-profile" mono placeholder="default" invalid={!!errors.profile} />
                </Field>
              </div>
              <Field label="Bedrock Runtime endpoint" htmlFor="m-endpoint" error={errors.endpoint} optional hint="Only for a VPC endpoint or a test double">
                <TextInput id="m-endpoint" value={form.endpoint} onChange={set("endpoint")} testid="model-endpoint" mono placeholder="https://bedrock-runtime.us-east-1.amazonaws.com" invalid={!!errors.endpoint} />
              </Field>
            </>
          ) : (
            <>
              <Field label="Model" htmlFor="m-id" error={errors.modelId} hint="The name the upstream server knows, e.g. gpt-4o-mini">
                <TextInput id="m-id" value={form.modelId} onChange={set("modelId")} testid="model-id" mono placeholder="gpt-4o-mini" invalid={!!errors.modelId} />
              </Field>
              <Field label="Base URL" htmlFor="m-base" error={errors.apiBase} optional={form.provider === "openai"} hint="The OpenAI-compatible endpoint, including /v1">
                <TextInput id="m-base" value={form.apiBase} onChange={set("apiBase")} testid="model-api-base" mono placeholder="http://127.0.0.1:8000/v1" invalid={!!errors.apiBase} />
              </Field>
              <Field label="API key" htmlFor="m-key" optional hint={editing ? "Leave empty to keep the stored key. os.environ/NAME reads it from the gateway's environment." : "os.environ/NAME reads it from the gateway's environment"}>
                <TextInput id="m-key" value={form.apiKey} onChange={set("apiKey")} testid="model-api-key" mono type="password" placeholder={editing ? "********" : "sk-... or os.environ/OPENAI_API_KEY"} />
              </Field>
            </>
          )}
          <div className="form-row">
            <Field label="Input cost (USD / 1M tokens)" htmlFor="m-in" error={errors.inputCost} optional hint="Else LiteLLM's price map">
              <TextInput id="m-in" value={form.inputCost} onChange={set("inputCost")} inputMode="decimal" testid="model-input-cost" invalid={!!errors.inputCost} />
            </Field>
            <Field label="Output cost (USD / 1M tokens)" htmlFor="m-out" error={errors.outputCost} optional>
              <TextInput id="m-out" value={form.outputCost} onChange={set("outputCost")} inputMode="decimal" testid="model-output-cost" invalid={!!errors.outputCost} />
            </Field>
          </div>
          <div className="preview muted small">
            <span>Sends </span>
            <code>model: {`${form.provider}/${form.modelId.trim() || "…"}`}</code>
          </div>
        </>
      )}
    </FormDialog>
  );
}
