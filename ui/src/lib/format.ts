// Formatting of money, tokens, times and durations: one place so every page agrees.

/** USD with enough digits to see small LLM costs: $0.00, $0.000123, $0.1234, $1.23, $1,234.56. */
export function formatCost(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return "—";
  if (usd === 0) return "$0.00";
  const abs = Math.abs(usd);
  const sign = usd < 0 ? "-" : "";
  let digits: string;
  if (abs < 0.000001) return `${sign}<$0.000001`;
  if (abs < 0.01) digits = stripZeros(abs.toPrecision(3), 2);
  else if (abs < 1) digits = stripZeros(abs.toFixed(4), 2);
  else digits = abs.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${sign}$${digits}`;
}

/** "0.001200" → "0.0012", keeping at least `min` decimals. */
function stripZeros(fixed: string, min: number): string {
  const [int, dec = ""] = fixed.split(".");
  let d = dec.replace(/0+$/, "");
  while (d.length < min) d += "0";
  return `${int}.${d}`;
}

/** A budget pair: "$0.12 / $10.00", or "$0.12" with no budget. */
export function formatSpendBudget(spend: number | null | undefined, budget: number | null | undefined): string {
  return budget == null ? formatCost(spend ?? 0) : `${formatCost(spend ?? 0)} / ${formatCost(budget)}`;
}

/** The share of a budget used, 0..1 (more than 1 when overspent); null without a budget. */
export function budgetRatio(spend: number | null | undefined, budget: number | null | undefined): number | null {
  if (budget == null) return null;
  if (budget <= 0) return (spend ?? 0) > 0 ? 1 : 0;
  return (spend ?? 0) / budget;
}

/** 1234 → "1,234"; 1234567 → "1.23M" when compact. */
export function formatTokens(n: number | null | undefined, compact = false): string {
  if (n == null || !Number.isFinite(n)) return "—";
  if (compact) {
    if (Math.abs(n) >= 1_000_000) return `${trimFixed(n / 1_000_000, 2)}M`;
    if (Math.abs(n) >= 10_000) return `${trimFixed(n / 1000, 1)}k`;
  }
  return Math.round(n).toLocaleString("en-US");
}

function trimFixed(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, "");
}

/** Milliseconds → "850 ms", "1.2 s", "2 min 5 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimFixed(ms / 1000, ms < 10_000 ? 2 : 1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** Seconds of uptime → "45 s", "12 min", "3 h 4 min", "2 d 5 h". */
export function formatUptime(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
  }
  const h = Math.floor((s % 86_400) / 3600);
  return `${Math.floor(s / 86_400)} d${h ? ` ${h} h` : ""}`;
}

/** Tokens per second, one decimal. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond == null || !Number.isFinite(perSecond)) return "—";
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)} tok/s`;
}

/** An ISO time relative to now: "just now", "5 min ago", "in 3 d", "2025-01-31". */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = (t - now.getTime()) / 1000;
  const abs = Math.abs(diff);
  const ago = diff < 0;
  const say = (n: number, unit: string) => (ago ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  if (abs < 45) return ago ? "just now" : "in a moment";
  if (abs < 3600) return say(Math.max(1, Math.round(abs / 60)), "min");
  if (abs < 86_400) return say(Math.round(abs / 3600), "h");
  if (abs < 86_400 * 45) return say(Math.round(abs / 86_400), "d");
  return new Date(t).toISOString().slice(0, 10);
}

/** An ISO time as local "HH:MM:SS" (today) or "YYYY-MM-DD HH:MM". */
export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "—";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  const sameDay = t.toDateString() === now.toDateString();
  const hms = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  if (sameDay) return hms;
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${hms.slice(0, 5)}`;
}

/** A long id shortened in the middle: "3f2a9c…81b0". */
export function shortId(id: string | null | undefined, head = 6, tail = 4): string {
  if (!id) return "—";
  return id.length <= head + tail + 1 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/** A clear key for display: "sk-abc…wxyz". */
export function maskKey(key: string): string {
  if (key.length <= 10) return key;
  return `${key.slice(0, 6)}…${key.slice(-4)}`;
}

/** 0.55 → "55 %". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio == null || !Number.isFinite(ratio)) return "—";
  return `${Math.round(ratio * 100)} %`;
}
