import { type FormEvent, useState } from "react";
import { ErrorNotice, Field, TextInput } from "../components/ui";
import { Gateway } from "../lib/api";
import { ApiError } from "../lib/errors";
import { defaultGatewayUrl } from "../lib/session";
import { normalizeUrl, validateUrl } from "../lib/validate";

/** Sign-in with a gateway URL and its master key; checks both before keeping them. */
export function SignIn({ onSignIn }: { onSignIn: (s: { url: string; masterKey: string }) => void }) {
  const [url, setUrl] = useState(defaultGatewayUrl);
  const [key, setKey] = useState("");
  const [show, setShow] = useState(false);
  const [errors, setErrors] = useState<{ url?: string; key?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const u = normalizeUrl(url);
    const errs = { url: validateUrl(u, "Gateway URL") ?? undefined, key: key.trim() ? undefined : "The master key is required" };
    setErrors(errs);
    setError(null);
    if (errs.url || errs.key) return;
    setBusy(true);
    const gw = new Gateway(u, key.trim());
    try {
      await gw.liveliness();
      // An admin route tells a wrong key (401) from a key that is not the master key (403).
      await gw.get("/key/list", { size: 1 });
      onSignIn({ url: u, masterKey: key.trim() });
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 401) setErrors({ key: "The gateway refused this key" });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin-page">
      <form className="signin-card" onSubmit={submit} noValidate data-testid="signin-form">
        <div className="brand brand-dark">
          <svg width="26" height="26" viewBox="0 0 16 16" aria-hidden="true">
            <rect width="16" height="16" rx="3.5" fill="#2563eb" />
            <path d="M4 5h8M4 8h5M4 11h8" stroke="white" strokeWidth="1.6" strokeLinecap="round" />
          </svg>
          <span>Switchboard</span>
        </div>
        <p className="muted">Sign in to a gateway — this machine's, or one you deployed — with its master key.</p>
        <Field label="Gateway URL" error={errors.url} htmlFor="gw-url" hint="The address the gateway listens on, e.g. http://127.0.0.1:4000">
          <TextInput id="gw-url" value={url} onChange={setUrl} testid="signin-url" mono invalid={!!errors.url} />
        </Field>
        <Field label="Master key" error={errors.key} htmlFor="gw-key" hint="general_settings.master_key (or LITELLM_MASTER_KEY). Kept in this tab only.">
          <div className="input-row">
            <TextInput id="gw-key" value={key} onChange={setKey} type={show ? "text" : "password"} testid="signin-key" mono autoFocus invalid={!!errors.key} placeholder="sk-..." />
            <button type="button" className="btn btn-sm" onClick={() => setShow((s) => !s)} aria-pressed={show}>
              {show ? "Hide" : "Show"}
            </button>
          </div>
        </Field>
        {error != null && <ErrorNotice error={error} ctx={{ admin: true, gatewayUrl: normalizeUrl(url) }} />}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="signin-submit">
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
