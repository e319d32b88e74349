-- Spend rows are keyed by the gateway's own call id (x-litellm-call-id): an upstream that
-- repeats its response ids no longer folds many calls into one row. The upstream's id moves
-- to its own column; rows written before keep theirs there.
ALTER TABLE spend_logs ADD COLUMN response_id TEXT;
UPDATE spend_logs
   SET response_id = request_id,
       request_id = metadata::jsonb ->> 'litellm_call_id'
 WHERE metadata::jsonb ->> 'litellm_call_id' IS NOT NULL
   AND metadata::jsonb ->> 'litellm_call_id' <> request_id;

-- Key aliases are unique (as in LiteLLM), now in the database rather than only in memory.
-- Duplicates made by earlier versions keep the oldest key's alias; the others get the first
-- characters of their hash appended, so no key is lost.
UPDATE virtual_keys
   SET key_alias = key_alias || '-' || substr(token, 1, 8),
       data = jsonb_set(data::jsonb, '{key_alias}', to_jsonb(key_alias || '-' || substr(token, 1, 8)))::text
 WHERE key_alias IS NOT NULL
   AND token <> (SELECT v.token FROM virtual_keys v WHERE v.key_alias = virtual_keys.key_alias
                 ORDER BY v.created_at, v.token LIMIT 1);
CREATE UNIQUE INDEX virtual_keys_alias ON virtual_keys (key_alias);
