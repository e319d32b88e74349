// The harness playground: InvokeHarness through the gateway, the event stream shown as it arrives
// (text, tool use and results, hook events, stop reasons, usage), one session per harness kept for
// multi-turn until "New session".

import { type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { AgentCoreApi } from "../../lib/agentcore";
import type { HarnessView } from "../../lib/api.gen";
import { type Block, type HarnessTurn, LITELLM_PREFIX, applyInvokeEvent, emptyTurn, lacksPrefix, settling, switchTarget, turnCalls } from "../../lib/agentcoreLogic";
import { formatMs, formatTokens } from "../../lib/format";
import { renderMarkdown } from "../../lib/markdown";
import { Badge, CopyButton, ErrorDetails } from "../ui";
import { CallsSummary, GatewayCall, HarnessSessions } from "./HarnessSessions";
import { AwsErrorNotice, FixText, HarnessStatusBadge } from "./parts";

interface PlayTurn {
  id: number;
  message: string;
  turn: HarnessTurn;
  streaming: boolean;
  stopped: boolean;
  /** An error before the stream started (HTTP). */
  error: unknown;
}

interface Conversation {
  sessionId: string | null;
  turns: PlayTurn[];
}

let nextTurnId = 1;

const SUGGESTIONS = ["Hello", "What time is it in Paris? Use the tool."];

export function HarnessPlayground({
  api,
  harnesses,
  aliases,
  selected,
  onSelect,
  onSwitch,
  switching,
  onRequests,
}: {
  api: AgentCoreApi;
  harnesses: HarnessView[];
  aliases: string[];
  selected: string;
  onSelect: (id: string) => void;
  onSwitch: (h: HarnessView, alias: string) => void;
  switching: boolean;
  onRequests: (token: string) => void;
}) {
  const [conversations, setConversations] = useState<Record<string, Conversation>>({});
  const [input, setInput] = useState("");
  const [pastSessions, setPastSessions] = useState(false);
  // The harness's named endpoints (DEFAULT, the latest version, when none is chosen).
  const [endpoints, setEndpoints] = useState<string[]>([]);
  const [endpoint, setEndpoint] = useState("");
  const controller = useRef<AbortController | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const harness = harnesses.find((h) => h.harness_id === selected) ?? null;
  const conv: Conversation = conversations[selected] ?? { sessionId: null, turns: [] };
  const busy = conv.turns.some((t) => t.streaming);
  const target = harness ? switchTarget(harness, aliases) : null;
  const keyToken = harness?.credential_provider?.key?.token ?? null;

  // Pick a harness when there is none (the first READY one).
  useEffect(() => {
    if (!harness && harnesses.length) onSelect((harnesses.find((h) => h.status === "READY") ?? harnesses[0]).harness_id);
  }, [harness, harnesses, onSelect]);

  // Read again when the harness list is (after an endpoint changed in the harness's details).
  useEffect(() => {
    setEndpoint("");
    setEndpoints([]);
    if (!selected || !harnesses.some((h) => h.harness_id === selected)) return;
    let live = true;
    api.endpoints(selected).then(
      (l) => live && setEndpoints(l.endpoints.map((e) => e.name).filter((n) => n !== "DEFAULT")),
      () => live && setEndpoints([]),
    );
    return () => {
      live = false;
    };
  }, [api, selected, harnesses]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [conv.turns]);

  const update = (hid: string, fn: (c: Conversation) => Conversation) =>
    setConversations((all) => ({ ...all, [hid]: fn(all[hid] ?? { sessionId: null, turns: [] }) }));
  const updateTurn = (hid: string, id: number, fn: (t: PlayTurn) => PlayTurn) => update(hid, (c) => ({ ...c, turns: c.turns.map((t) => (t.id === id ? fn(t) : t)) }));

  const send = async (text: string) => {
    const message = text.trim();
    if (!message || !harness || busy) return;
    const hid = harness.harness_id;
    const id = nextTurnId++;
    setInput("");
    update(hid, (c) => ({ ...c, turns: [...c.turns, { id, message, turn: emptyTurn(), streaming: true, stopped: false, error: null }] }));
    const ctl = new AbortController();
    controller.current = ctl;
    const sessionId = conversations[hid]?.sessionId ?? undefined;
    try {
      await api.invoke(
        hid,
        { message, ...(sessionId ? { session_id: sessionId } : {}), ...(endpoint ? { endpoint } : {}) },
        (e) => {
          if (e.type === "session" && typeof e.session_id === "string") update(hid, (c) => ({ ...c, sessionId: e.session_id as string }));
          updateTurn(hid, id, (t) => ({ ...t, turn: applyInvokeEvent(t.turn, e) }));
        },
        ctl.signal,
      );
      updateTurn(hid, id, (t) => ({ ...t, streaming: false }));
    } catch (e) {
      updateTurn(hid, id, (t) => ({ ...t, streaming: false, stopped: ctl.signal.aborted, error: ctl.signal.aborted ? null : e }));
    } finally {
      controller.current = null;
    }
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send(input);
    }
    if (e.key === "Escape") controller.current?.abort();
  };

  if (harnesses.length === 0) {
    return (
      <div className="empty" data-testid="hp-empty">
        <div className="empty-title">No harness to play with in this region</div>
        <div className="empty-text">Create one, or use “Wire everything”: the playground calls the harness, and the harness calls this gateway.</div>
      </div>
    );
  }

  return (
    <div className="ac-play" data-testid="harness-playground">
      <div className="card ac-play-head">
        <div className="ac-play-row">
          <label className="ac-play-label" htmlFor="hp-harness">
            Harness
          </label>
          <select id="hp-harness" className="input ac-play-select" value={selected} onChange={(e) => onSelect(e.target.value)} data-testid="hp-harness" disabled={busy}>
            {harnesses.map((h) => (
              <option key={h.harness_id} value={h.harness_id}>
                {h.harness_name} · {h.status}
              </option>
            ))}
          </select>
          {harness && <HarnessStatusBadge status={harness.status} />}
          <span className="ac-play-model" data-testid="hp-model-id" title="The model id AgentCore has">
            {harness?.model ? (
              <>
                <Badge tone="violet">{harness.model.source}</Badge> <code>{harness.model.model_id}</code>
              </>
            ) : (
              <span className="muted">model unknown</span>
            )}
          </span>
          {harness && target && (
            <button type="button" className="btn btn-sm" disabled={switching || busy || settling(harness.status)} onClick={() => onSwitch(harness, target)} data-testid="hp-switch" data-target={target}>
              {switching ? "Switching…" : lacksPrefix(harness) ? `Fix: use ${LITELLM_PREFIX}${target}` : `Switch to ${target}`}
            </button>
          )}
          {endpoints.length > 0 && (
            <label className="ac-inline-form">
              Endpoint
              <select className="input input-sm" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} disabled={busy} data-testid="hp-endpoint">
                <option value="">DEFAULT (latest version)</option>
                {endpoints.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <div className="ac-play-row">
          <span className="ac-play-label">Session</span>
          {conv.sessionId ? (
            <span className="ac-session" data-testid="hp-session" title={conv.sessionId}>
              <code>{conv.sessionId}</code>
              <CopyButton text={conv.sessionId} small />
            </span>
          ) : (
            <span className="muted" data-testid="hp-session-none">
              a new session starts with the next message
            </span>
          )}
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => update(selected, () => ({ sessionId: null, turns: [] }))} disabled={busy || (!conv.sessionId && conv.turns.length === 0)} data-testid="hp-new-session">
            New session
          </button>
          <span className="ac-play-spacer" />
          <button type="button" className={`btn btn-sm${pastSessions ? " btn-primary" : " btn-ghost"}`} onClick={() => setPastSessions(!pastSessions)} disabled={busy} data-testid="hp-past-sessions" aria-pressed={pastSessions}>
            Past sessions
          </button>
          {keyToken && (
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => onRequests(keyToken)} data-testid="hp-requests" title="The gateway's requests made with the key this harness's credential provider holds">
              Requests under {harness?.credential_provider?.key?.key_alias ?? "its key"} →
            </button>
          )}
        </div>
        {harness && lacksPrefix(harness) && (
          <div className="notice notice-warn compact" data-testid="hp-prefix-warning">
            This harness's model id <code>{harness.model?.model_id}</code> lacks <code>{LITELLM_PREFIX}</code>: LiteLLM inside the harness fails with “LLM Provider NOT provided”.
          </div>
        )}
        {harness?.failure_reason && (
          <div className="notice notice-error compact">
            <span className="notice-title">AgentCore reports:</span> {harness.failure_reason}
          </div>
        )}
      </div>

      {pastSessions && harness && (
        <HarnessSessions
          api={api}
          harnessId={harness.harness_id}
          onContinue={(sessionId) => {
            update(harness.harness_id, () => ({ sessionId, turns: [] }));
            setPastSessions(false);
          }}
        />
      )}

      <div className="card ac-transcript" ref={scroller} data-testid="hp-transcript" hidden={pastSessions}>
        {conv.turns.length === 0 ? (
          <div className="ac-transcript-empty muted">
            <p>Send a message: the harness runs its agent loop and calls this gateway with the key its credential provider holds. Each call it makes shows up in the turn as it ends.</p>
            <div className="ac-suggestions">
              {SUGGESTIONS.map((s) => (
                <button key={s} type="button" className="btn btn-sm" onClick={() => setInput(s)} data-testid="hp-suggestion">
                  {s}
                </button>
              ))}
            </div>
          </div>
        ) : (
          conv.turns.map((t) => <TurnView key={t.id} t={t} />)
        )}
      </div>

      {!pastSessions && (
        <div className="composer">
          <textarea
            className="input textarea"
            rows={2}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            onKeyDown={onKey}
            placeholder={harness ? `Message ${harness.harness_name}…` : "Pick a harness"}
            data-testid="hp-input"
            aria-label="Message to the harness"
            disabled={!harness}
          />
          {busy ? (
            <button type="button" className="btn" onClick={() => controller.current?.abort()} data-testid="hp-stop">
              Stop
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={() => send(input)} disabled={!harness || !input.trim()} data-testid="hp-send">
              Send
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function TurnView({ t }: { t: PlayTurn }) {
  const turn = t.turn;
  const u = turn.usage;
  const stops = turn.blocks.filter((b) => b.kind === "stop").length;
  return (
    <div className="ac-turn" data-testid="hp-turn" data-streaming={t.streaming ? "true" : "false"} data-session={turn.sessionId ?? ""}>
      <div className="msg msg-user">
        <div className="msg-body">{t.message}</div>
      </div>
      <div className="ac-answer" data-testid="hp-answer">
        {turn.blocks.map((b, i) =>
          // A single message's stop is said once, in the metrics line below.
          b.kind === "stop" && stops < 2 ? null : <BlockView key={i} b={b} />,
        )}
        {t.streaming && turn.blocks.length === 0 && <span className="typing" aria-label="waiting for the harness" />}
        {t.stopped && <div className="muted small">stopped</div>}
        {turn.error && (
          <div className="notice notice-error compact" data-testid="hp-error" role="alert">
            <div className="notice-title">
              The harness failed{turn.error.code ? `: ${turn.error.code}` : ""}
            </div>
            <div className="ac-raw" data-testid="hp-error-message">
              {turn.error.message}
            </div>
            {turn.error.fix && (
              <div className="ac-fix" data-testid="hp-error-fix">
                <span className="ac-fix-label">What to do:</span> <FixText text={turn.error.fix} />
              </div>
            )}
            {turn.error.detail && <ErrorDetails text={turn.error.detail} />}
          </div>
        )}
        {t.error != null && <AwsErrorNotice error={t.error} testid="hp-error" compact />}
        {(u || turn.stopReason || turn.latencyMs != null) && !t.streaming && (
          <div className="metrics" data-testid="hp-usage">
            {turn.stopReason && <span data-testid="hp-stop-reason">stop: {turn.stopReason}</span>}
            {u && (
              <span>
                {formatTokens(u.input_tokens ?? 0)} in · {formatTokens(u.output_tokens ?? 0)} out · {formatTokens(u.total_tokens ?? (u.input_tokens ?? 0) + (u.output_tokens ?? 0))} tokens
              </span>
            )}
            {u?.cache_read_input_tokens ? <span>{formatTokens(u.cache_read_input_tokens)} cache read</span> : null}
            {turn.latencyMs != null && <span>latency {formatMs(turn.latencyMs)}</span>}
            <CallsSummary calls={turnCalls(turn)} testid="hp-calls-summary" />
            {turn.endpoint && <span data-testid="hp-turn-endpoint">endpoint {turn.endpoint}</span>}
            {turn.modelId && <span className="mono">{turn.modelId}</span>}
          </div>
        )}
      </div>
    </div>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function BlockView({ b }: { b: Block }) {
  switch (b.kind) {
    case "text":
      return b.role === "assistant" ? (
        <div className="md ac-text" data-testid="hp-text" dangerouslySetInnerHTML={{ __html: renderMarkdown(b.text) }} />
      ) : (
        <div className="ac-text muted" data-testid="hp-text-user">
          {b.text}
        </div>
      );
    case "reasoning":
      return <div className="ac-reasoning">{b.text}</div>;
    case "tool_use":
      return (
        <div className="ac-tool" data-testid="hp-tool-use">
          <div className="ac-tool-head">
            <Badge tone="blue">tool use</Badge> <code>{b.name}</code>
            {b.toolType && <span className="muted small">{b.toolType}</span>}
            {b.serverName && <span className="muted small">on {b.serverName}</span>}
          </div>
          {b.input && <pre className="tool-pre">{prettyJson(b.input)}</pre>}
        </div>
      );
    case "tool_result":
      return (
        <div className="ac-tool ac-tool-result" data-testid="hp-tool-result">
          <div className="ac-tool-head">
            <Badge tone={b.status === "error" ? "red" : "green"}>tool result</Badge>
            {b.status && <span className="muted small">{b.status}</span>}
          </div>
          {b.content.length > 0 && <pre className="tool-pre">{b.content.join("\n")}</pre>}
        </div>
      );
    case "hook":
      return (
        <div className="ac-hook" data-testid="hp-hook">
          <Badge tone="violet">hook</Badge> <code>{b.hookType}</code> <span>{b.name}</span>
          {b.decision && <span className="muted"> → {b.decision}</span>}
          {b.reason && <span className="muted"> ({b.reason})</span>}
        </div>
      );
    case "stop":
      return (
        <div className="ac-stop muted small" data-testid="hp-stop-marker">
          message stop: {b.reason}
        </div>
      );
    case "call":
      return <GatewayCall call={b.call} />;
  }
}
