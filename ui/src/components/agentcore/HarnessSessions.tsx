// A harness's runs beside the gateway's request log: the calls the harness made to this gateway
// (one line each), and past sessions played through the gateway, turn by turn, with totals.

import { useEffect, useState } from "react";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { SessionList, SessionView, TurnCall } from "../../lib/api.gen";
import { callTotals } from "../../lib/agentcoreLogic";
import { formatCost, formatMs, formatTime, formatTokens } from "../../lib/format";
import { Badge, Spinner } from "../ui";
import { AwsErrorNotice } from "./parts";

/** One call the harness made to this gateway. */
export function GatewayCall({ call }: { call: TurnCall }) {
  const failed = call.status !== "success";
  return (
    <div className={`ac-call${failed ? " ac-call-failed" : ""}`} data-testid="hp-call" data-model={call.model_group} data-matched={call.matched_by}>
      <Badge tone={failed ? "red" : "amber"}>gateway call</Badge>
      <code>{call.model_group}</code>
      <span className="muted">{call.key_alias ?? `${call.api_key.slice(0, 8)}…`}</span>
      <span>
        {formatTokens(call.prompt_tokens)} in · {formatTokens(call.completion_tokens)} out
      </span>
      <span>{formatCost(call.spend)}</span>
      <span>{formatMs(call.duration_ms)}</span>
      <span className={failed ? "danger" : "muted"}>{call.status}</span>
      <span className="muted small" title={call.matched_by === "trace" ? "The call carried this turn's trace (traceparent)" : "The harness's key, during this turn (the harness did not carry the trace on)"}>
        {call.matched_by === "trace" ? "by trace" : "by key and time"}
      </span>
    </div>
  );
}

/** "3 gateway calls · 120 in · 40 out · $0.0012" for a list of calls. */
export function CallsSummary({ calls, testid }: { calls: TurnCall[]; testid?: string }) {
  const t = callTotals(calls);
  if (t.calls === 0) return null;
  return (
    <span data-testid={testid}>
      {t.calls} gateway call{t.calls === 1 ? "" : "s"}
      {t.failed ? ` (${t.failed} failed)` : ""} · {formatTokens(t.promptTokens)} in · {formatTokens(t.completionTokens)} out · {formatCost(t.spend)}
    </span>
  );
}

/** Past sessions of a harness, and one of them turn by turn. */
export function HarnessSessions({ api, harnessId, onContinue }: { api: AgentCoreApi; harnessId: string; onContinue: (sessionId: string) => void }) {
  const [list, setList] = useState<SessionList | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [view, setView] = useState<SessionView | null>(null);

  useEffect(() => {
    let live = true;
    setList(null);
    setOpen(null);
    api.sessions(harnessId).then(
      (l) => live && setList(l),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, harnessId]);

  useEffect(() => {
    if (!open) return setView(null);
    let live = true;
    api.session(harnessId, open).then(
      (v) => live && setView(v),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, harnessId, open]);

  if (error) return <AwsErrorNotice error={error} testid="hs-error" compact />;
  if (!list) return <Spinner label="Reading past sessions" />;
  if (list.sessions.length === 0) {
    return (
      <div className="empty" data-testid="hs-empty">
        <div className="empty-title">No session played through this gateway yet</div>
        <div className="empty-text">Turns sent from the playground are kept here with the gateway calls the harness made for them.</div>
      </div>
    );
  }
  return (
    <div className="ac-sessions" data-testid="harness-sessions">
      <table className="table">
        <thead>
          <tr>
            <th>First message</th>
            <th className="right">Turns</th>
            <th className="right">Gateway calls</th>
            <th className="right">Tokens in · out</th>
            <th className="right">Cost</th>
            <th>Last turn</th>
          </tr>
        </thead>
        <tbody>
          {list.sessions.map((s) => (
            <tr key={s.session_id} className={open === s.session_id ? "selected clickable" : "clickable"} onClick={() => setOpen(open === s.session_id ? null : s.session_id)} data-testid="hs-row" data-session={s.session_id}>
              <td className="wrap" title={s.session_id}>
                {s.first_message}
                {s.failed_turns > 0 && (
                  <>
                    {" "}
                    <Badge tone="red">{s.failed_turns} failed</Badge>
                  </>
                )}
              </td>
              <td className="right">{s.turns}</td>
              <td className="right">{s.totals.calls}</td>
              <td className="right nowrap">
                {formatTokens(s.totals.prompt_tokens)} · {formatTokens(s.totals.completion_tokens)}
              </td>
              <td className="right">{formatCost(s.totals.spend)}</td>
              <td className="nowrap" title={s.last_at}>
                {formatTime(s.last_at)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && !view && <Spinner label="Reading the session" />}
      {view && (
        <div className="card ac-session-view" data-testid="hs-session">
          <div className="ac-play-row">
            <span className="ac-play-label">Session</span>
            <code className="small">{view.session_id}</code>
            <span className="ac-play-spacer" />
            <button type="button" className="btn btn-sm" onClick={() => onContinue(view.session_id)} data-testid="hs-continue">
              Continue in the playground
            </button>
          </div>
          <div className="metrics" data-testid="hs-totals">
            <span>{view.turns.length} turns</span>
            <span>
              harness: {formatTokens(view.input_tokens)} in · {formatTokens(view.output_tokens)} out
            </span>
            <span>
              gateway: {view.totals.calls} calls · {formatTokens(view.totals.prompt_tokens)} in · {formatTokens(view.totals.completion_tokens)} out · {formatCost(view.totals.spend)}
            </span>
          </div>
          {view.turns.map((t) => (
            <div key={t.turn_id} className="ac-turn" data-testid="hs-turn">
              <div className="msg msg-user">
                <div className="msg-body">{t.message}</div>
              </div>
              <div className="ac-answer">
                {t.calls.map((c) => (
                  <GatewayCall key={c.request_id} call={c} />
                ))}
                {t.calls.length === 0 && <div className="muted small">no gateway call</div>}
                <div className="metrics">
                  <span>{formatTime(t.started_at)}</span>
                  <span className={t.status === "error" ? "danger" : undefined}>{t.status}</span>
                  <span>
                    harness: {formatTokens(t.input_tokens)} in · {formatTokens(t.output_tokens)} out
                  </span>
                  <CallsSummary calls={t.calls} />
                </div>
                {t.error && <div className="ac-raw small danger">{t.error}</div>}
              </div>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
