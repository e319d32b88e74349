// The Deploy page's state: the form as this tab left it, the gateway's live checks of it (validation,
// whether the stack exists, who deploys), and the running operation's stream.

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { Gateway } from "../../lib/api";
import type { CheckedPlan, Options as DeployOptions, DeployRequest, Identity, StackReport } from "../../lib/api.gen";
import {
  type DeployForm,
  type FormKey,
  type RunKind,
  type RunTarget,
  clearRunning,
  formFromDefaults,
  loadForm,
  markRunning,
  rememberDeployment,
  requestBody,
  runReducer,
  runningTarget,
  saveForm,
} from "../../lib/deploy";
import { type DeployCall, DeployRefused, type StackTarget, stackStatus, streamDeploy, validateDeploy } from "../../lib/deployApi";

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PREFIX_RE = /^[a-z](?!.*--)[a-z0-9-]{1,30}[a-z0-9]$/;

/** The gateway's check of the form whose request body has `key`. */
export interface Check {
  key: string;
  result?: CheckedPlan;
  error?: unknown;
  pending: boolean;
}

/** The stack the form names (region|stack|profile is `key`). */
export interface StackInfo {
  key: string;
  status?: StackReport;
  error?: unknown;
  loading: boolean;
}

export interface IdentityCheck {
  loading: boolean;
  identity?: Identity;
  error?: unknown;
}

/** The form: the gateway's defaults, or what this tab typed before; which fields were touched. */
export function useDeployDraft(options: DeployOptions | undefined) {
  const [form, setForm] = useState<DeployForm | null>(null);
  const [touched, setTouched] = useState<Set<FormKey>>(new Set());
  // Every error is shown once the user tried to deploy; before, only those of touched fields.
  const [showAll, setShowAll] = useState(false);
  useEffect(() => {
    if (!options || form) return;
    const canBuild = options.image_build.available;
    const loaded = loadForm(sessionStorage, formFromDefaults(options.defaults, canBuild));
    setForm(canBuild || loaded.imageSource === "own" ? loaded : { ...loaded, imageSource: "own" });
  }, [options, form]);
  useEffect(() => {
    if (form) saveForm(sessionStorage, form);
  }, [form]);
  const set = useCallback(<K extends FormKey>(k: K, v: DeployForm[K]) => {
    setForm((f) => (f ? { ...f, [k]: v } : f));
    setTouched((t) => (t.has(k) ? t : new Set(t).add(k)));
  }, []);
  return { form, setForm, set, touched, showAll, setShowAll };
}

/**
 * The gateway's checks of the form, debounced and again after every operation (`tick`): the
 * validation (errors, warnings, resources, cost; nothing is created) and whether the stack exists.
 */
export function useDeployChecks(gw: Gateway, form: DeployForm | null, tick: number) {
  const [check, setCheck] = useState<Check>({ key: "", pending: false });
  const [stack, setStack] = useState<StackInfo>({ key: "", loading: false });
  const body = useMemo(() => (form ? requestBody(form) : null), [form]);
  const bodyKey = body ? JSON.stringify(body) : "";

  useEffect(() => {
    if (!body) return;
    const ctl = new AbortController();
    setCheck((c) => ({ ...c, pending: true }));
    const t = window.setTimeout(() => {
      validateDeploy(gw, body, { signal: ctl.signal }).then(
        (result) => setCheck({ key: bodyKey, result, pending: false }),
        (error) => {
          if (!ctl.signal.aborted) setCheck({ key: bodyKey, error, pending: false });
        },
      );
    }, 350);
    return () => {
      window.clearTimeout(t);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gw, bodyKey]);

  const target: StackTarget | null = form ? { region: form.region.trim(), stack: form.namePrefix.trim(), profile: form.profile.trim() || null } : null;
  const targetKey = target ? `${target.region}|${target.stack}|${target.profile ?? ""}` : "";
  const targetOk = !!target && REGION_RE.test(target.region) && PREFIX_RE.test(target.stack);

  useEffect(() => {
    if (!target || !targetOk) {
      setStack({ key: targetKey, loading: false });
      return;
    }
    const ctl = new AbortController();
    setStack((s) => ({ ...s, loading: true }));
    const t = window.setTimeout(() => {
      stackStatus(gw, target, { signal: ctl.signal }).then(
        (status) => setStack({ key: targetKey, status, loading: false }),
        (error) => {
          if (!ctl.signal.aborted) setStack({ key: targetKey, error, loading: false });
        },
      );
    }, 500);
    return () => {
      window.clearTimeout(t);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [gw, targetKey, targetOk, tick]);

  return {
    body,
    check,
    /** The check's result when it is of the form as it is now. */
    current: check.key === bodyKey ? check.result : undefined,
    target,
    targetOk,
    stack,
    /** The stack's status when it is of the target the form names now. */
    stackNow: stack.key === targetKey ? stack.status : undefined,
  };
}

export type DeployChecks = ReturnType<typeof useDeployChecks>;

/** Who the gateway deploys as (STS GetCallerIdentity), on demand. */
export function useWhoami(gw: Gateway, body: DeployRequest | null) {
  const [identity, setIdentity] = useState<IdentityCheck | null>(null);
  const whoami = async () => {
    if (!body) return;
    setIdentity({ loading: true });
    try {
      const r = await validateDeploy(gw, body, { whoami: true });
      setIdentity(r.identity ? { loading: false, identity: r.identity } : { loading: false, error: r.identity_error ?? "The gateway did not check the identity: fix the region first." });
    } catch (e) {
      setIdentity({ loading: false, error: e });
    }
  };
  return { identity, whoami };
}

/**
 * The operation this tab runs or follows. It goes on in CloudFormation when the page is left (the
 * stream is only dropped), and a reload or a return to the page re-attaches to it.
 */
export function useDeployRun(gw: Gateway, on: { start: () => void; refused: () => void }) {
  const [run, dispatch] = useReducer(runReducer, null);
  const [refused, setRefused] = useState<DeployRefused | null>(null);
  // Bumped when an operation ends, for the checks to look at the stack again.
  const [tick, setTick] = useState(0);
  const abortRef = useRef<AbortController | null>(null);
  const lastTarget = useRef<RunTarget | null>(null);
  // `begin` stays the same function across renders (the re-attach effect depends on it).
  const onRef = useRef(on);
  onRef.current = on;

  const begin = useCallback(
    (call: DeployCall, t: RunTarget, kind: RunKind) => {
      abortRef.current?.abort();
      const ctl = new AbortController();
      abortRef.current = ctl;
      lastTarget.current = t;
      markRunning(sessionStorage, t);
      dispatch({ type: "start", kind, intent: t.kind === "follow" ? null : t.kind === "down" ? "down" : "up", region: t.region, stack: t.stack, profile: t.profile, at: Date.now() });
      setRefused(null);
      onRef.current.start();
      let finished = false;
      streamDeploy(
        gw,
        call,
        (item) => {
          if (item.type === "done") {
            finished = true;
            clearRunning(sessionStorage);
            rememberDeployment(sessionStorage, t, item);
            setTick((n) => n + 1);
          }
          dispatch({ type: "item", item });
        },
        ctl.signal,
      ).then(
        () => {
          if (!finished && !ctl.signal.aborted) dispatch({ type: "lost", error: null });
        },
        (error) => {
          if (ctl.signal.aborted) return;
          if (error instanceof DeployRefused && call.kind === "up") {
            // Refused before anything was created (the form changed meanwhile, or the stack is busy).
            clearRunning(sessionStorage);
            dispatch({ type: "clear" });
            setRefused(error);
            onRef.current.refused();
            return;
          }
          if (error instanceof DeployRefused) clearRunning(sessionStorage);
          dispatch({ type: "lost", error });
        },
      );
    },
    [gw],
  );

  useEffect(() => () => abortRef.current?.abort(), []);

  useEffect(() => {
    const t = runningTarget(sessionStorage);
    if (t) begin({ kind: "follow", target: t }, t, "follow");
  }, [begin]);

  const follow = (t: StackTarget, kind: RunKind = "up") => {
    const rt: RunTarget = { kind, region: t.region, stack: t.stack, profile: t.profile ?? null };
    begin({ kind: "follow", target: rt }, rt, "follow");
  };
  const deploy = (body: DeployRequest, t: StackTarget) => begin({ kind: "up", body }, { kind: "up", region: t.region, stack: t.stack, profile: t.profile ?? null }, "up");
  const update = (t: StackTarget, imageRepository?: string | null) =>
    begin({ kind: "update", target: t, imageRepository }, { kind: "update", region: t.region, stack: t.stack, profile: t.profile ?? null }, "update");
  const destroy = (t: StackTarget, typed: string) => begin({ kind: "down", target: t, confirm: typed }, { kind: "down", region: t.region, stack: t.stack, profile: t.profile ?? null }, "down");
  const reattach = () => lastTarget.current && follow(lastTarget.current, lastTarget.current.kind);

  return { run, busy: !!run && !run.done && !run.lost, refused, tick, follow, deploy, update, destroy, reattach };
}
