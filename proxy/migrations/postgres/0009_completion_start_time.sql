-- When each call's answer began (LiteLLM's `completionStartTime`): a stream's first byte, a
-- complete answer's end. Rows written before have none.
ALTER TABLE spend_logs ADD COLUMN completion_start_time TEXT;
