-- Who changed what, and when: one row per record an admin change touched (LiteLLM's
-- `LiteLLM_AuditLog`). `before_value` and `updated_values` are the record's JSON documents
-- before and after the change, with secrets masked (NULL when it did not exist before or no
-- longer exists after); `changed_by_api_key` is the hash of the caller's key.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    updated_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_by_api_key TEXT NOT NULL,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before_value TEXT,
    updated_values TEXT
);
CREATE INDEX audit_log_updated_at ON audit_log (updated_at);
CREATE INDEX audit_log_object ON audit_log (table_name, object_id);
