import { describe, expect, it } from "vitest";
import { ApiError, apiErrorFrom, errorBodyOf, explainError, parseErrorBody } from "../lib/errors";

const err = (status: number, message: string, type = "", extra: Partial<{ retryAfter: number }> = {}) =>
  new ApiError({ status, message, type, retryAfter: extra.retryAfter ?? null });

describe("error bodies", () => {
  it("reads LiteLLM's shape", () => {
    const e = apiErrorFrom(401, '{"error":{"message":"Authentication Error, Invalid API key provided.","type":"auth_error","param":"None","code":"401"}}', null);
    expect(e.status).toBe(401);
    expect(e.message).toBe("Authentication Error, Invalid API key provided.");
    expect(e.type).toBe("auth_error");
    expect(e.code).toBe("401");
  });

  it("reads retry-after", () => {
    expect(apiErrorFrom(429, '{"error":{"message":"slow down","type":"throttling_error"}}', "7").retryAfter).toBe(7);
    expect(apiErrorFrom(429, "", null).retryAfter).toBeNull();
  });

  it("reads FastAPI's detail, plain text and empty bodies", () => {
    expect(parseErrorBody('{"detail":"Not allowed"}', 403).message).toBe("Not allowed");
    expect(parseErrorBody('{"detail":{"error":{"message":"nested"}}}', 400).message).toBe("nested");
    expect(parseErrorBody("Bad Gateway", 502).message).toBe("Bad Gateway");
    expect(parseErrorBody("", 500).message).toBe("HTTP 500 with an empty body");
    expect(errorBodyOf({ error: "plain" })).toEqual({ message: "plain" });
    expect(errorBodyOf(null)).toBeNull();
  });
});

describe("explainError", () => {
  it("explains the seed's 'LLM Provider NOT provided' with the litellm_proxy/ prefix", () => {
    const e = err(400, "litellm.BadRequestError: LLM Provider NOT provided. Pass in the LLM provider you are trying to call. You passed model=claude-haiku");
    const x = explainError(e, { gatewayUrl: "http://127.0.0.1:4000" });
    expect(x.title).toContain("claude-haiku");
    expect(x.hint).toContain("litellm_proxy/claude-haiku");
    expect(x.hint).toContain("http://127.0.0.1:4000");
  });

  it("maps 401 to 'the key was refused', with the blocked and expired cases", () => {
    expect(explainError(err(401, "Authentication Error, Invalid API key provided.", "auth_error")).title).toBe("The key was refused.");
    expect(explainError(err(401, "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.", "auth_error")).title).toMatch(/blocked/);
    expect(explainError(err(401, "Authentication Error, Team=t1 is blocked.", "auth_error")).title).toMatch(/team is blocked/);
    expect(explainError(err(401, "Authentication Error - Expired Key. Key Expiry time x", "expired_key")).title).toMatch(/expired/);
    expect(explainError(err(401, "bad", "auth_error"), { admin: true }).hint).toMatch(/master key/);
  });

  it("names the model a team does not allow", () => {
    const x = explainError(err(403, "team not allowed to access model. This team can only access models=['claude-haiku']. Tried to access gpt-4o", "team_model_access_denied"), { model: "gpt-4o" });
    expect(x.title).toBe("This key's team doesn't allow gpt-4o.");
    expect(explainError(err(403, "x", "key_model_access_denied"), { model: "m" }).title).toBe("This key doesn't allow m.");
  });

  it("explains budgets and rate limits with retry-after", () => {
    expect(explainError(err(400, "Budget has been exceeded! Key=sk-...abcd Current cost: 2, Max budget: 1", "budget_exceeded")).title).toMatch(/key's max budget/);
    expect(explainError(err(400, "ExceededBudget: User=u1", "budget_exceeded")).title).toMatch(/user's/);
    const rl = explainError(err(429, "Rate limit exceeded for key. Limit type: requests. Current limit: 1", "throttling_error", { retryAfter: 42 }));
    expect(rl.title).toMatch(/requests-per-minute/);
    expect(rl.hint).toContain("Retry after 42 s");
    expect(explainError(err(429, "Rate limit exceeded for team. Limit type: tokens.", "throttling_error")).title).toMatch(/tokens-per-minute/);
    const up = explainError(err(429, "bedrock error: ThrottlingException: Too many requests", "throttling_error", { retryAfter: 1 }));
    expect(up.title).toMatch(/provider is throttling/);
  });

  it("explains unknown models, including a litellm_proxy/ prefix sent to the gateway itself", () => {
    const x = explainError(err(400, "/chat/completions: Invalid model name passed in model=litellm_proxy/claude-haiku. Call `/v1/models` to view available models for your key. Available models: claude-haiku"));
    expect(x.hint).toContain("use the alias itself: claude-haiku");
    const y = explainError(err(400, "/chat/completions: Invalid model name passed in model=gpt-4.1. Call `/v1/models`"));
    expect(y.title).toContain("gpt-4.1");
  });

  it("explains upstream permission, connection, timeouts and network failures", () => {
    expect(explainError(err(403, "bedrock error: AccessDeniedException", "permission_denied_error")).hint).toMatch(/model access/);
    expect(explainError(err(502, "connection refused", "api_connection_error")).title).toMatch(/could not reach the provider/);
    expect(explainError(err(408, "timed out", "timeout")).title).toMatch(/timed out/);
    expect(explainError(new ApiError({ status: 0, message: "Failed to fetch", type: "network_error" }), { gatewayUrl: "http://x" }).hint).toContain("http://x");
    expect(explainError(err(403, "Only the master key may call /key/list", "auth_error"), { admin: true }).hint).toMatch(/master key/);
  });

  it("falls back to the message", () => {
    expect(explainError(err(400, "something odd")).title).toBe("something odd");
    expect(explainError(new Error("plain")).title).toBe("plain");
  });
});
