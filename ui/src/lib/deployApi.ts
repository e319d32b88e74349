// The gateway's /deploy/* routes (deploy/README.md, "The panel's API"), over the panel's Gateway
// client. Long operations answer with server-sent events: `streamDeploy` reads them with the
// panel's SSE parser (EventSource cannot send the Authorization header).

import type { Gateway, Query } from "./api";
import { queryString } from "./api";
import type { Connection, DeployOptions, DeployRequest, FieldIssue, ProgressItem, StackStatus, ValidateResult } from "./deploy";
import { parseProgressItem } from "./deploy";
import { ApiError, apiErrorFrom, networkError } from "./errors";
import { readSSE } from "./sse";

/** A refused POST /deploy/up: the gateway's field errors and warnings come with it. */
export class DeployRefused extends ApiError {
  readonly validation: { errors: FieldIssue[]; warnings: FieldIssue[] } | null;
  constructor(base: ApiError, validation: { errors: FieldIssue[]; warnings: FieldIssue[] } | null) {
    super(base);
    this.validation = validation;
  }
}

export interface StackTarget {
  region: string;
  stack: string;
  profile?: string | null;
}

function target(t: StackTarget): Query {
  return { region: t.region, stack: t.stack, profile: t.profile || undefined };
}

export function deployOptions(gw: Gateway, signal?: AbortSignal): Promise<DeployOptions> {
  return gw.get<DeployOptions>("/deploy/options", undefined, signal);
}

export function validateDeploy(gw: Gateway, body: DeployRequest, opts: { whoami?: boolean; signal?: AbortSignal } = {}): Promise<ValidateResult> {
  return gw.request<ValidateResult>("POST", `/deploy/validate${opts.whoami ? "?whoami=true" : ""}`, body, { signal: opts.signal });
}

export function stackStatus(gw: Gateway, t: StackTarget, opts: { health?: boolean; signal?: AbortSignal } = {}): Promise<StackStatus> {
  return gw.get<StackStatus>("/deploy/status", { ...target(t), health: opts.health ? true : undefined }, opts.signal);
}

export function stackConnection(gw: Gateway, t: StackTarget): Promise<Connection> {
  return gw.get<Connection>("/deploy/connection", target(t));
}

export type DeployCall =
  | { kind: "up"; body: DeployRequest }
  | { kind: "down"; target: StackTarget; confirm: string }
  | { kind: "follow"; target: StackTarget };

/**
 * Runs an operation and hands each progress item to `onItem` until the stream ends. Rejects with
 * ApiError (DeployRefused for an invalid form) when the gateway refuses to start it, and with a
 * network error when the connection breaks; resolves quietly when `signal` aborts.
 */
export async function streamDeploy(gw: Gateway, call: DeployCall, onItem: (item: ProgressItem) => void, signal: AbortSignal): Promise<void> {
  let path: string;
  let init: RequestInit;
  const headers: Record<string, string> = { Authorization: `Bearer ${gw.masterKey}`, Accept: "text/event-stream" };
  if (call.kind === "follow") {
    path = `/deploy/follow${queryString(target(call.target))}`;
    init = { method: "GET", headers };
  } else {
    path = call.kind === "up" ? "/deploy/up" : "/deploy/down";
    const body =
      call.kind === "up" ? call.body : { region: call.target.region, stack: call.target.stack, profile: call.target.profile || undefined, confirm: call.confirm };
    init = { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) };
  }
  let response: Response;
  try {
    response = await fetch(gw.url + path, { ...init, signal });
  } catch (e) {
    if (signal.aborted) return;
    throw networkError(gw.url, e);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    const base = apiErrorFrom(response.status, text, null, path.split("?")[0]);
    let validation: DeployRefused["validation"] = null;
    try {
      const v = (JSON.parse(text) as { validation?: DeployRefused["validation"] }).validation;
      if (v && Array.isArray(v.errors)) validation = { errors: v.errors, warnings: v.warnings ?? [] };
    } catch {
      // not JSON
    }
    throw new DeployRefused(base, validation);
  }
  try {
    await readSSE(response.body, (event) => {
      const item = parseProgressItem(event.data);
      if (item) onItem(item);
    });
  } catch (e) {
    if (signal.aborted) return;
    throw e instanceof ApiError ? e : networkError(gw.url, e);
  }
}
