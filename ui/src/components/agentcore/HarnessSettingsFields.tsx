// The harness form's second half: everything UpdateHarness takes beside the model — tools and
// allowed tools, skills, memory, truncation, lifecycle hooks, limits and environment variables.

import type { ReactNode } from "react";
import type { MemoryStrategy, ToolType } from "../../lib/api.gen";
import {
  HOOK_EVENTS,
  HOOK_TARGETS,
  type HookEvent,
  type HookRow,
  type HookTargetKind,
  MEMORY_STRATEGIES,
  type MemoryKind,
  type SettingsErrors,
  type SettingsState,
  type SkillKind,
  type SkillRow,
  TOOL_TYPES,
  type ToolRow,
  type TruncationKind,
  emptyHookRow,
  emptyToolRow,
  rowId,
} from "../../lib/harnessSettings";
import { Field, TextInput } from "../ui";

type Set = <K extends keyof SettingsState>(k: K, v: SettingsState[K]) => void;

function Section({ title, hint, children, testid }: { title: string; hint?: ReactNode; children: ReactNode; testid: string }) {
  return (
    <fieldset className="ac-settings-section" data-testid={testid}>
      <legend>{title}</legend>
      {hint && <div className="muted small ac-settings-hint">{hint}</div>}
      {children}
    </fieldset>
  );
}

function ToolEditor({ tool, i, errors, update, remove }: { tool: ToolRow; i: number; errors: SettingsErrors; update: (t: ToolRow) => void; remove: () => void }) {
  const err = (k: string) => errors[`tools.${i}.${k}`];
  const set = <K extends keyof ToolRow>(k: K, v: ToolRow[K]) => update({ ...tool, [k]: v });
  const id = `hs-tool-${tool.id}`;
  return (
    <div className="ac-settings-row" data-testid={`hs-tool-${i}`}>
      <div className="form-row">
        <Field label="Type" htmlFor={`${id}-type`}>
          <select id={`${id}-type`} className="input" value={tool.type} onChange={(e) => set("type", e.target.value as ToolType)} data-testid={`hs-tool-${i}-type`}>
            {TOOL_TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Name" htmlFor={`${id}-name`} error={err("name")} optional hint="What allowed tools and the model call it.">
          <TextInput id={`${id}-name`} value={tool.name} onChange={(v) => set("name", v)} testid={`hs-tool-${i}-name`} invalid={!!err("name")} mono />
        </Field>
      </div>
      {tool.type === "remote_mcp" && (
        <>
          <Field label="MCP server URL" htmlFor={`${id}-url`} error={err("url")} hint="Reachable from AWS: the harness runs there.">
            <TextInput id={`${id}-url`} value={tool.url} onChange={(v) => set("url", v)} placeholder="https://mcp.example.com/mcp" testid={`hs-tool-${i}-url`} invalid={!!err("url")} mono />
          </Field>
          <Field label="Headers" htmlFor={`${id}-headers`} error={err("headers")} optional hint="One Name: value a line. Saved values show hidden; leave them as they are to keep them.">
            <textarea id={`${id}-headers`} className="input textarea mono" rows={2} value={tool.headers} onChange={(e) => set("headers", e.target.value)} placeholder="Authorization: Bearer …" data-testid={`hs-tool-${i}-headers`} spellCheck={false} />
          </Field>
        </>
      )}
      {tool.type === "agentcore_gateway" && (
        <div className="form-row">
          <Field label="Gateway ARN" htmlFor={`${id}-gw`} error={err("gatewayArn")}>
            <TextInput id={`${id}-gw`} value={tool.gatewayArn} onChange={(v) => set("gatewayArn", v)} placeholder="arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/…" testid={`hs-tool-${i}-gateway`} invalid={!!err("gatewayArn")} mono />
          </Field>
          <Field label="Outbound auth" htmlFor={`${id}-auth`}>
            <select id={`${id}-auth`} className="input" value={tool.auth} onChange={(e) => set("auth", e.target.value as ToolRow["auth"])} data-testid={`hs-tool-${i}-auth`}>
              <option value="">AgentCore's default</option>
              <option value="aws_iam">AWS IAM</option>
              <option value="none">None</option>
              {tool.auth === "oauth" && <option value="oauth">OAuth (as configured)</option>}
            </select>
          </Field>
        </div>
      )}
      {tool.type === "inline_function" && (
        <>
          <Field label="Description" htmlFor={`${id}-desc`} error={err("description")} hint="Told to the model.">
            <TextInput id={`${id}-desc`} value={tool.description} onChange={(v) => set("description", v)} testid={`hs-tool-${i}-description`} invalid={!!err("description")} />
          </Field>
          <Field label="Input schema (JSON Schema)" htmlFor={`${id}-schema`} error={err("schema")}>
            <textarea id={`${id}-schema`} className="input textarea mono" rows={4} value={tool.schema} onChange={(e) => set("schema", e.target.value)} data-testid={`hs-tool-${i}-schema`} spellCheck={false} aria-invalid={!!err("schema") || undefined} />
          </Field>
        </>
      )}
      {(tool.type === "agentcore_browser" || tool.type === "agentcore_code_interpreter") && (
        <Field label={tool.type === "agentcore_browser" ? "Browser ARN" : "Code interpreter ARN"} htmlFor={`${id}-arn`} error={err("arn")} optional hint="Empty: AgentCore's own.">
          <TextInput id={`${id}-arn`} value={tool.arn} onChange={(v) => set("arn", v)} testid={`hs-tool-${i}-arn`} invalid={!!err("arn")} mono />
        </Field>
      )}
      <button type="button" className="btn btn-xs btn-ghost ac-settings-remove" onClick={remove} data-testid={`hs-tool-${i}-remove`}>
        Remove tool
      </button>
    </div>
  );
}

const SKILL_KINDS: { value: SkillKind; label: string; placeholder: string }[] = [
  { value: "path", label: "Path in the runtime", placeholder: "skills/pdf" },
  { value: "git", label: "Git repository", placeholder: "https://github.com/acme/skills" },
  { value: "s3", label: "S3", placeholder: "s3://bucket/skills/triage" },
  { value: "aws_skills", label: "AWS skills", placeholder: "document-processing, …" },
];

function SkillEditor({ skill, i, errors, update, remove }: { skill: SkillRow; i: number; errors: SettingsErrors; update: (s: SkillRow) => void; remove: () => void }) {
  const kind = SKILL_KINDS.find((k) => k.value === skill.kind) ?? SKILL_KINDS[0];
  return (
    <div className="ac-settings-line" data-testid={`hs-skill-${i}`}>
      <select className="input" aria-label="Skill source" value={skill.kind} onChange={(e) => update({ ...skill, kind: e.target.value as SkillKind })} data-testid={`hs-skill-${i}-kind`}>
        {SKILL_KINDS.map((k) => (
          <option key={k.value} value={k.value}>
            {k.label}
          </option>
        ))}
      </select>
      <div className="ac-settings-grow">
        <TextInput value={skill.value} onChange={(v) => update({ ...skill, value: v })} placeholder={kind.placeholder} testid={`hs-skill-${i}-value`} invalid={!!errors[`skills.${i}.value`]} mono />
        {errors[`skills.${i}.value`] && <div className="field-error">{errors[`skills.${i}.value`]}</div>}
      </div>
      {skill.kind === "git" && <TextInput value={skill.path} onChange={(v) => update({ ...skill, path: v })} placeholder="path in the repo" testid={`hs-skill-${i}-path`} mono />}
      <button type="button" className="btn btn-xs btn-ghost" onClick={remove} aria-label="Remove skill" data-testid={`hs-skill-${i}-remove`}>
        Remove
      </button>
    </div>
  );
}

function HookEditor({ hook, i, errors, update, remove }: { hook: HookRow; i: number; errors: SettingsErrors; update: (h: HookRow) => void; remove: () => void }) {
  const err = (k: string) => errors[`hooks.${i}.${k}`];
  const set = <K extends keyof HookRow>(k: K, v: HookRow[K]) => update({ ...hook, [k]: v });
  const target = HOOK_TARGETS.find((t) => t.value === hook.target) ?? HOOK_TARGETS[0];
  const id = `hs-hook-${hook.id}`;
  return (
    <div className="ac-settings-row" data-testid={`hs-hook-${i}`}>
      <div className="form-row form-row-3">
        <Field label="When" htmlFor={`${id}-event`}>
          <select id={`${id}-event`} className="input" value={hook.event} onChange={(e) => set("event", e.target.value as HookEvent)} data-testid={`hs-hook-${i}-event`}>
            {HOOK_EVENTS.map((e) => (
              <option key={e.value} value={e.value}>
                {e.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Name" htmlFor={`${id}-name`} error={err("name")}>
          <TextInput id={`${id}-name`} value={hook.name} onChange={(v) => set("name", v)} testid={`hs-hook-${i}-name`} invalid={!!err("name")} mono />
        </Field>
        <Field label="Sent to" htmlFor={`${id}-target`}>
          <select id={`${id}-target`} className="input" value={hook.target} onChange={(e) => set("target", e.target.value as HookTargetKind)} data-testid={`hs-hook-${i}-target`}>
            {HOOK_TARGETS.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field label={`${target.label} ARN`} htmlFor={`${id}-arn`} error={err("arn")} hint={hook.target === "lambda" ? "Called with the event; its answer can deny the action." : "Sent the event; nothing waits for it."}>
        <TextInput id={`${id}-arn`} value={hook.arn} onChange={(v) => set("arn", v)} placeholder={target.example} testid={`hs-hook-${i}-arn`} invalid={!!err("arn")} mono />
      </Field>
      {hook.target === "lambda" && (
        <div className="form-row">
          <Field label="Timeout (seconds)" htmlFor={`${id}-timeout`} error={err("timeout")} optional>
            <TextInput id={`${id}-timeout`} value={hook.timeout} onChange={(v) => set("timeout", v)} inputMode="numeric" placeholder="60" testid={`hs-hook-${i}-timeout`} invalid={!!err("timeout")} />
          </Field>
          <Field label="When the function fails" htmlFor={`${id}-failure`}>
            <select id={`${id}-failure`} className="input" value={hook.failureMode} onChange={(e) => set("failureMode", e.target.value as HookRow["failureMode"])} data-testid={`hs-hook-${i}-failure`}>
              <option value="">Deny the action (AgentCore's default)</option>
              <option value="deny">Deny the action</option>
              <option value="allow">Allow the action</option>
            </select>
          </Field>
        </div>
      )}
      <button type="button" className="btn btn-xs btn-ghost ac-settings-remove" onClick={remove} data-testid={`hs-hook-${i}-remove`}>
        Remove hook
      </button>
    </div>
  );
}

export function HarnessSettingsFields({ s, set, errors }: { s: SettingsState; set: Set; errors: SettingsErrors }) {
  const toolNames = s.tools.map((t) => t.name.trim()).filter(Boolean);
  return (
    <div className="ac-settings" data-testid="harness-settings">
      <Section title="Tools" testid="hs-tools" hint={s.tools.length === 0 ? "No tools: the agent only talks. Add an MCP server, an AgentCore gateway, a function, the browser or the code interpreter." : undefined}>
        {s.tools.map((t, i) => (
          <ToolEditor
            key={t.id}
            tool={t}
            i={i}
            errors={errors}
            update={(nt) => set("tools", s.tools.map((x) => (x.id === t.id ? nt : x)))}
            remove={() => set("tools", s.tools.filter((x) => x.id !== t.id))}
          />
        ))}
        <button type="button" className="btn btn-sm" onClick={() => set("tools", [...s.tools, emptyToolRow()])} data-testid="hs-add-tool">
          Add a tool
        </button>
        <Field
          label="Allowed tools"
          htmlFor="hs-allowed"
          error={errors.allowedTools}
          optional
          hint={toolNames.length ? `Comma-separated; * allows all. This harness's tools: ${toolNames.join(", ")}.` : "Comma-separated; * (or empty) allows all."}
        >
          <TextInput id="hs-allowed" value={s.allowedTools} onChange={(v) => set("allowedTools", v)} placeholder="*" testid="hs-allowed-tools" invalid={!!errors.allowedTools} mono />
        </Field>
      </Section>

      <Section title="Skills" testid="hs-skills" hint={s.skills.length === 0 ? "No skills." : undefined}>
        {s.skills.map((k, i) => (
          <SkillEditor
            key={k.id}
            skill={k}
            i={i}
            errors={errors}
            update={(nk) => set("skills", s.skills.map((x) => (x.id === k.id ? nk : x)))}
            remove={() => set("skills", s.skills.filter((x) => x.id !== k.id))}
          />
        ))}
        <button type="button" className="btn btn-sm" onClick={() => set("skills", [...s.skills, { id: rowId(), kind: "path", value: "", path: "" }])} data-testid="hs-add-skill">
          Add a skill
        </button>
      </Section>

      <Section title="Memory and context" testid="hs-memory">
        <div className="form-row">
          <Field label="Memory" htmlFor="hs-memory-kind">
            <select id="hs-memory-kind" className="input" value={s.memory} onChange={(e) => set("memory", e.target.value as MemoryKind)} data-testid="hs-memory-kind">
              <option value="">AgentCore's default</option>
              <option value="disabled">Off</option>
              <option value="managed">Managed by AgentCore</option>
              <option value="agentcore_memory">An AgentCore Memory of mine</option>
            </select>
          </Field>
          <Field label="Truncation" htmlFor="hs-truncation" hint="How the conversation is cut to fit the model's context.">
            <select id="hs-truncation" className="input" value={s.truncation} onChange={(e) => set("truncation", e.target.value as TruncationKind)} data-testid="hs-truncation">
              {s.truncation === "" && <option value="">AgentCore's default</option>}
              <option value="sliding_window">Sliding window</option>
              <option value="summarization">Summarize older messages</option>
              <option value="none">None</option>
            </select>
          </Field>
        </div>
        {s.memory === "managed" && (
          <div className="form-row">
            <Field label="Strategies" hint="Default: semantic and summarization.">
              <div className="ac-settings-checks" data-testid="hs-memory-strategies">
                {MEMORY_STRATEGIES.map((m) => (
                  <label key={m} className="check">
                    <input type="checkbox" checked={s.strategies.includes(m)} onChange={(e) => set("strategies", e.target.checked ? [...s.strategies, m] : s.strategies.filter((x: MemoryStrategy) => x !== m))} />
                    {m.toLowerCase().replace("_", " ")}
                  </label>
                ))}
              </div>
            </Field>
            <Field label="Keep events (days)" htmlFor="hs-expiry" error={errors.expiryDays} optional>
              <TextInput id="hs-expiry" value={s.expiryDays} onChange={(v) => set("expiryDays", v)} inputMode="numeric" placeholder="30" testid="hs-memory-expiry" invalid={!!errors.expiryDays} />
            </Field>
          </div>
        )}
        {s.memory === "agentcore_memory" && (
          <div className="form-row form-row-3">
            <Field label="Memory ARN" htmlFor="hs-memory-arn" error={errors.memoryArn}>
              <TextInput id="hs-memory-arn" value={s.memoryArn} onChange={(v) => set("memoryArn", v)} placeholder="arn:aws:bedrock-agentcore:…:memory/…" testid="hs-memory-arn" invalid={!!errors.memoryArn} mono />
            </Field>
            <Field label="Actor id" htmlFor="hs-actor" optional>
              <TextInput id="hs-actor" value={s.actorId} onChange={(v) => set("actorId", v)} testid="hs-memory-actor" mono />
            </Field>
            <Field label="Recent messages" htmlFor="hs-mem-count" error={errors.messagesCount} optional>
              <TextInput id="hs-mem-count" value={s.messagesCount} onChange={(v) => set("messagesCount", v)} inputMode="numeric" testid="hs-memory-messages" invalid={!!errors.messagesCount} />
            </Field>
          </div>
        )}
        {s.truncation === "sliding_window" && (
          <Field label="Messages kept" htmlFor="hs-window" error={errors.windowMessages} optional>
            <TextInput id="hs-window" value={s.windowMessages} onChange={(v) => set("windowMessages", v)} inputMode="numeric" placeholder="AgentCore's default" testid="hs-window-messages" invalid={!!errors.windowMessages} />
          </Field>
        )}
        {s.truncation === "summarization" && (
          <>
            <div className="form-row">
              <Field label="Share summarized (0–1)" htmlFor="hs-ratio" error={errors.summaryRatio} optional>
                <TextInput id="hs-ratio" value={s.summaryRatio} onChange={(v) => set("summaryRatio", v)} inputMode="decimal" testid="hs-summary-ratio" invalid={!!errors.summaryRatio} />
              </Field>
              <Field label="Recent messages kept whole" htmlFor="hs-preserve" error={errors.preserveRecent} optional>
                <TextInput id="hs-preserve" value={s.preserveRecent} onChange={(v) => set("preserveRecent", v)} inputMode="numeric" testid="hs-preserve-recent" invalid={!!errors.preserveRecent} />
              </Field>
            </div>
            <Field label="Summarization prompt" htmlFor="hs-summary-prompt" optional>
              <TextInput id="hs-summary-prompt" value={s.summaryPrompt} onChange={(v) => set("summaryPrompt", v)} testid="hs-summary-prompt" />
            </Field>
          </>
        )}
      </Section>

      <Section title="Hooks" testid="hs-hooks" hint={s.hooks.length === 0 ? "No hooks. A hook sends the agent's lifecycle events (before and after an invocation or a tool call) to a Lambda function, an SNS topic or an EventBridge bus." : undefined}>
        {s.hooks.map((h, i) => (
          <HookEditor
            key={h.id}
            hook={h}
            i={i}
            errors={errors}
            update={(nh) => set("hooks", s.hooks.map((x) => (x.id === h.id ? nh : x)))}
            remove={() => set("hooks", s.hooks.filter((x) => x.id !== h.id))}
          />
        ))}
        <button type="button" className="btn btn-sm" onClick={() => set("hooks", [...s.hooks, emptyHookRow()])} data-testid="hs-add-hook">
          Add a hook
        </button>
      </Section>

      <Section title="Limits per invocation" testid="hs-limits">
        <div className="form-row form-row-3">
          <Field label="Max iterations" htmlFor="hs-iterations" error={errors.maxIterations} optional hint="Turns of the agent loop.">
            <TextInput id="hs-iterations" value={s.maxIterations} onChange={(v) => set("maxIterations", v)} inputMode="numeric" placeholder="AgentCore's default" testid="hs-max-iterations" invalid={!!errors.maxIterations} />
          </Field>
          <Field label="Max output tokens" htmlFor="hs-inv-tokens" error={errors.invocationMaxTokens} optional hint="Across all model calls.">
            <TextInput id="hs-inv-tokens" value={s.invocationMaxTokens} onChange={(v) => set("invocationMaxTokens", v)} inputMode="numeric" placeholder="no limit" testid="hs-invocation-max-tokens" invalid={!!errors.invocationMaxTokens} />
          </Field>
          <Field label="Timeout (seconds)" htmlFor="hs-timeout" error={errors.timeoutSeconds} optional>
            <TextInput id="hs-timeout" value={s.timeoutSeconds} onChange={(v) => set("timeoutSeconds", v)} inputMode="numeric" placeholder="AgentCore's default" testid="hs-timeout" invalid={!!errors.timeoutSeconds} />
          </Field>
        </div>
      </Section>

      <Section title="Environment variables" testid="hs-env" hint="Saved values are never shown again; leave a value empty to keep it. Keys for the gateway belong in the credential provider, not here.">
        {s.env.map((v, i) => (
          <div className="ac-settings-line" key={v.id} data-testid={`hs-env-${i}`}>
            <div className="ac-settings-grow">
              <TextInput value={v.name} onChange={(n) => set("env", s.env.map((x) => (x.id === v.id ? { ...x, name: n } : x)))} placeholder="NAME" testid={`hs-env-${i}-name`} invalid={!!errors[`env.${i}.name`]} mono />
              {errors[`env.${i}.name`] && <div className="field-error">{errors[`env.${i}.name`]}</div>}
            </div>
            <div className="ac-settings-grow">
              <TextInput
                value={v.value}
                onChange={(val) => set("env", s.env.map((x) => (x.id === v.id ? { ...x, value: val } : x)))}
                placeholder={v.hidden ? "hidden: type to replace" : "value"}
                testid={`hs-env-${i}-value`}
                invalid={!!errors[`env.${i}.value`]}
                mono
              />
              {errors[`env.${i}.value`] && <div className="field-error">{errors[`env.${i}.value`]}</div>}
            </div>
            <button type="button" className="btn btn-xs btn-ghost" onClick={() => set("env", s.env.filter((x) => x.id !== v.id))} data-testid={`hs-env-${i}-remove`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="btn btn-sm" onClick={() => set("env", [...s.env, { id: rowId(), name: "", value: "" }])} data-testid="hs-add-env">
          Add a variable
        </button>
      </Section>
    </div>
  );
}
