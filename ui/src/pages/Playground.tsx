import { type KeyboardEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Badge, CopyButton, ErrorNotice, Field, Modal, TextInput, copyText } from "../components/ui";
import { useApp } from "../context";
import { useAsync } from "../hooks";
import { type ChatMessage, type EmbeddingSummary, type Metrics, type ToolCall, assistantTurn, computeMetrics, prettyArguments } from "../lib/chat";
import { CODE_LABELS, type CodeKind, KEY_ENV, codeKindsFor, codeSnippet, defaultCodeKind } from "../lib/codegen";
import { ENDPOINTS, ENDPOINT_IDS, type EndpointId, type RawExchange, type TurnSettings, runTurn } from "../lib/endpoints";
import type { ApiError } from "../lib/errors";
import { formatCost, formatMs, formatRate, formatTokens } from "../lib/format";
import { agentCoreAgent } from "../lib/forms";
import { renderMarkdown } from "../lib/markdown";
import { validateNumber } from "../lib/validate";

type Turn =
  | { kind: "user"; id: number; content: string }
  | {
      kind: "assistant";
      id: number;
      model: string;
      endpoint: EndpointId;
      content: string;
      thinking: string;
      toolCalls: ToolCall[];
      streaming: boolean;
      stopped: boolean;
      error: ApiError | null;
      metrics: Metrics | null;
      finishReason: string | null;
      /** An Embeddings turn's answer: its vector summarized, instead of text. */
      embedding: EmbeddingSummary | null;
      toolsAnswered?: boolean;
      /** The request as sent (key masked) and the response as received. */
      raw: RawExchange | null;
    }
  | { kind: "tool"; id: number; toolCallId: string; name: string; content: string };

interface Pane {
  id: number;
  model: string;
  turns: Turn[];
}

const OTHER = "__other__";
let nextId = 1;

/** What the history needs of a turn (a Turn, or a test's literal with more or fewer fields). */
type HistoryTurn =
  | { kind: "user"; content: string; [more: string]: unknown }
  | { kind: "tool"; toolCallId: string; content: string; [more: string]: unknown }
  | { kind: "assistant"; content: string; toolCalls: ToolCall[]; error: ApiError | null; endpoint?: EndpointId; [more: string]: unknown };

/**
 * The chat history a pane sends: failed and stopped-empty answers are left out, and so are
 * embeddings (a text sent to /v1/embeddings and its vector are not part of a conversation).
 */
export function historyOf(turns: HistoryTurn[], system: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (system.trim()) out.push({ role: "system", content: system.trim() });
  const embedded = (i: number) => {
    const t = turns[i];
    return t != null && t.kind === "assistant" && t.endpoint === "embeddings";
  };
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i];
    if (embedded(i) || (t.kind === "user" && embedded(i + 1))) continue;
    if (t.kind === "user") out.push({ role: "user", content: t.content });
    else if (t.kind === "tool") out.push({ role: "tool", tool_call_id: t.toolCallId, content: t.content });
    else if (!t.error && (t.content || t.toolCalls.length)) {
      out.push(assistantTurn({ content: t.content, toolCalls: t.toolCalls }));
    }
  }
  return out;
}

export function PlaygroundPage() {
  const { gw, session, sessionKeys, playgroundKey, setPlaygroundKey } = useApp();
  const models = useAsync(() => gw.callableModels(), [gw]);
  const aliases = useMemo(() => models.data ?? [], [models.data]);
  // /model/info tells each alias's mode ("chat", "embedding"...): the model list puts the models
  // that fit the endpoint first. Without it (an older gateway, an error) every model is listed.
  const info = useAsync(() => gw.modelInfo().catch(() => []), [gw]);
  const modes = useMemo(() => {
    const m = new Map<string, string>();
    for (const d of info.data ?? []) if (d.model_info?.mode && !m.has(d.model_name)) m.set(d.model_name, d.model_info.mode);
    return m;
  }, [info.data]);
  // Aliases served by an AgentCore agent (`bedrock/agentcore/<ARN>`), which brings its own prompt.
  const agents = useMemo(() => {
    const m = new Map<string, NonNullable<ReturnType<typeof agentCoreAgent>>>();
    for (const d of info.data ?? []) {
      const agent = agentCoreAgent(String(d.litellm_params?.model ?? ""));
      if (agent) m.set(d.model_name, agent);
    }
    return m;
  }, [info.data]);

  const [keyChoice, setKeyChoice] = useState<string>(() => playgroundKey ?? sessionKeys[0]?.token ?? "master");
  const [pasted, setPasted] = useState("");
  const [system, setSystem] = useState("");
  const [temperature, setTemperature] = useState("0.7");
  const [maxTokens, setMaxTokens] = useState("1024");
  const [offerTool, setOfferTool] = useState(false);
  const [endpoint, setEndpoint] = useState<EndpointId>("chat");
  const spec = ENDPOINTS[endpoint];
  const embeddings = spec.kind === "embedding";
  const modelList = useMemo(() => modelGroups(aliases, modes, spec.kind), [aliases, modes, spec.kind]);
  const [stream, setStream] = useState(true);
  const [showCode, setShowCode] = useState(false);
  const [input, setInput] = useState("");
  const [panes, setPanes] = useState<Pane[]>([{ id: nextId++, model: "", turns: [] }]);
  const controllers = useRef(new Map<number, AbortController>());
  const inputRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (playgroundKey) {
      setKeyChoice(playgroundKey);
      setPlaygroundKey(null);
    }
  }, [playgroundKey, setPlaygroundKey]);

  // Models arrive: panes without a model take the first (the second pane the second).
  useEffect(() => {
    const first = modelList.preferred;
    if (!first.length) return;
    setPanes((ps) => ps.map((p, i) => (p.model ? p : { ...p, model: first[Math.min(i, first.length - 1)] })));
  }, [modelList]);

  /** A new endpoint: a pane on a listed model that does not fit it moves to one that does. */
  const chooseEndpoint = (id: EndpointId) => {
    setEndpoint(id);
    const groups = modelGroups(aliases, modes, ENDPOINTS[id].kind);
    if (!groups.other.length || !groups.preferred.length) return;
    setPanes((ps) => ps.map((p, i) => (groups.other.includes(p.model) ? { ...p, model: groups.preferred[Math.min(i, groups.preferred.length - 1)] } : p)));
  };

  const apiKey = keyChoice === "master" ? session.masterKey : keyChoice === "paste" ? pasted.trim() : (sessionKeys.find((k) => k.token === keyChoice)?.key ?? "");
  const busy = panes.some((p) => p.turns.some((t) => t.kind === "assistant" && t.streaming));
  const compare = panes.length > 1;
  const maxTemp = spec.maxTemperature;
  const tempError = embeddings ? null : validateNumber(temperature, { label: "Temperature" }) ?? (Number(temperature) > maxTemp ? `Temperature is at most ${maxTemp}${maxTemp < 2 ? ` for ${ENDPOINTS[endpoint].label}` : ""}` : null);
  const maxError = embeddings ? null : validateNumber(maxTokens, { integer: true, min: 1, label: "Max tokens" });
  const keyError = keyChoice === "paste" && !/^sk-\S{8,}$/.test(pasted.trim()) ? "Paste a key that starts with sk-" : null;
  const canSend = !busy && !tempError && !maxError && !keyError && apiKey !== "";

  const updateTurn = (paneId: number, turnId: number, patch: (t: Extract<Turn, { kind: "assistant" }>) => Partial<Extract<Turn, { kind: "assistant" }>>) => {
    setPanes((ps) =>
      ps.map((p) =>
        p.id !== paneId ? p : { ...p, turns: p.turns.map((t) => (t.id === turnId && t.kind === "assistant" ? { ...t, ...patch(t) } : t)) },
      ),
    );
  };

  const settingsFor = (model: string): TurnSettings => ({
    model,
    temperature: temperature.trim() === "" ? undefined : Number(temperature),
    maxTokens: maxTokens.trim() === "" ? undefined : Number(maxTokens),
    tools: offerTool,
    stream,
  });

  const run = async (pane: Pane, turns: Turn[]) => {
    const turnId = nextId++;
    const model = pane.model;
    const assistant: Turn = {
      kind: "assistant",
      id: turnId,
      model,
      endpoint,
      content: "",
      thinking: "",
      toolCalls: [],
      streaming: true,
      stopped: false,
      error: null,
      metrics: null,
      finishReason: null,
      embedding: null,
      raw: null,
    };
    setPanes((ps) => ps.map((p) => (p.id === pane.id ? { ...p, turns: [...turns, assistant] } : p)));
    const controller = new AbortController();
    controllers.current.set(pane.id, controller);
    const result = await runTurn({
      endpoint,
      gatewayUrl: session.url,
      apiKey,
      // Embeddings: the text just sent, alone; chat endpoints: the conversation so far.
      messages: embeddings ? lastUserMessage(turns) : historyOf(turns, system),
      settings: settingsFor(model),
      signal: controller.signal,
      onRequest: (raw) => updateTurn(pane.id, turnId, () => ({ raw: { ...raw } })),
      onUpdate: (state) => updateTurn(pane.id, turnId, () => ({ content: state.content, thinking: state.thinking, toolCalls: state.toolCalls.map((c) => ({ ...c })) })),
    });
    controllers.current.delete(pane.id);
    const usage = result.state.usage;
    const cost = result.headerCost ?? usage?.cost ?? null;
    updateTurn(pane.id, turnId, () => ({
      content: result.state.content,
      thinking: result.state.thinking,
      toolCalls: result.state.toolCalls,
      streaming: false,
      stopped: result.aborted,
      error: result.state.error,
      finishReason: result.state.finishReason,
      embedding: result.state.embedding ?? null,
      metrics: computeMetrics(result.timing, usage ? { ...usage, cost } : null),
      raw: { request: result.raw.request, response: result.raw.response ? { ...result.raw.response } : null },
    }));
  };

  /** What "Get code" shows: the first pane's conversation, with the message being typed if any. */
  const codeMessages = (): ChatMessage[] => {
    const turns = panes[0]?.turns ?? [];
    const text = input.trim();
    if (embeddings) return text ? [{ role: "user", content: text }] : lastUserMessage(turns);
    let upTo = turns;
    if (!text) {
      // Nothing typed: the last request sent (the conversation without its last answer).
      const last = turns.length ? turns[turns.length - 1] : null;
      if (last && last.kind === "assistant") upTo = turns.slice(0, -1);
    }
    const messages = historyOf(upTo, system);
    if (text) messages.push({ role: "user", content: text });
    return messages;
  };

  const send = () => {
    const text = input.trim();
    if (!text || !canSend) return;
    setInput("");
    for (const pane of panes) {
      if (!pane.model) continue;
      void run(pane, [...pane.turns, { kind: "user", id: nextId++, content: text }]);
    }
  };

  const stop = () => {
    for (const c of controllers.current.values()) c.abort();
  };

  const answerTools = (pane: Pane, turn: Extract<Turn, { kind: "assistant" }>, results: string[]) => {
    const turns = pane.turns.map((t) => (t.id === turn.id && t.kind === "assistant" ? { ...t, toolsAnswered: true } : t));
    const toolTurns: Turn[] = turn.toolCalls.map((c, i) => ({ kind: "tool", id: nextId++, toolCallId: c.id, name: c.name, content: results[i] ?? "" }));
    void run(pane, [...turns, ...toolTurns]);
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  useEffect(() => {
    const onEsc = (e: globalThis.KeyboardEvent) => {
      if (e.key === "Escape" && controllers.current.size && !document.querySelector(".modal-backdrop")) stop();
    };
    window.addEventListener("keydown", onEsc);
    return () => window.removeEventListener("keydown", onEsc);
  }, []);

  const setCompare = (on: boolean) => {
    if (on && panes.length === 1) {
      const other = aliases.find((a) => a !== panes[0].model) ?? panes[0].model;
      setPanes((ps) => [...ps, { id: nextId++, model: other, turns: [] }]);
    } else if (!on && panes.length > 1) {
      setPanes((ps) => ps.slice(0, 1));
    }
  };

  const clear = () => setPanes((ps) => ps.map((p) => ({ ...p, turns: [] })));
  const empty = panes.every((p) => p.turns.length === 0);

  return (
    <div className="page page-playground">
      <aside className="pg-settings" aria-label="Playground settings">
        <h1>Playground</h1>
        <Field label="Key" htmlFor="pg-key" error={keyError} hint={keyChoice === "master" ? "The master key skips team and key limits." : undefined}>
          <select id="pg-key" className="input" value={keyChoice} onChange={(e) => setKeyChoice(e.target.value)} data-testid="pg-key" disabled={busy}>
            <option value="master">Master key (admin)</option>
            {sessionKeys.map((k) => (
              <option key={k.token} value={k.token}>
                {k.alias ?? `${k.key.slice(0, 8)}…`} (this tab)
              </option>
            ))}
            <option value="paste">Paste a key…</option>
          </select>
        </Field>
        {keyChoice === "paste" && (
          <Field label="Virtual key" htmlFor="pg-paste">
            <TextInput id="pg-paste" value={pasted} onChange={setPasted} type="password" mono placeholder="sk-..." testid="pg-paste-key" />
          </Field>
        )}
        <Field label="Endpoint" htmlFor="pg-endpoint" hint={<span className="mono">POST {spec.path}</span>}>
          <select id="pg-endpoint" className="input" value={endpoint} onChange={(e) => chooseEndpoint(e.target.value as EndpointId)} data-testid="pg-endpoint" disabled={busy}>
            {ENDPOINT_IDS.map((id) => (
              <option key={id} value={id}>
                {ENDPOINTS[id].label}
              </option>
            ))}
          </select>
        </Field>
        {embeddings ? (
          <p className="muted small" data-testid="pg-embeddings-note">
            Each message is embedded on its own: one text per request, no conversation. The system prompt, temperature, max tokens, tool and streaming do not apply.
          </p>
        ) : (
          <>
          {panes
            .filter((p) => agents.has(p.model))
            .slice(0, 1)
            .map((p) => {
              const agent = agents.get(p.model);
              return (
                <p key={p.id} className="muted small" data-testid="pg-agent-note">
                  <strong>{p.model}</strong> is an AgentCore {agent?.kind} ({agent?.name}, {agent?.region}): the conversation stays in one runtime session, and the {agent?.kind} brings its own system
                  prompt, tools and sampling: the system prompt, temperature and tool set here are not sent to it.
                </p>
              );
            })}
          <Field label="System prompt" htmlFor="pg-system" optional>
            <textarea id="pg-system" className="input textarea" rows={4} value={system} onChange={(e) => setSystem(e.target.value)} placeholder="You are a helpful assistant." data-testid="pg-system" />
          </Field>
          <div className="form-row">
            <Field label="Temperature" htmlFor="pg-temp" error={tempError}>
              <TextInput id="pg-temp" value={temperature} onChange={setTemperature} inputMode="decimal" testid="pg-temperature" />
            </Field>
            <Field label="Max tokens" htmlFor="pg-max" error={maxError}>
              <TextInput id="pg-max" value={maxTokens} onChange={setMaxTokens} inputMode="numeric" testid="pg-max-tokens" />
            </Field>
          </div>
          <input type="range" min={0} max={2} step={0.1} value={Number(temperature) || 0} onChange={(e) => setTemperature(e.target.value)} aria-label="Temperature slider" className="range" />
          <label className="check">
            <input type="checkbox" checked={offerTool} onChange={(e) => setOfferTool(e.target.checked)} data-testid="pg-tools" /> Offer a tool: <code>get_weather</code>
          </label>
          <label className="check">
            <input type="checkbox" checked={stream} onChange={(e) => setStream(e.target.checked)} disabled={busy} data-testid="pg-stream" /> Stream the answer
          </label>
          </>
        )}
        <label className="check">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} disabled={busy || aliases.length === 0} data-testid="pg-compare" /> Compare two models side by side
        </label>
        <div className="pg-actions">
          <button type="button" className="btn btn-sm" onClick={clear} disabled={busy || empty} data-testid="pg-clear">
            Clear conversation
          </button>
          <button type="button" className="btn btn-sm" onClick={() => setShowCode(true)} disabled={!panes[0]?.model} data-testid="pg-get-code">
            Get code
          </button>
        </div>
        <p className="muted small">
          {embeddings
            ? "Enter sends, Shift+Enter adds a line. Change the model at any time: the next text goes to it."
            : "Enter sends, Shift+Enter adds a line, Esc stops. Change the model at any time: the next message goes to it, with the conversation so far."}
        </p>
      </aside>

      <section className="pg-main">
        {models.error != null && <ErrorNotice error={models.error} ctx={{ admin: true, gatewayUrl: session.url }} />}
        {models.data && aliases.length === 0 ? (
          <div className="pg-panes">
            <div className="empty" data-testid="empty-state">
              <div className="empty-title">No models to chat with</div>
              <div className="empty-text">
                Add a model on the <a href="#/models">Models page</a> first.
              </div>
            </div>
          </div>
        ) : (
          <div className={`pg-panes${compare ? " compare" : ""}`}>
            {panes.map((pane, i) => (
              <PaneView
                key={pane.id}
                pane={pane}
                index={i}
                aliases={aliases}
                groups={modelList}
                embeddings={embeddings}
                busy={busy}
                gatewayUrl={session.url}
                onModel={(m) => setPanes((ps) => ps.map((p) => (p.id === pane.id ? { ...p, model: m } : p)))}
                onAnswerTools={(turn, results) => answerTools(pane, turn, results)}
              />
            ))}
          </div>
        )}
        {showCode && (
          <GetCodeDialog
            onClose={() => setShowCode(false)}
            gatewayUrl={session.url}
            endpoint={endpoint}
            messages={codeMessages()}
            settings={settingsFor(panes[0]?.model ?? "")}
          />
        )}
        <div className="composer">
          <textarea
            ref={inputRef}
            className="input textarea"
            rows={2}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            onKeyDown={onKey}
            placeholder={embeddings ? (compare ? "Text to embed with both models…" : "Text to embed…") : compare ? "Send the same message to both models…" : "Send a message…"}
            data-testid="pg-input"
            aria-label="Message"
          />
          {busy ? (
            <button type="button" className="btn btn-danger" onClick={stop} data-testid="pg-stop">
              Stop
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={send} disabled={!canSend || !input.trim()} data-testid="pg-send">
              Send
            </button>
          )}
        </div>
      </section>
    </div>
  );
}

/** The models for an endpoint: those whose mode fits it first, the others apart. */
export function modelGroups(aliases: string[], modes: Map<string, string>, kind: "chat" | "embedding"): { preferred: string[]; other: string[]; otherLabel: string } {
  const fits = (a: string) => {
    const mode = modes.get(a);
    return kind === "embedding" ? mode === "embedding" : mode !== "embedding";
  };
  const preferred = aliases.filter(fits);
  const other = aliases.filter((a) => !fits(a));
  // Nothing fits (no mode known, or no embedding model): every model, as one list.
  if (!preferred.length) return { preferred: aliases, other: [], otherLabel: "" };
  return { preferred, other, otherLabel: kind === "embedding" ? "Chat models" : "Embedding models" };
}

/** The last message the user sent, alone (what an Embeddings turn sends). */
function lastUserMessage(turns: Turn[]): ChatMessage[] {
  for (let i = turns.length - 1; i >= 0; i--) {
    const t = turns[i];
    if (t.kind === "user") return [{ role: "user", content: t.content }];
  }
  return [];
}

function PaneView({
  pane,
  index,
  aliases,
  groups,
  embeddings,
  busy,
  gatewayUrl,
  onModel,
  onAnswerTools,
}: {
  pane: Pane;
  index: number;
  aliases: string[];
  groups: { preferred: string[]; other: string[]; otherLabel: string };
  embeddings: boolean;
  busy: boolean;
  gatewayUrl: string;
  onModel: (m: string) => void;
  onAnswerTools: (turn: Extract<Turn, { kind: "assistant" }>, results: string[]) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [custom, setCustom] = useState(false);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });
  const totals = pane.turns.reduce(
    (acc, t) => {
      if (t.kind === "assistant" && t.metrics) {
        acc.cost += t.metrics.cost ?? 0;
        if (t.metrics.cost != null) acc.priced = true;
        acc.tokens += (t.metrics.promptTokens ?? 0) + (t.metrics.completionTokens ?? 0);
      }
      return acc;
    },
    { cost: 0, tokens: 0, priced: false },
  );
  const inList = aliases.includes(pane.model);
  return (
    <div className="pane" data-testid={`pane-${index}`}>
      <div className="pane-head">
        <label className="pane-model">
          <span className="muted small">Model</span>
          <select
            className="input input-sm"
            value={custom || (!inList && pane.model) ? OTHER : pane.model}
            onChange={(e) => {
              if (e.target.value === OTHER) {
                setCustom(true);
              } else {
                setCustom(false);
                onModel(e.target.value);
              }
            }}
            disabled={busy}
            data-testid={`pg-model-${index}`}
          >
            {groups.preferred.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
            {groups.other.length > 0 && (
              <optgroup label={groups.otherLabel}>
                {groups.other.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </optgroup>
            )}
            <option value={OTHER}>Other model name…</option>
          </select>
        </label>
        {(custom || (!inList && pane.model)) && (
          <input className="input input-sm mono" value={pane.model} onChange={(e) => onModel(e.target.value)} placeholder="e.g. litellm_proxy/claude-haiku" aria-label="Model name" disabled={busy} data-testid={`pg-model-custom-${index}`} />
        )}
        <span className="pane-totals muted small" data-testid={`pane-totals-${index}`}>
          {totals.tokens ? `${formatTokens(totals.tokens)} tokens${totals.priced ? ` · ${formatCost(totals.cost)}` : ""}` : ""}
        </span>
      </div>
      <div
        className="pane-scroll"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        onClick={(e) => {
          const target = e.target as HTMLElement;
          if (target.matches("[data-copy-code]")) {
            const pre = target.parentElement?.querySelector("pre");
            if (pre) void copyText(pre.textContent ?? "").then(() => (target.textContent = "Copied"));
          }
        }}
      >
        {pane.turns.length === 0 && (
          <div className="pane-empty muted">
            {index === 0 ? (embeddings ? "Pick a key and an embedding model, then send a text to embed." : "Pick a key and a model, then send a message.") : "The same message goes to this model too."}
          </div>
        )}
        {pane.turns.map((t) => (
          <TurnView key={t.id} turn={t} gatewayUrl={gatewayUrl} onAnswerTools={onAnswerTools} busy={busy} />
        ))}
      </div>
    </div>
  );
}

function TurnView({
  turn,
  gatewayUrl,
  onAnswerTools,
  busy,
}: {
  turn: Turn;
  gatewayUrl: string;
  onAnswerTools: (turn: Extract<Turn, { kind: "assistant" }>, results: string[]) => void;
  busy: boolean;
}) {
  if (turn.kind === "user") {
    return (
      <div className="msg msg-user" data-testid="msg-user">
        <div className="msg-body">{turn.content}</div>
      </div>
    );
  }
  if (turn.kind === "tool") {
    return (
      <div className="msg msg-tool" data-testid="msg-tool">
        <div className="msg-meta">
          <Badge tone="violet">tool result</Badge> <span className="mono small">{turn.name}</span>
        </div>
        <pre className="tool-pre">{turn.content}</pre>
      </div>
    );
  }
  return <AssistantTurn turn={turn} gatewayUrl={gatewayUrl} onAnswerTools={onAnswerTools} busy={busy} />;
}

function AssistantTurn({
  turn,
  gatewayUrl,
  onAnswerTools,
  busy,
}: {
  turn: Extract<Turn, { kind: "assistant" }>;
  gatewayUrl: string;
  onAnswerTools: (turn: Extract<Turn, { kind: "assistant" }>, results: string[]) => void;
  busy: boolean;
}) {
  const [showRaw, setShowRaw] = useState(false);
  const m = turn.metrics;
  return (
    <div className={`msg msg-assistant${turn.error ? " msg-error" : ""}`} data-testid="msg-assistant" data-model={turn.model} data-streaming={turn.streaming ? "true" : "false"}>
      <div className="msg-meta">
        <Badge tone="blue">{turn.model}</Badge>
        {turn.endpoint !== "chat" && (
          <Badge tone="violet" title={`POST ${ENDPOINTS[turn.endpoint].path}`}>
            {ENDPOINTS[turn.endpoint].short}
          </Badge>
        )}
        {turn.streaming && <span className="typing" aria-label="Streaming" />}
        {turn.stopped && <Badge tone="amber">stopped</Badge>}
        {turn.finishReason === "length" && <Badge tone="amber" title="max tokens reached">cut at max tokens</Badge>}
        {!turn.streaming && turn.content && <CopyButton text={turn.content} small />}
        {turn.raw && (
          <button type="button" className={`btn btn-xs btn-ghost raw-toggle${turn.content && !turn.streaming ? "" : " solo"}`} aria-expanded={showRaw} onClick={() => setShowRaw((v) => !v)} data-testid="raw-toggle">
            {showRaw ? "Hide raw" : "Raw"}
          </button>
        )}
      </div>
      {turn.thinking && (
        <details className="thinking" data-testid="msg-thinking" open={turn.streaming && !turn.content}>
          <summary>Thinking</summary>
          <div className="thinking-text">{turn.thinking}</div>
        </details>
      )}
      {turn.content && <div className="md" data-testid="msg-content" dangerouslySetInnerHTML={{ __html: renderMarkdown(turn.content) }} />}
      {turn.embedding && !turn.error && <EmbeddingView embedding={turn.embedding} />}
      {turn.toolCalls.length > 0 && <ToolCalls turn={turn} onAnswer={onAnswerTools} busy={busy} />}
      {turn.error && <ErrorNotice error={turn.error} ctx={{ model: turn.model, gatewayUrl }} compact testid="msg-error" />}
      {!turn.streaming && m && !turn.error && turn.endpoint === "embeddings" && (
        <div className="metrics" data-testid="msg-metrics">
          <span title="Input tokens">{m.promptTokens != null ? `${formatTokens(m.promptTokens)} tokens in` : "no usage"}</span>
          <span data-testid="msg-cost" title={m.cost != null ? "Cost reported by the gateway" : "The gateway reported no cost for this call"}>
            {m.cost != null ? formatCost(m.cost) : "cost n/a"}
          </span>
          <span title="Total time">{formatMs(m.totalMs)}</span>
        </div>
      )}
      {!turn.streaming && m && !turn.error && turn.endpoint !== "embeddings" && (
        <div className="metrics" data-testid="msg-metrics">
          <span title="Time to first token">TTFT {formatMs(m.ttftMs)}</span>
          <span>{formatRate(m.tokensPerSecond)}</span>
          <span title="Tokens in / out">
            {m.promptTokens != null ? `${formatTokens(m.promptTokens)} in · ${formatTokens(m.completionTokens)} out` : "no usage"}
          </span>
          <span
            data-testid="msg-cost"
            title={m.cost != null ? "Cost reported by the gateway" : "The gateway reported no cost for this answer (a streamed Messages or Responses answer has none: turn streaming off to see it)"}
          >
            {m.cost != null ? formatCost(m.cost) : "cost n/a"}
          </span>
          <span title="Total time">{formatMs(m.totalMs)}</span>
        </div>
      )}
      {showRaw && turn.raw && <RawView raw={turn.raw} streaming={turn.streaming} note={ENDPOINTS[turn.endpoint].rawNote} />}
    </div>
  );
}

/** An embeddings turn: the vector's size and first numbers (never a chat bubble of text). */
function EmbeddingView({ embedding }: { embedding: EmbeddingSummary }) {
  const more = embedding.dimensions - embedding.head.length;
  return (
    <div className="embedding" data-testid="msg-embedding">
      <div className="embedding-size">
        <strong data-testid="embedding-dimensions">{embedding.dimensions.toLocaleString()}</strong> dimensions
        {embedding.count > 1 && <span className="muted"> · {embedding.count} vectors (the first shown)</span>}
        {embedding.encoding !== "float" && <span className="muted"> · {embedding.encoding}</span>}
      </div>
      <code className="embedding-head" data-testid="embedding-head">
        [{embedding.head.map((x) => formatFloat(x)).join(", ")}
        {more > 0 ? `, … ${more.toLocaleString()} more` : ""}]
      </code>
    </div>
  );
}

function formatFloat(x: number): string {
  if (x === 0) return "0";
  return Math.abs(x) >= 1e-4 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(3);
}

function prettyJsonFull(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** How many numbers of a long number list (an embedding) the Raw view shows; Copy has them all. */
const RAW_NUMBERS = 16;

/** Pretty JSON, with lists of numbers on one line and long ones cut (an embedding has thousands). */
function prettyJson(text: string): string {
  let pretty: string;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
  return pretty.replace(/\[(\s*-?\d[\d.eE+-]*(?:,\s*-?\d[\d.eE+-]*)*)\s*\]/g, (_, list: string) => {
    const numbers = list.split(",").map((n) => n.trim());
    if (numbers.length <= RAW_NUMBERS) return `[${numbers.join(", ")}]`;
    return `[${numbers.slice(0, RAW_NUMBERS).join(", ")}, … ${numbers.length - RAW_NUMBERS} more]`;
  });
}

/** A turn's exact request (key masked) and response (status, x-litellm-* headers, body or events). */
function RawView({ raw, streaming, note }: { raw: RawExchange; streaming: boolean; note?: string }) {
  const req = raw.request;
  const res = raw.response;
  const requestText = [`${req.method} ${req.url}`, ...req.headers.map(([k, v]) => `${k}: ${v}`), "", JSON.stringify(req.body, null, 2)].join("\n");
  let responseText = "";
  let shownText = "";
  if (res) {
    const lines = [`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, ...res.headers.map(([k, v]) => `${k}: ${v}`), ""];
    if (res.events) {
      for (const e of res.events) {
        if (e.event !== "message") lines.push(`event: ${e.event}`);
        lines.push(`data: ${e.data}`, "");
      }
      if (res.eventsDropped) lines.push(`… ${res.eventsDropped} more events not kept`);
      if (streaming) lines.push("… streaming");
    }
    const head = lines.join("\n");
    responseText = (res.body != null && !res.events ? `${head}\n${prettyJsonFull(res.body)}` : head).trimEnd();
    shownText = (res.body != null && !res.events ? `${head}\n${prettyJson(res.body)}` : head).trimEnd();
  }
  return (
    <div className="raw-view" data-testid="raw-view">
      <div className="raw-section">
        <div className="raw-head">
          <span className="raw-title">Request</span>
          <span className="mono small" data-testid="raw-request-line">
            {req.method} {req.path}
          </span>
          {note && (
            <span className="muted small" data-testid="raw-note">
              {note}
            </span>
          )}
          <CopyButton text={requestText} small />
        </div>
        <pre className="raw-pre" data-testid="raw-request">{requestText}</pre>
      </div>
      <div className="raw-section">
        <div className="raw-head">
          <span className="raw-title">Response</span>
          {res ? (
            <span className="mono small" data-testid="raw-status">
              {res.status} · {res.events ? `${res.events.length} stream events` : "body"}
            </span>
          ) : (
            <span className="muted small">{streaming ? "waiting…" : "no response"}</span>
          )}
          {res && <CopyButton text={responseText} small />}
        </div>
        {res && <pre className="raw-pre" data-testid="raw-response">{shownText}</pre>}
      </div>
    </div>
  );
}

function GetCodeDialog({ onClose, gatewayUrl, endpoint, messages, settings }: { onClose: () => void; gatewayUrl: string; endpoint: EndpointId; messages: ChatMessage[]; settings: TurnSettings }) {
  const [kind, setKind] = useState<CodeKind>(defaultCodeKind(endpoint));
  const kinds = codeKindsFor(endpoint);
  const text = codeSnippet(kind, { gatewayUrl, endpoint, messages, settings });
  return (
    <Modal title="Get code" onClose={onClose} wide testid="code-dialog">
      <p className="muted small code-intro">
        {endpoint === "embeddings" ? "The text to embed as code, with " : "The conversation so far as code, with "}
        <span className="mono">{settings.model}</span>
        {endpoint === "embeddings" ? "" : <> and the playground&apos;s settings</>}
        {kind === "curl" ? (
          <>
            , sent to <span className="mono">POST {ENDPOINTS[endpoint].path}</span>
          </>
        ) : null}
        . The key is read from the environment: set <code>{KEY_ENV}</code> to a virtual key first.
      </p>
      <div className="snippet-bar">
        <div className="tabs" role="tablist">
          {kinds.map((k) => (
            <button key={k} type="button" role="tab" aria-selected={kind === k} className={`tab${kind === k ? " active" : ""}`} onClick={() => setKind(k)} data-testid={`code-tab-${k}`}>
              {CODE_LABELS[k]}
            </button>
          ))}
        </div>
      </div>
      <div className="snippet">
        <pre className="code-pre" data-testid="code-snippet" data-kind={kind}>{text}</pre>
        <div className="snippet-copy">
          <CopyButton text={text} testid="code-copy" />
        </div>
      </div>
    </Modal>
  );
}

function ToolCalls({ turn, onAnswer, busy }: { turn: Extract<Turn, { kind: "assistant" }>; onAnswer: (turn: Extract<Turn, { kind: "assistant" }>, results: string[]) => void; busy: boolean }) {
  const [results, setResults] = useState<string[]>(() => turn.toolCalls.map((c) => sampleResult(c)));
  useEffect(() => {
    if (!turn.streaming) setResults(turn.toolCalls.map((c) => sampleResult(c)));
  }, [turn.streaming, turn.toolCalls]);
  return (
    <div className="tool-calls" data-testid="tool-calls">
      {turn.toolCalls.map((c, i) => (
        <div className="tool-call" key={c.id || i}>
          <div className="msg-meta">
            <Badge tone="violet">tool call</Badge> <span className="mono">{c.name}</span> <span className="muted small mono">{c.id}</span>
          </div>
          <pre className="tool-pre" data-testid="tool-arguments">{prettyArguments(c.arguments)}</pre>
          {!turn.streaming && !turn.toolsAnswered && (
            <textarea className="input textarea mono small" rows={2} value={results[i] ?? ""} onChange={(e) => setResults((r) => r.map((x, j) => (j === i ? e.target.value : x)))} aria-label={`Result of ${c.name}`} />
          )}
        </div>
      ))}
      {!turn.streaming && !turn.toolsAnswered && turn.finishReason === "tool_calls" && (
        <button type="button" className="btn btn-sm" disabled={busy} onClick={() => onAnswer(turn, results)} data-testid="tool-send">
          Send tool result{turn.toolCalls.length > 1 ? "s" : ""}
        </button>
      )}
    </div>
  );
}

function sampleResult(c: ToolCall): string {
  if (c.name === "get_weather") {
    let city = "Paris";
    try {
      city = (JSON.parse(c.arguments) as { city?: string }).city ?? city;
    } catch {
      // keep the default
    }
    return JSON.stringify({ city, temperature_c: 21, conditions: "sunny" });
  }
  return "{}";
}
