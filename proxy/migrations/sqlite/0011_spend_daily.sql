-- Spend per day (UTC, of the call's start), key, team, user, customer and model: what the
-- spend charts and reports read instead of scanning the log (LiteLLM keeps such daily tables
-- too). The spend writer adds each batch's rows here in the transaction that inserts them.
-- Ids a row does not have are '' (a primary key column cannot be NULL).
CREATE TABLE spend_daily (
    day TEXT NOT NULL,
    api_key TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    end_user TEXT NOT NULL,
    model TEXT NOT NULL,
    model_group TEXT NOT NULL,
    key_alias TEXT,
    spend REAL NOT NULL,
    requests INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL,
    PRIMARY KEY (day, api_key, team_id, user_id, end_user, model, model_group)
);
INSERT INTO spend_daily
SELECT substr(start_time, 1, 10), api_key, COALESCE(team_id, ''), COALESCE(user_id, ''), COALESCE(end_user, ''),
       model, model_group, MAX(key_alias), SUM(spend), COUNT(*),
       SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END), SUM(prompt_tokens), SUM(completion_tokens),
       SUM(total_tokens)
FROM spend_logs
GROUP BY substr(start_time, 1, 10), api_key, COALESCE(team_id, ''), COALESCE(user_id, ''), COALESCE(end_user, ''),
         model, model_group;

-- The same per day, model group and team only: a few rows a day however many keys there are,
-- for the overview's figures and the charts by day, model and team.
CREATE TABLE spend_days (
    day TEXT NOT NULL,
    model_group TEXT NOT NULL,
    team_id TEXT NOT NULL,
    spend REAL NOT NULL,
    requests INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL,
    PRIMARY KEY (day, model_group, team_id)
);
INSERT INTO spend_days
SELECT day, model_group, team_id, SUM(spend), SUM(requests), SUM(failures), SUM(prompt_tokens),
       SUM(completion_tokens), SUM(total_tokens)
FROM spend_daily
GROUP BY day, model_group, team_id;

-- Per key, all time: one row a key, for the keys that spent most (`/global/spend/keys`, the
-- Spend page) without adding up every day of every key.
CREATE TABLE spend_keys (
    api_key TEXT PRIMARY KEY,
    key_alias TEXT,
    spend REAL NOT NULL,
    requests INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL
);
CREATE INDEX spend_keys_spend ON spend_keys (spend);
INSERT INTO spend_keys
SELECT api_key, MAX(key_alias), SUM(spend), SUM(requests), SUM(total_tokens)
FROM spend_daily
GROUP BY api_key;
