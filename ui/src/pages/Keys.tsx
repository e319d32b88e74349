import { useEffect, useMemo, useState } from "react";
import { FormDialog } from "../components/FormDialog";
import { BudgetBar, ConfirmDialog, CopyField, EmptyState, ErrorNotice, Field, ModelChips, Modal, MultiSelect, PageHeader, Pager, Spinner, StatusBadge, TextInput } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useDebounced } from "../hooks";
import type { ChangedKey, GeneratedKey, KeyView, TeamRecord } from "../lib/api.gen";
import { type KeyForm, emptyKeyForm, keyPayload, modelsForTeam, validateKeyForm } from "../lib/forms";
import { formatRelative } from "../lib/format";
import { LimitsFields } from "./shared";

type Confirm = { kind: "delete" | "regenerate" | "block"; key: KeyView };
/** Keys per page: the gateway pages them, so a million keys load as fast as fifty. */
const PAGE_SIZE = 50;
/** A key with its clear value, shown once: generated, or regenerated. */
type ClearKey = GeneratedKey | ChangedKey;

export function KeysPage() {
  const { gw, toast, session, sessionKeys, rememberKey, forgetKey, setPlaygroundKey, go } = useApp();
  const [filter, setFilter] = useState("");
  const search = useDebounced(filter.trim(), 250);
  // The page belongs to a search: a new search starts from its first page.
  const [paging, setPaging] = useState({ search: "", page: 1 });
  const page = paging.search === search ? paging.page : 1;
  const setPage = (p: number) => setPaging({ search, page: p });
  const context = useAsync(async () => {
    const [teams, aliases] = await Promise.all([gw.teamList(), gw.modelNames()]);
    return { teams, aliases };
  }, [gw]);
  const data = useAsync((signal) => gw.keyPage({ page, size: PAGE_SIZE, search }, signal), [gw, page, search]);
  const [generating, setGenerating] = useState(false);
  const [created, setCreated] = useState<{ key: ClearKey; regenerated: boolean } | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const keys = data.data?.keys ?? [];
  const total = data.data?.total ?? 0;
  const teams = context.data?.teams ?? [];
  const teamName = useMemo(() => {
    const m = new Map(teams.map((t) => [t.team_id, t.team_alias ?? t.team_id]));
    return (id: string | null | undefined) => (id ? (m.get(id) ?? id) : null);
  }, [teams]);
  // No key at all (not: none on this page or for this search): the empty state.
  const none = data.data != null && total === 0 && !search;
  // Above the table (where the eye starts) and below it (where a scroll through 50 ends).
  const pager = (where: "top" | "bottom") =>
    data.data && data.data.pages > 1 ? (
      <Pager page={data.data.page} pages={data.data.pages} size={PAGE_SIZE} total={total} onPage={setPage} testid={where === "top" ? "keys-pager" : "keys-pager-bottom"} top={where === "top"} />
    ) : null;
  // The last key of the last page deleted: show the page before.
  useEffect(() => {
    if (data.data && data.data.page > data.data.pages) setPaging({ search, page: data.data.pages });
  }, [data.data, search]);

  const showCreated = (key: ClearKey, regenerated: boolean) => {
    rememberKey({ token: key.token_id, alias: key.key_alias ?? null, key: key.key });
    setCreated({ key, regenerated });
  };

  const unblock = async (k: KeyView) => {
    try {
      await gw.blockKey(k.token_id, false);
      toast(`${k.key_alias ?? k.key_name} unblocked`);
      await data.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), "error");
    }
  };

  return (
    <div className="page">
      <PageHeader
        title="Keys"
        subtitle="Virtual keys for clients. The clear key is shown once, when it is generated."
        actions={
          <>
            {!none && <input className="input input-sm search" placeholder="Search by key name…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Search keys by name" data-testid="key-search" />}
            <button type="button" className="btn btn-primary" onClick={() => setGenerating(true)} data-testid="generate-key">
              Generate key
            </button>
          </>
        }
      />
      {(data.error ?? context.error) != null && <ErrorNotice error={data.error ?? context.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
      {data.loading && !data.data && <Spinner label="Loading keys…" />}
      {none && (
        <EmptyState
          title="No keys yet"
          action={
            <button type="button" className="btn btn-primary" onClick={() => setGenerating(true)}>
              Generate a key
            </button>
          }
        >
          {teams.length === 0 ? (
            <>
              Keys usually belong to a team, which decides the models they may call. <a href="#/teams">Create a team</a> first, or generate a key on its own.
            </>
          ) : (
            <>Generate a key for a team, then give it to a client: an SDK, a harness's credential provider, or the playground.</>
          )}
        </EmptyState>
      )}
      {data.data && !none && (
        <div className="card card-flush">
          {pager("top")}
          <table className="table" data-testid="keys-table">
            <colgroup>
              <col style={{ width: "19%" }} />
              <col style={{ width: "13%" }} />
              <col style={{ width: "15%" }} />
              <col style={{ width: "13%" }} />
              <col style={{ width: "9%" }} />
              <col style={{ width: "9%" }} />
              <col style={{ width: "7%" }} />
              <col style={{ width: "290px" }} />
            </colgroup>
            <thead>
              <tr>
                <th>Key</th>
                <th>Team</th>
                <th>Models</th>
                <th>Spend / budget</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>Status</th>
                <th className="right">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => {
                const clear = sessionKeys.find((s) => s.token === k.token_id);
                const status = k.status ?? (k.blocked ? "blocked" : "active");
                return (
                  <tr key={k.token_id} data-testid="key-row" data-alias={k.key_alias ?? ""} data-status={status}>
                    <td className="wrap" title={k.key_alias ?? k.key_name}>
                      <strong>{k.key_alias ?? "(no name)"}</strong>
                      <div className="mono muted small">{k.key_name}</div>
                    </td>
                    <td className="wrap" title={teamName(k.team_id) ?? ""}>
                      {teamName(k.team_id) ?? <span className="muted">—</span>}
                    </td>
                    <td>
                      <ModelChips models={k.models ?? []} max={2} allLabel={k.team_id ? "team's models" : "all models"} />
                    </td>
                    <td>
                      <BudgetBar spend={k.spend ?? 0} budget={k.max_budget} />
                    </td>
                    <td className="small" title={k.expires ?? "never"}>
                      {k.expires ? formatRelative(k.expires) : <span className="muted">never</span>}
                    </td>
                    <td className="small" title={k.last_active ?? ""}>
                      {k.last_active ? formatRelative(k.last_active) : <span className="muted">never</span>}
                    </td>
                    <td>
                      <StatusBadge status={status} />
                    </td>
                    <td className="right nowrap">
                      {clear && (
                        <button
                          type="button"
                          className="btn btn-sm btn-ghost"
                          title="This key was generated in this tab: try it in the playground"
                          onClick={() => {
                            setPlaygroundKey(k.token_id);
                            go("playground");
                          }}
                          data-testid="try-key"
                        >
                          Try
                        </button>
                      )}
                      {k.blocked ? (
                        <button type="button" className="btn btn-sm btn-ghost" onClick={() => unblock(k)} data-testid="unblock-key">
                          Unblock
                        </button>
                      ) : (
                        <button type="button" className="btn btn-sm btn-ghost" onClick={() => setConfirm({ kind: "block", key: k })} data-testid="block-key">
                          Block
                        </button>
                      )}
                      <button type="button" className="btn btn-sm btn-ghost" onClick={() => setConfirm({ kind: "regenerate", key: k })} data-testid="regenerate-key">
                        Regenerate
                      </button>
                      <button type="button" className="btn btn-sm btn-ghost danger" onClick={() => setConfirm({ kind: "delete", key: k })} data-testid="delete-key">
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
              {keys.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted center" data-testid="keys-none">
                    {search ? <>No key’s name contains “{search}”.</> : <>No keys on this page.</>}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          {pager("bottom")}
        </div>
      )}
      {generating && (
        <GenerateDialog
          keys={keys}
          teams={teams}
          aliases={context.data?.aliases ?? []}
          onClose={() => setGenerating(false)}
          onCreated={(k) => {
            setGenerating(false);
            showCreated(k, false);
            void data.reload();
          }}
        />
      )}
      {created && <KeyCreatedDialog created={created.key} regenerated={created.regenerated} onClose={() => setCreated(null)} />}
      {confirm?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete key ${confirm.key.key_alias ?? confirm.key.key_name}?`}
          confirmLabel="Delete key"
          body={<p>Clients using this key are refused from the next request. This cannot be undone; its spend stays in the request log.</p>}
          onConfirm={async () => {
            await gw.deleteKeys([confirm.key.token_id]);
            forgetKey(confirm.key.token_id);
            toast("Key deleted");
            await data.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
      {confirm?.kind === "block" && (
        <ConfirmDialog
          title={`Block key ${confirm.key.key_alias ?? confirm.key.key_name}?`}
          confirmLabel="Block key"
          body={<p>Requests with this key are refused until it is unblocked.</p>}
          onConfirm={async () => {
            await gw.blockKey(confirm.key.token_id, true);
            toast(`${confirm.key.key_alias ?? "Key"} blocked`);
            await data.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
      {confirm?.kind === "regenerate" && (
        <ConfirmDialog
          title={`Regenerate key ${confirm.key.key_alias ?? confirm.key.key_name}?`}
          confirmLabel="Regenerate"
          body={<p>A new key replaces this one, with the same settings and spend. The current key stops working now: update every client that uses it.</p>}
          onConfirm={async () => {
            const k = await gw.regenerateKey(confirm.key.token_id);
            forgetKey(confirm.key.token_id);
            showCreated(k, true);
            await data.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </div>
  );
}

function GenerateDialog({ keys, teams, aliases, onClose, onCreated }: { keys: KeyView[]; teams: TeamRecord[]; aliases: string[]; onClose: () => void; onCreated: (k: GeneratedKey) => void }) {
  const { gw } = useApp();
  const [form, setForm] = useState<KeyForm>(() => ({ ...emptyKeyForm(), teamId: teams.length === 1 ? teams[0].team_id : "" }));
  const set = <K extends keyof KeyForm>(k: K) => (v: KeyForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const team = teams.find((t) => t.team_id === form.teamId);
  const options = modelsForTeam(team, aliases);

  return (
    <FormDialog
      title="Generate a key"
      testid="key-dialog"
      formId="key-form"
      submitLabel="Generate key"
      busyLabel="Generating…"
      submitTestid="key-save"
      validate={() => validateKeyForm(form, keys)}
      onSubmit={async () => onCreated(await gw.generateKey(keyPayload(form)))}
      onClose={onClose}
    >
      {(errors) => (
        <>
          <div className="form-row">
            <Field label="Name" htmlFor="k-alias" error={errors.alias} optional hint="e.g. agentcore-harness-key">
              <TextInput id="k-alias" value={form.alias} onChange={set("alias")} testid="key-alias" placeholder="agentcore-harness-key" invalid={!!errors.alias} autoFocus />
            </Field>
            <Field label="Team" htmlFor="k-team" optional hint={team ? "The team's models and budget apply too" : "No team: only the key's own limits"}>
              <select id="k-team" className="input" value={form.teamId} onChange={(e) => setForm((f) => ({ ...f, teamId: e.target.value, models: [] }))} data-testid="key-team">
                <option value="">No team</option>
                {teams.map((t) => (
                  <option key={t.team_id} value={t.team_id}>
                    {t.team_alias ?? t.team_id}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <Field label="Models" hint={team ? "None selected: every model the team allows" : "None selected: every model"}>
            <MultiSelect options={options} value={form.models} onChange={set("models")} testid="key-models" />
          </Field>
          <Field label="Expires after" htmlFor="k-duration" error={errors.duration} optional hint="30d, 12h, 2w, 1mo… empty: never">
            <TextInput id="k-duration" value={form.duration} onChange={set("duration")} placeholder="30d" testid="key-duration" invalid={!!errors.duration} />
          </Field>
          <LimitsFields form={form} errors={errors} onChange={(k, v) => setForm((f) => ({ ...f, [k]: v }))} prefix="key" />
        </>
      )}
    </FormDialog>
  );
}

function KeyCreatedDialog({ created, regenerated, onClose }: { created: ClearKey; regenerated: boolean; onClose: () => void }) {
  const { setPlaygroundKey, go } = useApp();
  return (
    <Modal
      title={regenerated ? "Key regenerated" : "Key generated"}
      onClose={onClose}
      testid="key-created"
      footer={
        <>
          <button
            type="button"
            className="btn"
            onClick={() => {
              setPlaygroundKey(created.token_id);
              onClose();
              go("playground");
            }}
            data-testid="key-created-try"
          >
            Try in playground
          </button>
          <button type="button" className="btn btn-primary" onClick={onClose} data-testid="key-created-done">
            I have copied it
          </button>
        </>
      }
    >
      <div className="notice notice-warn">
        <div className="notice-title">Copy this key now: it is not shown again.</div>
        <div className="notice-hint">The gateway keeps only its hash. If it is lost, regenerate it.</div>
      </div>
      <dl className="dl">
        <dt>Name</dt>
        <dd>{created.key_alias ?? "(no name)"}</dd>
        <dt>Key</dt>
        <dd>
          <CopyField value={created.key} testid="created-key" secret />
        </dd>
      </dl>
      <p className="muted small">For an AgentCore harness: store it in an AgentCore Identity API-key credential provider, and set the model to <code>litellm_proxy/&lt;alias&gt;</code>.</p>
    </Modal>
  );
}
