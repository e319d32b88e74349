// The Requests page's key filter: a search over every key of the gateway (server-side, by alias,
// any case), so that it works with a million keys as with ten.

import { useEffect, useRef, useState } from "react";
import type { Gateway } from "../lib/api";
import type { KeyView } from "../lib/api.gen";
import { shortId } from "../lib/format";

export const MASTER_KEY_TOKEN = "litellm-proxy-master-key";
const SHOWN = 20;

export function keyLabel(k: Pick<KeyView, "key_alias" | "key_name">): string {
  return k.key_alias ?? k.key_name;
}

export function KeyFilter({ gw, value, onChange }: { gw: Gateway; value: string | undefined; onChange: (token: string | undefined) => void }) {
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [results, setResults] = useState<KeyView[]>([]);
  const [total, setTotal] = useState(0);
  const [searching, setSearching] = useState(false);
  const [failed, setFailed] = useState(false);
  const [label, setLabel] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);

  // The chosen key's name (it may come from the address, before any search).
  useEffect(() => {
    if (!value) return setLabel(null);
    if (value === MASTER_KEY_TOKEN) return setLabel("master key");
    const known = results.find((k) => k.token_id === value);
    if (known) return setLabel(keyLabel(known));
    const controller = new AbortController();
    setLabel(shortId(value, 8, 0));
    gw.keyInfo(value, controller.signal)
      .then((k) => setLabel(keyLabel(k)))
      .catch(() => {});
    return () => controller.abort();
    // Not on `results`: they only help when the key was just picked from them.
  }, [gw, value]);

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    const t = window.setTimeout(() => {
      setSearching(true);
      gw.keyPage({ page: 1, size: SHOWN, search: text }, controller.signal)
        .then((p) => {
          setResults(p.keys);
          setTotal(p.total);
          setFailed(false);
        })
        .catch(() => !controller.signal.aborted && setFailed(true))
        .finally(() => !controller.signal.aborted && setSearching(false));
    }, 200);
    return () => {
      window.clearTimeout(t);
      controller.abort();
    };
  }, [gw, open, text]);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const pick = (token: string | undefined, name: string | null) => {
    onChange(token);
    setLabel(name);
    setText("");
    setOpen(false);
  };

  return (
    <div className="key-filter" ref={box} data-testid="filter-key" data-value={value ?? ""}>
      <input
        className="input input-sm"
        value={open ? text : (label ?? "")}
        placeholder={open ? "Search keys by alias…" : "All keys"}
        onFocus={() => setOpen(true)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
        title={open ? undefined : (label ?? undefined)}
        aria-label="Key"
        aria-expanded={open}
        role="combobox"
        spellCheck={false}
        data-testid="filter-key-input"
      />
      {value && !open && (
        <button type="button" className="key-filter-clear" onClick={() => pick(undefined, null)} aria-label="All keys" data-testid="filter-key-clear">
          ×
        </button>
      )}
      {open && (
        <ul className="key-filter-menu" role="listbox" data-testid="filter-key-menu">
          {text.trim() === "" && (
            <>
              <li role="option" aria-selected={!value} onMouseDown={() => pick(undefined, null)}>
                All keys
              </li>
              <li role="option" aria-selected={value === MASTER_KEY_TOKEN} onMouseDown={() => pick(MASTER_KEY_TOKEN, "master key")}>
                master key
              </li>
            </>
          )}
          {results.map((k) => (
            <li key={k.token_id} role="option" aria-selected={value === k.token_id} onMouseDown={() => pick(k.token_id, keyLabel(k))} data-testid="filter-key-option">
              <span>{keyLabel(k)}</span> <span className="muted mono small">{k.key_name}</span>
            </li>
          ))}
          <li className="key-filter-note muted small" aria-disabled>
            {failed ? "Could not search the keys." : searching ? "Searching…" : total > results.length ? `${results.length} of ${total.toLocaleString()} keys: type to narrow` : results.length === 0 ? "No key matches." : `${total.toLocaleString()} key${total === 1 ? "" : "s"}`}
          </li>
        </ul>
      )}
    </div>
  );
}
