-- roster_schema.runs_with is the oldest migration a Roster binary must
-- know to run on this database (gomigrate.CheckKnown): a binary that knows
-- only older ones refuses to start rather than serve a schema it cannot
-- keep up. A migration that only adds (DEPLOYMENT.md, rolling upgrades)
-- leaves it; one that contracts sets it to its own number.

-- +goose Up
CREATE TABLE roster_schema (runs_with INTEGER NOT NULL);
INSERT INTO roster_schema (runs_with) VALUES (9);

-- +goose Down
DROP TABLE roster_schema;
