// The gateway's /deploy/* routes (deploy/README.md, "The panel's API"), over the panel's Gateway
// client. Long operations answer with server-sent events: `streamDeploy` reads them with the
// panel's SSE parser (EventSource cannot send the Authorization header).

import type { Gateway, Query } from "./api";
import { queryString } from "./api";
import type { CheckedPlan, Connection, DeployRequest, DownBody, ErrorResponse, FieldIssue, Options, Progress, StackReport, UpdateBody } from "./api.gen";
import { parseProgressItem } from "./deploy";
import { ApiError, apiErrorFrom, networkError } from "./errors";
import { readSSE } from "./sse";

/**
 * The `validation` of a refused form's error body: its field errors and warnings. (ErrorResponse
 * types it as an untyped object: the gateway's Validation is not in docs/openapi.json.)
 */
export interface Validation {
  errors: FieldIssue[];
  warnings: FieldIssue[];
}

/** A refused POST /deploy/up: the gateway's field errors and warnings come with it. */
export class DeployRefused extends ApiError {
  readonly validation: Validation | null;
  constructor(base: ApiError, validation: Validation | null) {
    super(base);
    this.validation = validation;
  }
}

function isFieldIssue(i: unknown): i is FieldIssue {
  return typeof i === "object" && i !== null && "field" in i && typeof i.field === "string" && "message" in i && typeof i.message === "string";
}

function isFieldIssues(v: unknown): v is FieldIssue[] {
  return Array.isArray(v) && v.every(isFieldIssue);
}

/** The field errors and warnings of an error body, when it has them. */
export function validationOf(text: string): Validation | null {
  try {
    const v = (JSON.parse(text) as Partial<ErrorResponse> | null)?.validation;
    if (v && isFieldIssues(v.errors)) return { errors: v.errors, warnings: isFieldIssues(v.warnings) ? v.warnings : [] };
  } catch {
    // not JSON
  }
  return null;
}

export interface StackTarget {
  region: string;
  stack: string;
  profile?: string | null;
}

function target(t: StackTarget): Query {
  return { region: t.region, stack: t.stack, profile: t.profile || undefined };
}

export function deployOptions(gw: Gateway, signal?: AbortSignal): Promise<Options> {
  return gw.get<Options>("/deploy/options", undefined, signal);
}

export function validateDeploy(gw: Gateway, body: DeployRequest, opts: { whoami?: boolean; signal?: AbortSignal } = {}): Promise<CheckedPlan> {
  return gw.request<CheckedPlan>("POST", `/deploy/validate${opts.whoami ? "?whoami=true" : ""}`, body, { signal: opts.signal });
}

export function stackStatus(gw: Gateway, t: StackTarget, opts: { health?: boolean; signal?: AbortSignal } = {}): Promise<StackReport> {
  return gw.get<StackReport>("/deploy/status", { ...target(t), health: opts.health ? true : undefined }, opts.signal);
}

export function stackConnection(gw: Gateway, t: StackTarget): Promise<Connection> {
  return gw.get<Connection>("/deploy/connection", target(t));
}

export type DeployCall =
  | { kind: "up"; body: DeployRequest }
  | { kind: "update"; target: StackTarget; imageRepository?: string | null }
  | { kind: "down"; target: StackTarget; confirm: string }
  | { kind: "follow"; target: StackTarget };

/**
 * Runs an operation and hands each progress item to `onItem` until the stream ends. Rejects with
 * ApiError (DeployRefused for an invalid form) when the gateway refuses to start it, and with a
 * network error when the connection breaks; resolves quietly when `signal` aborts.
 */
export async function streamDeploy(gw: Gateway, call: DeployCall, onItem: (item: Progress) => void, signal: AbortSignal): Promise<void> {
  let path: string;
  let init: RequestInit;
  const headers: Record<string, string> = { Authorization: `Bearer ${gw.masterKey}`, Accept: "text/event-stream" };
  if (call.kind === "follow") {
    path = `/deploy/follow${queryString(target(call.target))}`;
    init = { method: "GET", headers };
  } else {
    path = `/deploy/${call.kind}`;
    const where = (t: StackTarget) => ({ region: t.region, stack: t.stack, profile: t.profile || undefined });
    const body =
      call.kind === "up"
        ? call.body
        : call.kind === "update"
          ? ({ ...where(call.target), image_repository: call.imageRepository || undefined } satisfies UpdateBody)
          : ({ ...where(call.target), confirm: call.confirm } satisfies DownBody);
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
    throw new DeployRefused(base, validationOf(text));
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
