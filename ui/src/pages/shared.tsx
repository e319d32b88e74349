import { Field, TextInput } from "../components/ui";
import type { Limits } from "../lib/api.gen";
import type { LimitsForm } from "../lib/forms";
import { formatCost, formatTokens } from "../lib/format";
import type { Errors } from "../lib/validate";

/** Budget and rate-limit fields shared by the team and key forms. */
export function LimitsFields({
  form,
  errors,
  onChange,
  prefix,
}: {
  form: LimitsForm;
  errors: Errors<LimitsForm>;
  onChange: (k: keyof LimitsForm, v: string) => void;
  prefix: string;
}) {
  return (
    <fieldset className="fieldset">
      <legend>Budget and limits</legend>
      <div className="form-row">
        <Field label="Max budget (USD)" htmlFor={`${prefix}-budget`} error={errors.maxBudget} optional>
          <TextInput id={`${prefix}-budget`} value={form.maxBudget} onChange={(v) => onChange("maxBudget", v)} inputMode="decimal" placeholder="e.g. 10" testid={`${prefix}-max-budget`} invalid={!!errors.maxBudget} />
        </Field>
        <Field label="Budget resets every" htmlFor={`${prefix}-period`} error={errors.budgetDuration} optional hint="30d, 1mo, daily… empty: never">
          <TextInput id={`${prefix}-period`} value={form.budgetDuration} onChange={(v) => onChange("budgetDuration", v)} placeholder="30d" testid={`${prefix}-budget-duration`} invalid={!!errors.budgetDuration} />
        </Field>
      </div>
      <div className="form-row form-row-3">
        <Field label="Requests / min" htmlFor={`${prefix}-rpm`} error={errors.rpm} optional>
          <TextInput id={`${prefix}-rpm`} value={form.rpm} onChange={(v) => onChange("rpm", v)} inputMode="numeric" testid={`${prefix}-rpm`} invalid={!!errors.rpm} />
        </Field>
        <Field label="Tokens / min" htmlFor={`${prefix}-tpm`} error={errors.tpm} optional>
          <TextInput id={`${prefix}-tpm`} value={form.tpm} onChange={(v) => onChange("tpm", v)} inputMode="numeric" testid={`${prefix}-tpm`} invalid={!!errors.tpm} />
        </Field>
        <Field label="Parallel requests" htmlFor={`${prefix}-par`} error={errors.parallel} optional>
          <TextInput id={`${prefix}-par`} value={form.parallel} onChange={(v) => onChange("parallel", v)} inputMode="numeric" testid={`${prefix}-parallel`} invalid={!!errors.parallel} />
        </Field>
      </div>
    </fieldset>
  );
}

/** "60 rpm · 10k tpm · 4 parallel · resets 30d" or "—". */
export function limitsSummary(l: Limits): string {
  const parts: string[] = [];
  if (l.rpm_limit != null) parts.push(`${formatTokens(l.rpm_limit, true)} rpm`);
  if (l.tpm_limit != null) parts.push(`${formatTokens(l.tpm_limit, true)} tpm`);
  if (l.max_parallel_requests != null) parts.push(`${l.max_parallel_requests} parallel`);
  if (l.budget_duration) parts.push(`budget resets ${l.budget_duration}`);
  if (l.soft_budget != null) parts.push(`soft ${formatCost(l.soft_budget)}`);
  return parts.length ? parts.join(" · ") : "—";
}

/** A choice of a few options as a row of buttons. */
export function Segmented({ label, value, options, onChange, testid }: { label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void; testid?: string }) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label} data-testid={testid}>
      <span className="muted small">{label}</span>
      {options.map(([v, l]) => (
        <button key={v} type="button" role="radio" aria-checked={value === v} className={value === v ? "on" : ""} onClick={() => onChange(v)} data-value={v}>
          {l}
        </button>
      ))}
    </div>
  );
}
