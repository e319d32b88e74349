-- Which virtual key the gateway stored in which AgentCore API-key credential provider, so the
-- panel can say "provider litellm-proxy holds key agentcore-harness-key" and the doctor can
-- check that key. The key itself is in AgentCore only; here is its SHA-256 hex.
CREATE TABLE agentcore_providers (
    credential_provider_arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    key_token TEXT NOT NULL,
    key_alias TEXT,
    key_name TEXT NOT NULL,
    team_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX agentcore_providers_name ON agentcore_providers (region, name);
