-- Customers (LiteLLM's end users): the `user` a request names, with its spend, an optional
-- budget and a block switch. A row appears the first time a request names a customer.
CREATE TABLE end_users (
    user_id TEXT PRIMARY KEY,
    alias TEXT,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
