// The skeleton every create/edit dialog shares: its fields in a <form>, Cancel and a submit button
// that shows the call is running, the gateway's refusal under the fields. Field errors appear after
// the first submit only (not while the user is still typing the first time), then follow each change.

import { type FormEvent, type ReactNode, useState } from "react";
import { type FieldErrors, hasErrors } from "../lib/validate";
import { ErrorNotice, Modal } from "./ui";

export function FormDialog<E extends FieldErrors>({
  title,
  testid,
  formId,
  submitLabel,
  busyLabel = "Saving…",
  submitTestid,
  validate,
  onSubmit,
  onClose,
  errorNotice = (error) => <ErrorNotice error={error} ctx={{ admin: true }} testid="form-error" />,
  children,
}: {
  title: ReactNode;
  testid: string;
  /** The submit button sits in the modal's footer, outside the form: it names the form by id. */
  formId: string;
  submitLabel: string;
  busyLabel?: string;
  submitTestid: string;
  /** The fields' errors; any error blocks the submit. */
  validate?: () => E;
  /** Rejects with the gateway's refusal, shown in the dialog; the dialog stays open for a retry. */
  onSubmit: () => Promise<void>;
  onClose: () => void;
  errorNotice?: (error: unknown) => ReactNode;
  children: ReactNode | ((errors: Partial<E>) => ReactNode);
}) {
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors: Partial<E> = submitted && validate ? validate() : {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (validate && hasErrors(validate())) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={title}
      onClose={onClose}
      testid={testid}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" form={formId} className="btn btn-primary" disabled={busy} data-testid={submitTestid}>
            {busy ? busyLabel : submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate className="form">
        {typeof children === "function" ? children(errors) : children}
        {error != null && errorNotice(error)}
      </form>
    </Modal>
  );
}
