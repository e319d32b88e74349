// Form validation, checked before anything is sent. Each function returns an error message, or
// null when the value is fine. The gateway checks again; its refusal is shown as it comes.

/** Durations the gateway understands: 30s, 30m, 24h, 7d, 2w, 1mo (and hourly/daily/weekly/monthly for budgets). */
export const DURATION_RE = /^([1-9]\d{0,4})(s|m|h|d|w|mo)$/;
const NAMED_PERIODS = ["hourly", "daily", "weekly", "monthly"];

export function validateDuration(value: string, opts: { allowNamed?: boolean } = {}): string | null {
  const v = value.trim();
  if (v === "") return null;
  if (opts.allowNamed && NAMED_PERIODS.includes(v.toLowerCase())) return null;
  if (DURATION_RE.test(v)) return null;
  return `“${v}” is not a duration: use a number and a unit, e.g. 30s, 30m, 24h, 7d, 2w, 1mo${
    opts.allowNamed ? " (or daily, weekly, monthly)" : ""
  }`;
}

/**
 * Names of teams and keys (like the harness's: letters, digits, "-", "_", "."), 1–64 characters,
 * starting with a letter or digit.
 */
export function validateName(value: string, what = "Name", opts: { required?: boolean; max?: number } = {}): string | null {
  const v = value.trim();
  const max = opts.max ?? 64;
  if (v === "") return opts.required ? `${what} is required` : null;
  if (v.length > max) return `${what} is at most ${max} characters (this one has ${v.length})`;
  if (!/^[A-Za-z0-9]/.test(v)) return `${what} must start with a letter or a digit`;
  if (!/^[A-Za-z0-9._-]+$/.test(v)) return `${what} may contain letters, digits, “-”, “_” and “.” only`;
  return null;
}

/** A model alias: what clients send as `model`. "/" and ":" are allowed (e.g. team/gpt-4o). */
export function validateAlias(value: string): string | null {
  const v = value.trim();
  if (v === "") return "Alias is required";
  if (v.length > 128) return `Alias is at most 128 characters (this one has ${v.length})`;
  if (/\s/.test(v)) return "Alias may not contain spaces";
  if (v.startsWith("litellm_proxy/")) {
    return "Don't prefix the alias with litellm_proxy/: clients add it themselves (litellm_proxy/<alias>)";
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/.test(v)) return "Alias may contain letters, digits and - _ . : / @ + only";
  return null;
}

/** A number field: empty is "not set"; otherwise a finite number ≥ min (integers when asked). */
export function validateNumber(
  value: string,
  opts: { integer?: boolean; min?: number; label?: string } = {},
): string | null {
  const v = value.trim();
  if (v === "") return null;
  const label = opts.label ?? "Value";
  const n = Number(v);
  if (!Number.isFinite(n)) return `${label} must be a number`;
  const min = opts.min ?? 0;
  if (n < min) return `${label} must be ${min} or more`;
  if (opts.integer && !Number.isInteger(n)) return `${label} must be a whole number`;
  return null;
}

/** An empty string → undefined, else the number. */
export function numberOrUndefined(value: string): number | undefined {
  const v = value.trim();
  return v === "" ? undefined : Number(v);
}

/** An http(s) URL without a trailing slash; error message or null. */
export function validateUrl(value: string, label = "URL"): string | null {
  const v = value.trim();
  if (v === "") return `${label} is required`;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `${label} must be a full URL, e.g. http://127.0.0.1:4000`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `${label} must start with http:// or https://`;
  return null;
}

/** "http://host:4000/" → "http://host:4000"; "host:4000" is left for validateUrl to refuse. */
export function normalizeUrl(value: string): string {
  return value.trim().replace(/\/+$/, "");
}

export type Errors<T> = Partial<Record<keyof T, string>>;

export type FieldErrors = Partial<Record<string, string | null>>;

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}
