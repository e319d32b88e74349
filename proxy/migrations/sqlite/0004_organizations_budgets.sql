-- Budgets and organizations (LiteLLM's /budget/* and /organization/*): JSON documents in `data`,
-- like the other records; an organization's members are kept in its document.
CREATE TABLE budgets (
    budget_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE organizations (
    organization_id TEXT PRIMARY KEY,
    organization_alias TEXT,
    budget_id TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX organizations_budget ON organizations (budget_id);
