// The AgentCore page: the seed article's manual story as buttons. Browse the API-key credential
// providers and harnesses of a region/profile, create and rotate providers, create and edit
// harnesses with model source LiteLLM (after the doctor), wire the whole chain in one click,
// switch the model in one click, and play with a harness — its calls show in the request log
// under the key its provider holds. The sections live in components/agentcore/; this page holds
// them together.

import { useState } from "react";
import { AgentCoreDialogs, type Dialog } from "../components/agentcore/AgentCoreDialogs";
import { ApiBaseCard } from "../components/agentcore/ApiBaseCard";
import { DoctorPanel } from "../components/agentcore/DoctorPanel";
import { HarnessesCard } from "../components/agentcore/HarnessesCard";
import { HarnessPlayground } from "../components/agentcore/HarnessPlayground";
import { ProvidersCard } from "../components/agentcore/ProvidersCard";
import { TargetPicker } from "../components/agentcore/TargetPicker";
import { useAgentCore } from "../components/agentcore/useAgentCore";
import { WirePanel } from "../components/agentcore/WirePanel";
import { AwsErrorNotice } from "../components/agentcore/parts";
import "../components/agentcore/agentcore.css";
import { EmptyState, PageHeader, Spinner } from "../components/ui";
import { useApp } from "../context";
import type { HarnessView } from "../lib/api.gen";
import { LITELLM_PREFIX } from "../lib/agentcoreLogic";

type Tab = "resources" | "wire" | "doctor" | "playground";

const TABS: Array<{ id: Tab; label: string }> = [
  { id: "resources", label: "Providers & harnesses" },
  { id: "wire", label: "Wire everything" },
  { id: "doctor", label: "Doctor" },
  { id: "playground", label: "Harness playground" },
];

export function AgentCorePage() {
  const { toast, go } = useApp();
  const ac = useAgentCore();
  const { api, target, settings, providers, harnesses, teams, aliases, providerList, harnessList, region, apiBase, defaults, deployedUrl, teamName, reloadAll } = ac;
  const [tab, setTab] = useState<Tab>("resources");
  const [dialog, setDialog] = useState<Dialog>(null);
  const [playHarness, setPlayHarness] = useState("");
  const [doctorSubject, setDoctorSubject] = useState("");
  const [switching, setSwitching] = useState<string | null>(null);
  const s = settings.data;

  const openRequests = (token: string) => go(`requests?key=${encodeURIComponent(token)}`);
  const play = (id: string) => {
    setPlayHarness(id);
    setTab("playground");
    setDialog(null);
  };

  const switchModel = async (h: HarnessView, alias: string, force = false) => {
    setSwitching(h.harness_id);
    try {
      const saved = await api.updateHarness(h.harness_id, force ? { model: alias, force: true } : { model: alias });
      toast(`${h.harness_name} now calls ${saved.harness.model?.model_id ?? `${LITELLM_PREFIX}${alias}`}`);
      setDialog((d) => (d?.kind === "switch" ? null : d));
      harnesses.setData((cur) => (cur ? { ...cur, harnesses: cur.harnesses.map((x) => (x.harness_id === h.harness_id ? saved.harness : x)) } : cur));
      void harnesses.reload();
    } catch (e) {
      setDialog({ kind: "switch", harness: h, alias, error: e });
    } finally {
      setSwitching(null);
    }
  };

  return (
    <div className="page ac-page">
      <PageHeader title="AgentCore" subtitle="Wire this gateway into an Amazon Bedrock AgentCore harness with model source LiteLLM." actions={s && <TargetPicker ac={ac} settings={s} />} />
      {ac.noApi && (
        <EmptyState title="This gateway has no AgentCore API" testid="ac-no-api">
          It may be an older Switchboard, or a LiteLLM proxy: <code>/agentcore/settings</code> answered 404.
        </EmptyState>
      )}
      {settings.error != null && !ac.noApi && <AwsErrorNotice error={settings.error} />}
      {settings.loading && !s && <Spinner label="Loading AgentCore settings…" />}
      {s && (
        <>
          <ApiBaseCard settings={s} apiBase={apiBase} override={ac.apiBaseOverride} onOverride={ac.setApiBaseOverride} deployedUrl={deployedUrl} hidden={tab === "playground"} />

          <div className="tabs ac-tabs" role="tablist">
            {TABS.map((t) => (
              <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? " active" : ""}`} onClick={() => setTab(t.id)} data-testid={`ac-tab-${t.id}`}>
                {t.label}
              </button>
            ))}
          </div>

          <div hidden={tab !== "resources"} data-testid="ac-panel-resources">
            <ProvidersCard
              region={region}
              providers={providerList}
              loading={providers.loading && !providers.data}
              error={providers.error}
              teamName={teamName}
              onNew={() => setDialog({ kind: "provider", provider: null })}
              onRotate={(p) => setDialog({ kind: "provider", provider: p })}
              onDelete={(p) => setDialog({ kind: "delete-provider", provider: p })}
            />
            <HarnessesCard
              region={region}
              harnesses={harnessList}
              aliases={aliases}
              loading={harnesses.loading && !harnesses.data}
              error={harnesses.error}
              switching={switching}
              onNew={() => setDialog({ kind: "harness", harness: null })}
              onWire={() => setTab("wire")}
              onOpen={(h) => setDialog({ kind: "details", harnessId: h.harness_id })}
              onDoctor={(h) => setDialog({ kind: "details", harnessId: h.harness_id, doctor: true })}
              onEdit={(h) => setDialog({ kind: "harness", harness: h })}
              onPlay={(h) => play(h.harness_id)}
              onSwitch={(h, a) => switchModel(h, a)}
            />
          </div>
          <div hidden={tab !== "wire"} data-testid="ac-panel-wire">
            <WirePanel
              key={`${region}|${target.profile ?? ""}|${apiBase}`}
              api={api}
              aliases={aliases}
              harnesses={harnessList}
              providers={providerList}
              teams={teams.data ?? []}
              defaults={defaults}
              deployedUrl={deployedUrl}
              onWired={(r) => {
                reloadAll();
                if (r.ok && r.harness) setPlayHarness(r.harness.harness_id);
              }}
              onPlay={play}
              onRequests={openRequests}
            />
          </div>
          <div hidden={tab !== "doctor"} data-testid="ac-panel-doctor">
            <DoctorPanel
              key={`${region}|${target.profile ?? ""}|${apiBase}`}
              api={api}
              harnesses={harnessList}
              providers={providerList}
              aliases={aliases}
              defaults={defaults}
              subject={doctorSubject}
              onSubject={setDoctorSubject}
            />
          </div>
          <div hidden={tab !== "playground"} data-testid="ac-panel-playground">
            <HarnessPlayground
              key={`${region}|${target.profile ?? ""}`}
              api={api}
              harnesses={harnessList}
              aliases={aliases}
              selected={playHarness}
              onSelect={setPlayHarness}
              onSwitch={(h, a) => switchModel(h, a)}
              switching={switching != null}
              onRequests={openRequests}
            />
          </div>
        </>
      )}

      <AgentCoreDialogs dialog={dialog} setDialog={setDialog} ac={ac} switching={switching} play={play} openRequests={openRequests} switchModel={switchModel} />
    </div>
  );
}
