// Errors as the gateway returns them ({"error": {message, type, param, code, fix, detail}}) and a
// readable explanation of what to do about them.

export interface ErrorBody {
  message: string;
  type?: string | null;
  param?: string | null;
  code?: string | number | null;
  /** What to do about it, when the gateway knows (AWS and AgentCore errors). */
  fix?: string | null;
  /** The raw text behind a short message (an AWS SDK's error chain): for a "Details" toggle. */
  detail?: string | null;
}

export class ApiError extends Error {
  /** HTTP status; 0 when the gateway could not be reached at all. */
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly fix: string | null;
  readonly detail: string | null;
  /** Seconds, from the retry-after header of a 429. */
  readonly retryAfter: number | null;
  readonly path: string;

  constructor(init: {
    status: number;
    message: string;
    type?: string | null;
    param?: string | null;
    code?: string | number | null;
    fix?: string | null;
    detail?: string | null;
    retryAfter?: number | null;
    path?: string;
  }) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.type = init.type ?? "";
    this.param = init.param ?? null;
    this.code = init.code == null ? null : String(init.code);
    this.fix = init.fix || null;
    this.detail = init.detail || null;
    this.retryAfter = init.retryAfter ?? null;
    this.path = init.path ?? "";
  }
}

/** The error body of a response text, whatever shape it has (LiteLLM's, FastAPI's `detail`, text). */
export function parseErrorBody(text: string, status: number): ErrorBody {
  const trimmed = text.trim();
  if (trimmed) {
    try {
      const json = JSON.parse(trimmed) as unknown;
      const body = errorBodyOf(json);
      if (body) return body;
    } catch {
      // not JSON: fall through to the text itself
    }
    return { message: trimmed.length > 500 ? trimmed.slice(0, 500) + "…" : trimmed, code: String(status) };
  }
  return { message: `HTTP ${status} with an empty body`, code: String(status) };
}

/** `{"error": {...}}`, `{"error": "text"}` or `{"detail": ...}` → ErrorBody. */
export function errorBodyOf(json: unknown): ErrorBody | null {
  if (!json || typeof json !== "object") return null;
  const o = json as Record<string, unknown>;
  const e = o.error ?? o.detail;
  if (typeof e === "string") return { message: e };
  if (e && typeof e === "object") {
    const inner = e as Record<string, unknown>;
    if (inner.error && typeof inner.error === "object") return errorBodyOf(inner);
    const message = typeof inner.message === "string" ? inner.message : JSON.stringify(inner);
    return {
      message,
      type: typeof inner.type === "string" ? inner.type : null,
      param: typeof inner.param === "string" ? inner.param : null,
      code: (inner.code as string | number | null | undefined) ?? null,
      fix: typeof inner.fix === "string" ? inner.fix : null,
      detail: typeof inner.detail === "string" ? inner.detail : null,
    };
  }
  return null;
}

export function apiErrorFrom(status: number, text: string, retryAfterHeader: string | null, path = ""): ApiError {
  const body = parseErrorBody(text, status);
  const retry = retryAfterHeader != null && retryAfterHeader !== "" ? Number(retryAfterHeader) : NaN;
  return new ApiError({
    status,
    message: body.message,
    type: body.type,
    param: body.param,
    code: body.code ?? String(status),
    fix: body.fix,
    detail: body.detail,
    retryAfter: Number.isFinite(retry) ? retry : null,
    path,
  });
}

/** What a failed fetch() (network, CORS, DNS) becomes. */
export function networkError(url: string, cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ApiError({ status: 0, message: `Could not reach ${url}: ${detail}`, type: "network_error" });
}

export interface Explanation {
  /** One line: what happened, in the user's words. */
  title: string;
  /** What to do next (may be empty). */
  hint: string;
}

export interface ExplainContext {
  /** The model alias the request named. */
  model?: string;
  /** The gateway URL, for hints that show it. */
  gatewayUrl?: string;
  /** Whether the request was an admin call made with the panel's key. */
  admin?: boolean;
}

/** A readable explanation of an error returned by the gateway. */
export function explainError(error: unknown, ctx: ExplainContext = {}): Explanation {
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { title: message, hint: "" };
  }
  const m = error.message;
  const model = ctx.model ?? modelInMessage(m) ?? "this model";

  if (/LLM Provider NOT provided/i.test(m)) {
    const bare = modelInMessage(m) ?? ctx.model ?? "<alias>";
    return {
      title: `The client did not know which provider serves “${bare}”.`,
      hint:
        `This error comes from a LiteLLM-based client (the litellm SDK, Strands Agents, an AgentCore harness with model source LiteLLM): ` +
        `it reads the part before “/” as the provider. To call this gateway, write the model as litellm_proxy/${bare.replace(/^litellm_proxy\//, "")} ` +
        `and set the API base to ${ctx.gatewayUrl ?? "the gateway URL"}.`,
    };
  }
  if (error.status === 0) {
    return {
      title: "The gateway could not be reached.",
      hint: `Check that it is running${ctx.gatewayUrl ? ` at ${ctx.gatewayUrl}` : ""} and that the URL is right.`,
    };
  }
  // The detail may name what the short message leaves out (the credential chain, the profile).
  if (error.type === "aws_error") return explainAws(error.detail ? `${m}\n${error.detail}` : m);
  if (error.status === 401 || error.type === "auth_error" && error.status !== 403) {
    if (error.type === "expired_key" || /Expired Key/i.test(m)) {
      return { title: "The key has expired.", hint: "Generate a new key, or extend this one's duration on the Keys page." };
    }
    if (/Key is blocked/i.test(m)) {
      return { title: "The key was refused: it is blocked.", hint: "Unblock it on the Keys page to use it again." };
    }
    const team = /Team=(\S+) is blocked/i.exec(m);
    if (team) {
      return { title: "The key was refused: its team is blocked.", hint: "Unblock the team on the Teams page." };
    }
    if (/No api key passed/i.test(m)) {
      return { title: "No key was sent.", hint: "Pick or paste a key." };
    }
    if (/Malformed/i.test(m)) {
      return { title: "The key was refused: malformed.", hint: "Send it as “Authorization: Bearer sk-...”." };
    }
    if (error.type === "authentication_error") {
      return {
        title: "The provider refused the gateway's credentials.",
        hint: "Check the deployment's API key or AWS credentials (profile, region) on the Models page.",
      };
    }
    return {
      title: "The key was refused.",
      hint: ctx.admin
        ? "This gateway does not accept that master key. Sign in again with the right one."
        : "The gateway does not know this key: it may have been deleted or regenerated.",
    };
  }
  if (error.type === "team_model_access_denied") {
    return {
      title: `This key's team doesn't allow ${model}.`,
      hint: `Add ${model} to the team's allowed models on the Teams page, or pick another model.`,
    };
  }
  if (error.type === "key_model_access_denied") {
    return {
      title: `This key doesn't allow ${model}.`,
      hint: `Add ${model} to the key's models on the Keys page, or pick another model.`,
    };
  }
  if (error.type === "budget_exceeded" || /Budget has been exceeded|ExceededBudget/i.test(m)) {
    const who = /ExceededBudget: User/i.test(m) ? "the user's" : /Team=/i.test(m) ? "the team's" : "the key's";
    return {
      title: `The budget is spent: ${who} max budget has been reached.`,
      hint: "Raise the max budget, or wait for the budget period to reset.",
    };
  }
  if (error.status === 429) {
    const wait = error.retryAfter != null ? ` Retry after ${error.retryAfter} s.` : "";
    if (/^Rate limit exceeded|^Max parallel request limit/i.test(m)) {
      const kind = /Limit type: tokens/i.test(m) ? "tokens-per-minute" : /parallel/i.test(m) ? "parallel-requests" : "requests-per-minute";
      return { title: `Rate limit reached: the ${kind} limit.`, hint: `Raise the limit on the Keys or Teams page, or wait.${wait}` };
    }
    return { title: "The provider is throttling requests.", hint: `Too many requests upstream (quota or throughput).${wait}` };
  }
  if (error.status === 403 && error.type === "permission_denied_error") {
    return {
      title: "The provider denied access to the model.",
      hint: "For Bedrock: enable model access in the Bedrock console for this region, and check the IAM permissions (bedrock:InvokeModel*).",
    };
  }
  if (error.status === 403) {
    return {
      title: "Not allowed.",
      hint: ctx.admin ? "The panel needs the master key (or a key with the proxy_admin role)." : "",
    };
  }
  if (/Invalid model name passed in model=/i.test(m)) {
    const asked = modelInMessage(m) ?? model;
    if (asked.startsWith("litellm_proxy/")) {
      return {
        title: `The gateway has no model “${asked}”.`,
        hint: `The litellm_proxy/ prefix is for LiteLLM clients only; on the gateway's own OpenAI API use the alias itself: ${asked.slice("litellm_proxy/".length)}.`,
      };
    }
    return { title: `The gateway has no model “${asked}”.`, hint: "Add it on the Models page, or pick one of the listed models." };
  }
  if (/has no provider prefix/i.test(m)) {
    return {
      title: "The model id needs a provider prefix.",
      hint: "Write it as <provider>/<model id>, e.g. bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0 or openai/gpt-4o-mini.",
    };
  }
  if (error.status === 408 || error.status === 504 || error.type === "timeout") {
    return { title: "The request timed out.", hint: "The provider took too long to answer; try again or raise the deployment's timeout." };
  }
  if (error.type === "api_connection_error") {
    return { title: "The gateway could not reach the provider.", hint: "Check the deployment's API base / endpoint and the network." };
  }
  if (error.status === 404 && /^Not Found: /.test(m)) {
    return {
      title: "This gateway does not have that route.",
      hint: "It may be an older Switchboard or a LiteLLM proxy without this feature.",
    };
  }
  if (error.status >= 500) {
    return { title: error.status === 502 ? "The provider returned an error." : "The gateway failed.", hint: "" };
  }
  return { title: m, hint: "" };
}

/** `model=claude-haiku` in a message → "claude-haiku". */
function modelInMessage(message: string): string | undefined {
  const match = /model=([^\s,.'"]+(?:\.[^\s,.'"]+)*)/i.exec(message);
  return match?.[1];
}

/**
 * An AWS error as the deploy routes report it (`aws_error`, or a failed operation's message):
 * "<service>:<Action>: <Code>: <message>", or the SDK's error chain when no request was made.
 */
export function explainAws(message: string): Explanation {
  const m = message;
  const action = /\b([a-z0-9-]+:[A-Z][A-Za-z]+)\b/.exec(m)?.[1];
  if (/no credentials found in chain|credential provider was not enabled|CredentialsNotLoaded|Unable to locate credentials|no providers in chain/i.test(m)) {
    return {
      title: "No AWS credentials were found.",
      hint:
        "The gateway calls AWS with its own credentials (the standard chain: environment, ~/.aws profiles, SSO). " +
        "Run `aws configure` or `aws sso login` where the gateway runs, or name a profile in the form, then try again.",
    };
  }
  if (/profile .*(not defined|not found|could not be found|does not exist)|ProfileFile provider could not be built|failed to load profile/i.test(m)) {
    return { title: "The AWS profile was not found.", hint: "Check the profile's name in ~/.aws/config on the machine the gateway runs on, or leave it empty for the default chain." };
  }
  if (/ExpiredToken|token (has|is) expired|session .*expired|\bexpired\b.*sso|sso.*\bexpired\b/i.test(m)) {
    return { title: "The AWS credentials have expired.", hint: "Refresh them (e.g. `aws sso login --profile <profile>`) and try again." };
  }
  if (/InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient|security token included in the request is invalid|InvalidAccessKeyId/i.test(m)) {
    return { title: "AWS refused the credentials.", hint: "The access key is unknown or its secret is wrong: check the profile or the AWS_* variables the gateway runs with." };
  }
  if (/AccessDenied|not authorized to perform|UnauthorizedOperation|AuthorizationError|is not authorized/i.test(m)) {
    const what = /not authorized to perform: ([\w:*-]+)/i.exec(m)?.[1] ?? action;
    return {
      title: `AWS denied access${what ? ` to ${what}` : ""}.`,
      hint:
        "The deploying identity needs CloudFormation and, through it, IAM (CAPABILITY_IAM), EC2/VPC, Elastic Load Balancing, ECS, " +
        "CloudWatch Logs, Secrets Manager, RDS and ElastiCache permissions.",
    };
  }
  if (/InsufficientCapabilities/i.test(m)) {
    return { title: "CloudFormation needs CAPABILITY_IAM.", hint: "The stack creates IAM roles; the identity must be allowed to acknowledge it." };
  }
  if (/dispatch failure|timed? ?out|connection refused|dns error|failed to lookup|error trying to connect|io error/i.test(m)) {
    return { title: "AWS could not be reached.", hint: "Check the network (and a proxy or AWS_ENDPOINT_URL) of the machine the gateway runs on." };
  }
  if (/ValidationError|ValidationException|refused the change/i.test(m)) {
    return { title: "CloudFormation refused the request.", hint: awsSummary(m) };
  }
  if (/Throttling|Rate exceeded|TooManyRequests/i.test(m)) {
    return { title: "AWS is throttling the requests.", hint: "Wait a moment and try again." };
  }
  return { title: "AWS returned an error.", hint: awsSummary(m) };
}

/**
 * What an AWS error shows up front, and the raw text behind its "Details" toggle: the gateway's
 * short message and its `detail`; from a gateway that sends no detail, the message cut before the
 * SDK's debug dump, the whole message behind the toggle.
 */
export function awsMessageParts(message: string, detail: string | null): { summary: string; detail: string | null } {
  if (detail) return { summary: message, detail };
  const summary = awsSummary(message);
  return { summary, detail: summary === message.trim() ? null : message };
}

/** The readable head of an AWS error: the SDK's debug dump of the error chain is cut off. */
export function awsSummary(message: string): string {
  const cut = message.search(/\s\((?:DispatchFailure|ServiceError|ConstructionFailure|TimeoutError|ResponseError)\(/);
  const head = (cut >= 0 ? message.slice(0, cut) : message)
    .split("\n")[0]
    .trim()
    .replace(/\.?\s*Attempted:$/, ".");
  return head.length > 400 ? `${head.slice(0, 400)}…` : head;
}
