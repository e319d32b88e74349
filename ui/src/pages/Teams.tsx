import { type FormEvent, useEffect, useState } from "react";
import { FormDialog } from "../components/FormDialog";
import { Badge, BudgetBar, ConfirmDialog, EmptyState, ErrorNotice, Field, ModelChips, Modal, MultiSelect, PageHeader, Pager, Spinner, TextInput } from "../components/ui";
import { useApp } from "../context";
import { useAsync, useDebounced } from "../hooks";
import type { Member, TeamRecord } from "../lib/api.gen";
import { type TeamForm, emptyTeamForm, teamFormOf, teamPayload, teamUpdatePayload, validateTeamForm } from "../lib/forms";
import { shortId } from "../lib/format";
import { LimitsFields, limitsSummary } from "./shared";

/** Teams per page: the gateway pages them (`/v2/team/list`), and counts each one's keys. */
const PAGE_SIZE = 25;

export function TeamsPage() {
  const { gw, toast, session } = useApp();
  const [filter, setFilter] = useState("");
  const search = useDebounced(filter.trim(), 250);
  // The page belongs to a search: a new search starts from its first page.
  const [paging, setPaging] = useState({ search: "", page: 1 });
  const page = paging.search === search ? paging.page : 1;
  const setPage = (p: number) => setPaging({ search, page: p });
  const models = useAsync(() => gw.modelNames(), [gw]);
  const data = useAsync(
    async (signal) => {
      const found = await gw.teamPage({ page, size: PAGE_SIZE, search }, signal);
      // A team's keys are counted, not loaded: a team may hold a hundred thousand.
      const counts = await Promise.all(found.teams.map((t) => gw.keyPage({ page: 1, size: 1, teamId: t.team_id }, signal).then((k) => k.total)));
      return { ...found, keyCounts: new Map(found.teams.map((t, i) => [t.team_id, counts[i]])) };
    },
    [gw, page, search],
  );
  const [editing, setEditing] = useState<TeamRecord | "new" | null>(null);
  const [members, setMembers] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<{ kind: "delete" | "block"; team: TeamRecord } | null>(null);
  const teams = data.data?.teams ?? [];
  const aliases = models.data ?? [];
  const membersTeam = teams.find((t) => t.team_id === members);
  const keyCount = (t: TeamRecord) => data.data?.keyCounts.get(t.team_id) ?? 0;
  // No team at all (not: none on this page or for this search): the empty state.
  const none = data.data != null && data.data.total === 0 && !search;
  // The last team of the last page deleted: show the page before.
  useEffect(() => {
    if (data.data && data.data.total > 0 && data.data.page > data.data.total_pages) setPaging({ search, page: data.data.total_pages });
  }, [data.data, search]);
  const pager = (where: "top" | "bottom") =>
    data.data && data.data.total_pages > 1 ? (
      <Pager page={data.data.page} pages={data.data.total_pages} size={PAGE_SIZE} total={data.data.total} onPage={setPage} testid={where === "top" ? "teams-pager" : "teams-pager-bottom"} top={where === "top"} />
    ) : null;

  const unblock = async (t: TeamRecord) => {
    try {
      await gw.blockTeam(t.team_id, false);
      toast(`Team ${t.team_alias ?? t.team_id} unblocked`);
      await data.reload();
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), "error");
    }
  };

  return (
    <div className="page">
      <PageHeader
        title="Teams"
        subtitle="A team groups keys: the models they may call, a shared budget and limits."
        actions={
          <>
            {!none && <input className="input input-sm search" placeholder="Search by team name…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Search teams by name" data-testid="team-search" />}
            <button type="button" className="btn btn-primary" onClick={() => setEditing("new")} data-testid="add-team">
              Create team
            </button>
          </>
        }
      />
      {(data.error ?? models.error) != null && <ErrorNotice error={data.error ?? models.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
      {data.loading && !data.data && <Spinner label="Loading teams…" />}
      {none && (
        <EmptyState
          title="No teams yet"
          action={
            <button type="button" className="btn btn-primary" onClick={() => setEditing("new")}>
              Create a team
            </button>
          }
        >
          Create a team for each project or agent (the seed article's is <code>agentcore-harness</code> with <code>claude-sonnet</code> and <code>claude-haiku</code>), then generate its keys on the Keys page.
        </EmptyState>
      )}
      {data.data && !none && (
        <div className="card card-flush">
          {pager("top")}
          <table className="table" data-testid="teams-table">
            <colgroup>
              <col style={{ width: "21%" }} />
              <col style={{ width: "22%" }} />
              <col style={{ width: "15%" }} />
              <col style={{ width: "14%" }} />
              <col style={{ width: "82px" }} />
              <col style={{ width: "60px" }} />
              <col style={{ width: "250px" }} />
            </colgroup>
            <thead>
              <tr>
                <th>Team</th>
                <th>Allowed models</th>
                <th>Spend / budget</th>
                <th>Limits</th>
                <th className="num">Members</th>
                <th className="num">Keys</th>
                <th className="right">Actions</th>
              </tr>
            </thead>
            <tbody>
              {teams.map((t) => (
                <tr key={t.team_id} data-testid="team-row" data-alias={t.team_alias ?? ""}>
                  <td className="wrap" title={t.team_alias ?? t.team_id}>
                    <strong>{t.team_alias ?? "(no name)"}</strong> {t.blocked && <Badge tone="red">blocked</Badge>}
                    <div className="muted small mono" title={t.team_id}>
                      {shortId(t.team_id, 8, 4)}
                    </div>
                  </td>
                  <td>
                    <ModelChips models={t.models ?? []} max={3} />
                  </td>
                  <td>
                    <BudgetBar spend={t.spend ?? 0} budget={t.max_budget} />
                  </td>
                  <td className="small">{limitsSummary(t)}</td>
                  <td className="num">{t.members_with_roles?.length ?? 0}</td>
                  <td className="num">{keyCount(t)}</td>
                  <td className="right nowrap">
                    <button type="button" className="btn btn-sm btn-ghost" onClick={() => setEditing(t)} data-testid="edit-team">
                      Edit
                    </button>
                    <button type="button" className="btn btn-sm btn-ghost" onClick={() => setMembers(t.team_id)} data-testid="team-members">
                      Members
                    </button>
                    {t.blocked ? (
                      <button type="button" className="btn btn-sm btn-ghost" onClick={() => unblock(t)} data-testid="unblock-team">
                        Unblock
                      </button>
                    ) : (
                      <button type="button" className="btn btn-sm btn-ghost" onClick={() => setConfirm({ kind: "block", team: t })} data-testid="block-team">
                        Block
                      </button>
                    )}
                    <button type="button" className="btn btn-sm btn-ghost danger" onClick={() => setConfirm({ kind: "delete", team: t })} data-testid="delete-team">
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
              {teams.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted center" data-testid="teams-none">
                    {search ? <>No team’s name contains “{search}”.</> : <>No teams on this page.</>}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          {pager("bottom")}
        </div>
      )}
      {editing && (
        <TeamDialog
          team={editing === "new" ? null : editing}
          teams={teams}
          aliases={aliases}
          onClose={() => setEditing(null)}
          onSaved={(name) => {
            toast(editing === "new" ? `Team ${name} created` : `Team ${name} saved`);
            setEditing(null);
            void data.reload();
          }}
        />
      )}
      {membersTeam && <MembersDialog team={membersTeam} onClose={() => setMembers(null)} onChanged={() => void data.reload()} />}
      {confirm?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete team ${confirm.team.team_alias ?? confirm.team.team_id}?`}
          confirmLabel={keyCount(confirm.team) ? `Delete team and ${keyCount(confirm.team).toLocaleString()} key${keyCount(confirm.team) > 1 ? "s" : ""}` : "Delete team"}
          body={<DeleteTeamNotice team={confirm.team} />}
          onConfirm={async () => {
            const r = await gw.deleteTeams([confirm.team.team_id]);
            toast(`Team deleted${r.deleted_keys ? ` with ${r.deleted_keys} key${r.deleted_keys > 1 ? "s" : ""}` : ""}`);
            await data.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
      {confirm?.kind === "block" && (
        <ConfirmDialog
          title={`Block team ${confirm.team.team_alias ?? confirm.team.team_id}?`}
          confirmLabel="Block team"
          body={<p>Every key of this team is refused until the team is unblocked.</p>}
          onConfirm={async () => {
            await gw.blockTeam(confirm.team.team_id, true);
            toast("Team blocked");
            await data.reload();
          }}
          onClose={() => setConfirm(null)}
        />
      )}
    </div>
  );
}

/** What deleting a team takes with it: its keys, the first twenty by name and how many more. */
function DeleteTeamNotice({ team }: { team: TeamRecord }) {
  const { gw } = useApp();
  const keys = useAsync((signal) => gw.keyPage({ page: 1, size: 20, teamId: team.team_id }, signal), [gw, team.team_id]);
  const shown = keys.data?.keys ?? [];
  const more = (keys.data?.total ?? 0) - shown.length;
  return (
    <>
      <p>
        The team and <strong>all its keys</strong> are deleted
        {shown.length > 0 && (
          <>
            {" "}
            — {keys.data?.total.toLocaleString()} key{(keys.data?.total ?? 0) > 1 ? "s" : ""}: {shown.map((k) => k.key_alias ?? k.key_name).join(", ")}
            {more > 0 && <> and {more.toLocaleString()} more</>}
          </>
        )}
        . Clients using those keys are refused from the next request.
      </p>
      <p className="muted">Its spend stays in the request log.</p>
    </>
  );
}

function TeamDialog({ team, teams, aliases, onClose, onSaved }: { team: TeamRecord | null; teams: TeamRecord[]; aliases: string[]; onClose: () => void; onSaved: (name: string) => void }) {
  const { gw } = useApp();
  const [form, setForm] = useState<TeamForm>(() => (team ? teamFormOf(team) : emptyTeamForm()));
  const set = <K extends keyof TeamForm>(k: K) => (v: TeamForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  const save = async () => {
    if (team) await gw.updateTeam(teamUpdatePayload(form, team.team_id));
    else await gw.newTeam(teamPayload(form));
    onSaved(form.alias.trim());
  };

  return (
    <FormDialog
      title={team ? `Edit team ${team.team_alias ?? ""}` : "Create a team"}
      testid="team-dialog"
      formId="team-form"
      submitLabel={team ? "Save" : "Create team"}
      submitTestid="team-save"
      validate={() => validateTeamForm(form, teams, team?.team_id)}
      onSubmit={save}
      onClose={onClose}
    >
      {(errors) => (
        <>
          <Field label="Name" htmlFor="t-alias" error={errors.alias} hint="Letters, digits, - _ . (e.g. agentcore-harness)">
            <TextInput id="t-alias" value={form.alias} onChange={set("alias")} testid="team-alias" placeholder="agentcore-harness" invalid={!!errors.alias} autoFocus />
          </Field>
          <Field label="Allowed models" hint="Keys of this team may call only these aliases">
            <MultiSelect options={aliases} value={form.models} onChange={set("models")} testid="team-models" emptyLabel="No models yet: add one on the Models page" />
          </Field>
          <LimitsFields form={form} errors={errors} onChange={(k, v) => setForm((f) => ({ ...f, [k]: v }))} prefix="team" />
        </>
      )}
    </FormDialog>
  );
}

function MembersDialog({ team, onClose, onChanged }: { team: TeamRecord; onClose: () => void; onChanged: () => void }) {
  const { gw, toast } = useApp();
  const [who, setWho] = useState("");
  const [role, setRole] = useState<"user" | "admin">("user");
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const members = team.members_with_roles ?? [];

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const v = who.trim();
    if (!v) {
      setFieldError("A user id or an email is required");
      return;
    }
    if (v.includes("@") && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) {
      setFieldError("That email does not look right");
      return;
    }
    setFieldError(null);
    setBusy(true);
    setError(null);
    try {
      await gw.addMember(team.team_id, { role, ...(v.includes("@") ? { user_email: v } : { user_id: v }) });
      setWho("");
      toast(`${v} added to ${team.team_alias ?? "the team"}`);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Members of ${team.team_alias ?? team.team_id}`} onClose={onClose} testid="members-dialog">
      {members.length === 0 ? (
        <p className="muted">No members yet. Members are users (by id or email); keys generated for a user count toward their budget too.</p>
      ) : (
        <table className="table table-compact">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={`${m.user_id ?? ""}|${m.user_email ?? ""}`} data-testid="member-row">
                <td className="ellipsis">{m.user_id ?? m.user_email}</td>
                <td>
                  <Badge tone={m.role === "admin" ? "violet" : "neutral"}>{m.role}</Badge>
                </td>
                <td className="right">
                  <button type="button" className="btn btn-xs btn-ghost danger" onClick={() => setRemoving(m)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={add} noValidate>
        <Field label="Add a member" error={fieldError} htmlFor="member-who">
          <div className="input-row">
            <TextInput id="member-who" value={who} onChange={setWho} placeholder="user id or email" testid="member-user" invalid={!!fieldError} />
            <select className="input input-narrow" value={role} onChange={(e) => setRole(e.target.value as "user" | "admin")} aria-label="Role">
              <option value="user">user</option>
              <option value="admin">admin</option>
            </select>
            <button type="submit" className="btn btn-primary" disabled={busy} data-testid="member-add">
              Add
            </button>
          </div>
        </Field>
      </form>
      {error != null && <ErrorNotice error={error} ctx={{ admin: true }} />}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.user_id ?? removing.user_email}?`}
          confirmLabel="Remove member"
          body={<p>They leave {team.team_alias ?? "the team"}; their keys stay.</p>}
          onConfirm={async () => {
            await gw.removeMember(team.team_id, removing);
            onChanged();
          }}
          onClose={() => setRemoving(null)}
        />
      )}
    </Modal>
  );
}
