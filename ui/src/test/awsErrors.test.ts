// AWS error bodies with and without the gateway's `detail`: the short message and the fix up front,
// the SDK's raw text behind the "Details" toggle.

import { describe, expect, it } from "vitest";
import { agentCoreErrorFrom, explainAgentCoreError } from "../lib/agentcore";
import { applyInvokeEvent, emptyTurn } from "../lib/agentcoreLogic";
import { DeployRefused, validationOf } from "../lib/deployApi";
import { ApiError, apiErrorFrom, awsMessageParts, errorBodyOf, explainError, parseErrorBody } from "../lib/errors";

const SDK_DUMP =
  'dispatch failure (DispatchFailure(DispatchFailure { source: ConnectorError { kind: Io, source: hyper::Error(Connect, ConnectError("tcp connect error", Os { code: 111, kind: ConnectionRefused })) } }))';
const SHORT = "Could not connect to bedrock-agentcore-control.us-east-1.amazonaws.com: Connection refused";
const FIX = "Check the network of the machine the gateway runs on (a proxy, AWS_ENDPOINT_URL).";

const withDetail = JSON.stringify({ error: { message: SHORT, type: "aws_connection_error", param: null, code: "502", fix: FIX, detail: SDK_DUMP } });
const withoutDetail = JSON.stringify({
  error: { message: `AgentCore ListHarnesses failed: ConnectionFailure: ${SDK_DUMP.replace("dispatch failure (", "dispatch failure: io error (")}`, type: "aws_connection_error", code: "502", fix: FIX },
});

describe("error bodies with fix and detail", () => {
  it("reads both into the body and the ApiError", () => {
    const body = parseErrorBody(withDetail, 502);
    expect(body).toMatchObject({ message: SHORT, type: "aws_connection_error", fix: FIX, detail: SDK_DUMP });
    const e = apiErrorFrom(502, withDetail, null, "/agentcore/harnesses");
    expect(e.message).toBe(SHORT);
    expect(e.fix).toBe(FIX);
    expect(e.detail).toBe(SDK_DUMP);
  });

  it("leaves them null when absent, empty or not text", () => {
    const e = apiErrorFrom(400, '{"error":{"message":"no","type":"invalid_request_error"}}', null);
    expect(e.fix).toBeNull();
    expect(e.detail).toBeNull();
    expect(errorBodyOf({ error: { message: "m", detail: { nested: true }, fix: 3 } })).toMatchObject({ detail: null, fix: null });
    expect(apiErrorFrom(502, JSON.stringify({ error: { message: "m", detail: "" } }), null).detail).toBeNull();
  });

  it("keeps them through the AgentCore and deploy error classes", () => {
    const a = agentCoreErrorFrom(502, withDetail, null, "/agentcore/harnesses");
    expect(a.fix).toBe(FIX);
    expect(a.detail).toBe(SDK_DUMP);
    const d = new DeployRefused(apiErrorFrom(502, withDetail, null, "/deploy/up"), null);
    expect(d.detail).toBe(SDK_DUMP);
    expect(d.fix).toBe(FIX);
  });

  it("reads a refused form's field errors and warnings", () => {
    const issue = { field: "region", message: "an AWS region such as us-east-1" };
    const refused = JSON.stringify({ error: { message: "invalid", type: "invalid_request_error", code: "400" }, validation: { errors: [issue], warnings: [] } });
    expect(validationOf(refused)).toEqual({ errors: [issue], warnings: [] });
    expect(validationOf(JSON.stringify({ error: { message: "m" }, validation: { errors: [issue] } }))).toEqual({ errors: [issue], warnings: [] });
    expect(validationOf(JSON.stringify({ error: { message: "m" }, validation: { errors: [{ field: 1 }] } }))).toBeNull();
    expect(validationOf(withDetail)).toBeNull();
    expect(validationOf("not json")).toBeNull();
    expect(validationOf("null")).toBeNull();
  });
});

describe("what an AWS error shows", () => {
  it("shows the gateway's short message, its detail behind the toggle", () => {
    expect(awsMessageParts(SHORT, SDK_DUMP)).toEqual({ summary: SHORT, detail: SDK_DUMP });
    const x = explainAgentCoreError(agentCoreErrorFrom(502, withDetail, null, "/agentcore/harnesses"));
    expect(x).toMatchObject({ title: "AgentCore could not be reached.", message: SHORT, fix: FIX, detail: SDK_DUMP, code: "502 aws_connection_error" });
  });

  it("falls back to cutting the SDK's dump off a message without detail, the whole message behind the toggle", () => {
    const e = agentCoreErrorFrom(502, withoutDetail, null, "/agentcore/harnesses");
    const x = explainAgentCoreError(e);
    expect(x.message).toBe("AgentCore ListHarnesses failed: ConnectionFailure: dispatch failure: io error");
    expect(x.detail).toBe(e.message);
    expect(x.fix).toBe(FIX);
  });

  it("has no detail to show for a message that is already short", () => {
    expect(awsMessageParts("AccessDeniedException: not authorized", null)).toEqual({ summary: "AccessDeniedException: not authorized", detail: null });
  });

  it("classifies a deploy error by its detail when the short message does not say why", () => {
    const e = new ApiError({
      status: 502,
      type: "aws_error",
      message: "sts:GetCallerIdentity failed",
      detail: "the credential provider was not enabled: no credentials found in chain",
    });
    expect(explainError(e).title).toBe("No AWS credentials were found.");
  });

  it("carries the detail of a harness stream's error", () => {
    const t = applyInvokeEvent(emptyTurn(), { type: "error", kind: "aws", code: "ConnectionFailure", message: SHORT, fix: FIX, detail: SDK_DUMP });
    expect(t.error).toMatchObject({ message: SHORT, fix: FIX, detail: SDK_DUMP });
  });
});
