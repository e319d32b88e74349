-- Turns of the harness playground: which harness session each was, when, in which trace, and
-- the key the harness calls this gateway with, so that a turn's gateway calls (the request log's
-- rows under that key, in that trace or time window) can be shown with it, now and later.
-- The same SQL on SQLite and PostgreSQL.
CREATE TABLE agentcore_turns (
    turn_id TEXT PRIMARY KEY,
    harness_id TEXT NOT NULL,
    harness_arn TEXT NOT NULL,
    region TEXT NOT NULL,
    session_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    key_token TEXT,
    message TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    error TEXT,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL
);
CREATE INDEX agentcore_turns_harness ON agentcore_turns (harness_id, started_at);
CREATE INDEX agentcore_turns_session ON agentcore_turns (harness_id, session_id);
