-- Teams, users, virtual keys, database models and spend logs.
-- Records are JSON documents in `data`; the columns beside them are what queries filter on
-- and what the spend writer increments. Keys are stored as SHA-256 hex only.
CREATE TABLE teams (
    team_id TEXT PRIMARY KEY,
    team_alias TEXT,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    user_email TEXT,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE virtual_keys (
    token TEXT PRIMARY KEY,
    key_alias TEXT,
    team_id TEXT,
    user_id TEXT,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_active TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX virtual_keys_team ON virtual_keys (team_id);

CREATE TABLE models (
    model_id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE spend_logs (
    request_id TEXT PRIMARY KEY,
    call_type TEXT NOT NULL,
    api_key TEXT NOT NULL,
    key_alias TEXT,
    team_id TEXT,
    user_id TEXT,
    end_user TEXT,
    model TEXT NOT NULL,
    model_id TEXT NOT NULL,
    model_group TEXT NOT NULL,
    custom_llm_provider TEXT NOT NULL,
    api_base TEXT,
    spend DOUBLE PRECISION NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens BIGINT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    request_duration_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX spend_logs_start ON spend_logs (start_time);
CREATE INDEX spend_logs_key ON spend_logs (api_key);
CREATE INDEX spend_logs_team ON spend_logs (team_id);
