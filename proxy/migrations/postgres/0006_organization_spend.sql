-- What an organization's teams spent, added by the spend writer like the other totals.
ALTER TABLE organizations ADD COLUMN spend DOUBLE PRECISION NOT NULL DEFAULT 0;
