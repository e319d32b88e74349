-- Spend rows are keyed by the gateway's own call id (x-litellm-call-id): an upstream that
-- repeats its response ids no longer folds many calls into one row. The upstream's id moves
-- to its own column; rows written before keep theirs there.
ALTER TABLE spend_logs ADD COLUMN response_id TEXT;
UPDATE spend_logs
   SET response_id = request_id,
       request_id = json_extract(metadata, '$.litellm_call_id')
 WHERE (CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.litellm_call_id') END) IS NOT NULL
   AND json_extract(metadata, '$.litellm_call_id') <> request_id;

-- Key aliases are unique (as in LiteLLM), now in the database rather than only in memory.
-- Duplicates made by earlier versions keep the oldest key's alias; the others get the first
-- characters of their hash appended, so no key is lost.
UPDATE virtual_keys
   SET key_alias = key_alias || '-' || substr(token, 1, 8),
       data = json_set(data, '$.key_alias', key_alias || '-' || substr(token, 1, 8))
 WHERE key_alias IS NOT NULL
   AND token <> (SELECT v.token FROM virtual_keys v WHERE v.key_alias = virtual_keys.key_alias
                 ORDER BY v.created_at, v.token LIMIT 1);
CREATE UNIQUE INDEX virtual_keys_alias ON virtual_keys (key_alias);
