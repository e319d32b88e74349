// The AgentCore page's dialogs: the harness and provider forms, a harness's details, a switch the
// doctor refused, and the confirmations of deletes. One is open at a time.

import { useApp } from "../../context";
import { AgentCoreError } from "../../lib/agentcore";
import type { HarnessView, ProviderView } from "../../lib/api.gen";
import { LITELLM_PREFIX, providerKeyLabel, switchTarget } from "../../lib/agentcoreLogic";
import { ConfirmDialog, Modal } from "../ui";
import { HarnessDetails } from "./HarnessDetails";
import { HarnessDialog } from "./HarnessForm";
import { ProviderDialog } from "./ProviderDialog";
import { AwsErrorNotice, DoctorReportView } from "./parts";
import type { AgentCoreData } from "./useAgentCore";

export type Dialog =
  | { kind: "harness"; harness: HarnessView | null }
  | { kind: "provider"; provider: ProviderView | null }
  | { kind: "details"; harnessId: string; doctor?: boolean }
  | { kind: "delete-harness"; harness: HarnessView }
  | { kind: "delete-provider"; provider: ProviderView }
  | { kind: "switch"; harness: HarnessView; alias: string; error: unknown }
  | null;

export function AgentCoreDialogs({
  dialog,
  setDialog,
  ac,
  switching,
  play,
  openRequests,
  switchModel,
}: {
  dialog: Dialog;
  setDialog: (d: Dialog) => void;
  ac: AgentCoreData;
  /** The harness whose model is being switched. */
  switching: string | null;
  play: (harnessId: string) => void;
  openRequests: (token: string) => void;
  switchModel: (h: HarnessView, alias: string, force?: boolean) => void;
}) {
  const { toast, sessionKeys } = useApp();
  const { api, aliases, providerList, defaults, deployedUrl, teams, harnesses, providers, region, reloadAll } = ac;
  const detailsHarness = dialog?.kind === "details" ? ac.harnessList.find((h) => h.harness_id === dialog.harnessId) : undefined;
  return (
    <>
      {dialog?.kind === "harness" && (
        <HarnessDialog
          api={api}
          harness={dialog.harness}
          aliases={aliases}
          providers={providerList}
          defaults={defaults}
          deployedUrl={deployedUrl}
          onClose={() => setDialog(null)}
          onSaved={(saved, created) => {
            setDialog(null);
            toast(`${created ? "Created" : "Saved"} ${saved.harness.harness_name}: ${saved.harness.model?.model_id ?? ""}`);
            void harnesses.reload();
          }}
        />
      )}
      {dialog?.kind === "provider" && (
        <ProviderDialog
          api={api}
          provider={dialog.provider}
          teams={teams.data ?? []}
          sessionKeys={sessionKeys}
          defaults={{ name: defaults.provider, keyAlias: defaults.keyAlias, teamAlias: defaults.teamAlias }}
          onClose={() => setDialog(null)}
          onSaved={(stored) => {
            setDialog(null);
            const was = stored.previous_key ? ` (was ${stored.previous_key.key_alias ?? stored.previous_key.key_name})` : "";
            toast(`Provider ${stored.provider.name} ${providerKeyLabel(stored.provider)}${was}`);
            reloadAll();
          }}
        />
      )}
      {dialog?.kind === "details" && detailsHarness && (
        <HarnessDetails
          api={api}
          harness={detailsHarness}
          autoDoctor={dialog.doctor}
          onClose={() => setDialog(null)}
          onEdit={() => setDialog({ kind: "harness", harness: detailsHarness })}
          onPlay={() => play(detailsHarness.harness_id)}
          onRequests={openRequests}
          switchTo={switchTarget(detailsHarness, aliases)}
          onSwitch={(a) => switchModel(detailsHarness, a)}
          switching={switching != null}
          onDelete={() => setDialog({ kind: "delete-harness", harness: detailsHarness })}
          onChanged={reloadAll}
        />
      )}
      {dialog?.kind === "switch" && (
        <SwitchRefused
          harness={dialog.harness}
          alias={dialog.alias}
          error={dialog.error}
          busy={switching != null}
          onClose={() => setDialog(null)}
          onForce={() => switchModel(dialog.harness, dialog.alias, true)}
        />
      )}
      {dialog?.kind === "delete-harness" && (
        <ConfirmDialog
          title={`Delete harness ${dialog.harness.harness_name}?`}
          confirmLabel="Delete harness"
          body={<p>DeleteHarness in {region}: its sessions end. The credential provider and the key stay.</p>}
          onConfirm={async () => {
            await api.deleteHarness(dialog.harness.harness_id);
            toast(`Deleting ${dialog.harness.harness_name}`);
            await harnesses.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === "delete-provider" && (
        <ConfirmDialog
          title={`Delete credential provider ${dialog.provider.name}?`}
          confirmLabel="Delete provider"
          body={<p>Harnesses using it can no longer fetch their key and fail. The key stays a key of this gateway (block or delete it on the Keys page).</p>}
          onConfirm={async () => {
            await api.deleteProvider(dialog.provider.name);
            toast(`Deleted ${dialog.provider.name}`);
            await providers.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}

function SwitchRefused({ harness, alias, error, busy, onClose, onForce }: { harness: HarnessView; alias: string; error: unknown; busy: boolean; onClose: () => void; onForce: () => void }) {
  const refused = error instanceof AgentCoreError && error.refusedByDoctor ? error : null;
  return (
    <Modal
      title={refused ? `The doctor refused to switch ${harness.harness_name} to ${LITELLM_PREFIX}${alias}` : `Could not switch ${harness.harness_name}`}
      onClose={onClose}
      wide
      testid="switch-refused"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          {refused?.forceOffered && (
            <button type="button" className="btn btn-danger" onClick={onForce} disabled={busy} data-testid="switch-anyway">
              {busy ? "Switching…" : "Switch anyway"}
            </button>
          )}
        </>
      }
    >
      {refused?.doctor ? (
        <>
          <p>Nothing was changed. Fix what the doctor found, or switch anyway if the harness can work regardless (e.g. a local test).</p>
          <DoctorReportView report={refused.doctor} testid="switch-doctor-report" />
        </>
      ) : (
        <AwsErrorNotice error={error} testid="switch-error" />
      )}
    </Modal>
  );
}
