-- What each member spent in each team (LiteLLM's `LiteLLM_TeamMembership.spend`), against the
-- member's `max_budget_in_team`. A row is made when its member joins and goes when the member
-- leaves or the team is deleted; the spend writer adds to existing rows only, so a call that
-- ends after its member left charges no membership.
CREATE TABLE team_memberships (
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    spend DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
-- The members of the teams there are.
INSERT OR IGNORE INTO team_memberships (team_id, user_id)
SELECT t.team_id, json_extract(m.value, '$.user_id')
FROM teams t, json_each(t.data, '$.members_with_roles') m
WHERE json_extract(m.value, '$.user_id') IS NOT NULL;
