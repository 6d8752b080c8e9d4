-- member_words keeps each member's name_key, so that the members with one
-- word are a range of the primary key already in name order.
--
-- A search page in name order is then the merge of a few such ranges (one
-- per distinct word under the query's prefix), each starting at the
-- cursor, instead of every match of the prefix collected and sorted
-- (internal/postgres/list.go). member_words_by_member now starts with the
-- account and ends with the word: it serves the test of a candidate's other
-- query words, as well as the cascade from members and the rewrite on a
-- name change.

-- +goose Up
ALTER TABLE member_words ADD COLUMN name_key text COLLATE "C";
UPDATE member_words w SET name_key = m.name_key
FROM members m WHERE m.account_id = w.account_id AND m.user_id = w.user_id;
ALTER TABLE member_words ALTER COLUMN name_key SET NOT NULL;
ALTER TABLE member_words DROP CONSTRAINT member_words_pkey;
ALTER TABLE member_words ADD CONSTRAINT member_words_pkey PRIMARY KEY (account_id, word, name_key, user_id);
DROP INDEX member_words_by_member;
CREATE INDEX member_words_by_member ON member_words (account_id, user_id, word);

-- +goose Down
DROP INDEX member_words_by_member;
CREATE INDEX member_words_by_member ON member_words (user_id, account_id);
ALTER TABLE member_words DROP CONSTRAINT member_words_pkey;
ALTER TABLE member_words ADD CONSTRAINT member_words_pkey PRIMARY KEY (account_id, word, user_id);
ALTER TABLE member_words DROP COLUMN name_key;
