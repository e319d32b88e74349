-- Responses kept for the Responses API (`store` not false): `previous_response_id` continues
-- from them, `GET /v1/responses/{id}` tells them again. `document` is the JSON of the response,
-- its input items and the items before them; `api_key` is the hash of the key that made it
-- (only that key, or an admin, may read it).
CREATE TABLE responses (
    response_id TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    team_id TEXT,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX responses_api_key ON responses (api_key);
