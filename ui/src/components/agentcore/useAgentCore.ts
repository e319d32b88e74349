// The AgentCore page's data: the region/profile this tab looks at (kept for the tab's session), the
// gateway's AgentCore settings, the providers, harnesses and teams, and the defaults every form of
// the page starts from.

import { useCallback, useMemo, useState } from "react";
import { useApp } from "../../context";
import { useAsync, useInterval } from "../../hooks";
import { isMissingRoute } from "../../lib/api";
import { AgentCoreApi } from "../../lib/agentcore";
import type { Target } from "../../lib/api.gen";
import { settling } from "../../lib/agentcoreLogic";

const TARGET_KEY = "switchboard.agentcore.target";
/** Set by the Deploy page: the URL of the gateway deployed to AWS. */
const DEPLOYED_KEY = "switchboard.deployedUrl";

function loadTarget(): Target {
  try {
    const v = JSON.parse(sessionStorage.getItem(TARGET_KEY) ?? "{}") as Target;
    return { region: typeof v.region === "string" && v.region ? v.region : undefined, profile: typeof v.profile === "string" && v.profile ? v.profile : undefined };
  } catch {
    return {};
  }
}

function readDeployedUrl(): string | null {
  try {
    const v = sessionStorage.getItem(DEPLOYED_KEY);
    return v && /^https?:\/\//.test(v.trim()) ? v.trim().replace(/\/+$/, "") : null;
  } catch {
    return null;
  }
}

export function useAgentCore() {
  const { gw } = useApp();
  const [target, setTargetState] = useState<Target>(loadTarget);
  const setTarget = (t: Target) => {
    setTargetState(t);
    sessionStorage.setItem(TARGET_KEY, JSON.stringify(t));
  };
  const api = useMemo(() => new AgentCoreApi(gw, target), [gw, target]);
  const settings = useAsync(() => new AgentCoreApi(gw).settings(), [gw]);
  const providers = useAsync(() => api.providers(), [api]);
  const harnesses = useAsync(() => api.harnesses(), [api]);
  const teams = useAsync(() => gw.teamList(), [gw]);
  const [deployedUrl] = useState(readDeployedUrl);
  // An API base picked on this page (the deployed gateway's URL) instead of the gateway's own.
  const [apiBaseOverride, setApiBaseOverride] = useState<string | null>(null);

  const s = settings.data;
  const aliases = useMemo(() => (s?.models ?? []).map((m) => m.alias), [s]);
  const providerList = providers.data?.providers ?? [];
  const harnessList = harnesses.data?.harnesses ?? [];
  const region = target.region ?? providers.data?.region ?? s?.region ?? "";
  const regions = [...new Set([...(s?.regions ?? []), ...(s?.region ? [s.region] : []), ...(region ? [region] : [])])];
  const apiBase = apiBaseOverride ?? s?.default_api_base ?? "";
  const defaults = {
    alias: aliases.includes("claude-haiku") ? "claude-haiku" : (aliases[0] ?? ""),
    provider: s?.defaults.credential_provider ?? "litellm-proxy",
    apiBase,
    teamAlias: s?.defaults.team_alias ?? "agentcore-harness",
    keyAlias: s?.defaults.key_alias ?? "agentcore-harness-key",
  };
  const teamName = useCallback(
    (id: string | null) => {
      if (!id) return null;
      const t = (teams.data ?? []).find((x) => x.team_id === id);
      return t ? (t.team_alias ?? t.team_id) : null;
    },
    [teams.data],
  );

  // Harnesses on their way to READY (or being updated) are looked at again until they settle.
  useInterval(() => void harnesses.reload(), harnessList.some((h) => settling(h.status)) ? 2000 : null);

  const reloadAll = () => {
    void providers.reload();
    void harnesses.reload();
    void teams.reload();
  };

  return {
    target,
    setTarget,
    api,
    settings,
    /** The gateway answered 404 to /agentcore/settings: an older Switchboard or a LiteLLM proxy. */
    noApi: isMissingRoute(settings.error),
    providers,
    harnesses,
    teams,
    aliases,
    providerList,
    harnessList,
    region,
    regions,
    apiBase,
    apiBaseOverride,
    setApiBaseOverride,
    deployedUrl,
    defaults,
    teamName,
    reloadAll,
  };
}

export type AgentCoreData = ReturnType<typeof useAgentCore>;
