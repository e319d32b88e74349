// The dialogs about a deployed stack: destroying it (after typing its name), and managing the
// gateway it runs (its URL and master key, and switching this tab to it).

import { useEffect, useState } from "react";
import { useApp } from "../../context";
import type { Connection } from "../../lib/api.gen";
import { type StackTarget, stackConnection } from "../../lib/deployApi";
import { switchSession, SESSION_CHANGED } from "../../lib/session";
import { CopyButton, CopyField, Modal, Spinner, TextInput, copyText } from "../ui";
import { AwsErrorNotice } from "./parts";

/** Asks for the stack's name before destroying it. */
export function DestroyDialog({ target, onConfirm, onClose }: { target: StackTarget; onConfirm: (typed: string) => void; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const ok = typed === target.stack;
  return (
    <Modal
      title={`Destroy ${target.stack}?`}
      onClose={onClose}
      testid="destroy-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" disabled={!ok} onClick={() => onConfirm(typed)} data-testid="destroy-confirm">
            Destroy
          </button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) onConfirm(typed);
        }}
      >
        <p>
          CloudFormation deletes everything the stack <strong className="mono">{target.stack}</strong> created in <span className="mono">{target.region}</span>: the load balancer, the
          ECS service and its tasks, the network it made, <strong>the database with every key, team and spend record</strong>, and the generated master key secret. A master key secret
          you supplied is kept.
        </p>
        <label htmlFor="destroy-typed" className="field-label">
          Type <code>{target.stack}</code> to confirm
        </label>
        <TextInput id="destroy-typed" value={typed} onChange={setTyped} testid="destroy-typed" mono autoFocus invalid={typed !== "" && !ok} placeholder={target.stack} />
      </form>
    </Modal>
  );
}

/** The deployed gateway's URL and master key, and switching this tab to it. */
export function ManageDialog({ target, onClose }: { target: StackTarget; onClose: () => void }) {
  const { gw, session, toast } = useApp();
  const [conn, setConn] = useState<Connection | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revealed, setRevealed] = useState(false);
  useEffect(() => {
    let live = true;
    stackConnection(gw, target).then(
      (c) => live && setConn(c),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [gw, target]);
  const here = conn && conn.url.replace(/\/+$/, "") === session.url;
  const open = () => {
    if (!conn) return;
    switchSession({ url: conn.url.replace(/\/+$/, ""), masterKey: conn.master_key }, session);
    window.location.hash = "#/overview";
    window.dispatchEvent(new Event(SESSION_CHANGED));
  };
  return (
    <Modal
      title="Manage the deployed gateway"
      onClose={onClose}
      testid="manage-dialog"
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          {conn && (
            <a className="btn" href={`${conn.url.replace(/\/+$/, "")}/ui/`} target="_blank" rel="noreferrer" data-testid="manage-open-panel">
              Its own panel ↗
            </a>
          )}
          {conn && !here && (
            <button type="button" className="btn btn-primary" onClick={open} data-testid="manage-switch">
              Manage it in this tab
            </button>
          )}
        </>
      }
    >
      {!conn && !error && <Spinner label="Reading the master key from Secrets Manager…" />}
      {error != null && <AwsErrorNotice error={error} testid="manage-error" />}
      {conn && (
        <div data-testid="manage-connection">
          <div className="kv">
            <div className="kv-label">Gateway URL</div>
            <CopyField value={conn.url} testid="manage-url" />
            {conn.alb_dns_name && (
              <>
                <div className="kv-label">Load balancer</div>
                <CopyField value={conn.alb_dns_name} testid="manage-alb" />
              </>
            )}
            <div className="kv-label">Master key secret</div>
            <CopyField value={conn.master_key_secret_arn} testid="manage-secret-arn" />
            <div className="kv-label">Master key</div>
            <div className="input-row">
              <div className={`copy-field secret grow${revealed ? "" : " masked"}`}>
                <code data-testid="manage-key-value">{revealed ? conn.master_key : `${conn.master_key.slice(0, 3)}${"•".repeat(24)}`}</code>
              </div>
              <button type="button" className="btn btn-sm" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed} data-testid="manage-key-reveal">
                {revealed ? "Hide" : "Reveal"}
              </button>
              <CopyButton text={conn.master_key} testid="manage-key-copy" />
            </div>
          </div>
          {here ? (
            <p className="notice notice-info compact" data-testid="manage-here">
              This tab already manages this gateway.
            </p>
          ) : (
            <p className="muted">
              <strong>Manage it in this tab</strong> signs this tab in to <span className="mono">{conn.url}</span> with its master key
              {session.injected ? " instead of the local gateway" : ""}; the sidebar then offers the way back to <span className="mono">{session.url}</span>. Other tabs and windows are
              not affected. The key stays in this tab's session storage, like a sign-in.
            </p>
          )}
          <button
            type="button"
            className="btn-link small"
            onClick={async () => {
              const text = `export LITELLM_PROXY_URL=${conn.url}\nexport LITELLM_MASTER_KEY=${conn.master_key}\n`;
              toast((await copyText(text)) ? "Copied the two export lines (with the key)" : "Could not copy", "info");
            }}
            data-testid="manage-copy-env"
          >
            Copy as LITELLM_PROXY_URL / LITELLM_MASTER_KEY exports
          </button>
        </div>
      )}
    </Modal>
  );
}
