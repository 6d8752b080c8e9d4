-- member_words keeps each member's name_key, so that the members with one
-- word are a range of the primary key already in name order.
--
-- A search page in name order is then the merge of a few such ranges (one
-- per distinct word under the query's prefix), each starting at the
-- cursor, instead of every match of the prefix collected and sorted, or the
-- whole account walked in name order and tested against them
-- (internal/sqlite/list.go). member_words_by_member now starts with the
-- account and ends with the word: it serves the test of a candidate's other
-- query words, as well as the cascade from members and the rewrite on a
-- name change.
--
-- SQLite cannot change a primary key in place, so the table is copied. Every
-- statement can run again after a first, complete run (see 001): the copy
-- reads only the columns both shapes of member_words have.

-- +goose Up
CREATE TABLE IF NOT EXISTS member_words_next (
    account_id TEXT NOT NULL,
    word       TEXT NOT NULL,
    name_key   TEXT NOT NULL, -- members.name_key, which SetUserName keeps in sync
    user_id    TEXT NOT NULL,
    PRIMARY KEY (account_id, word, name_key, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT OR IGNORE INTO member_words_next (account_id, word, name_key, user_id)
SELECT w.account_id, w.word, m.name_key, w.user_id
FROM member_words w JOIN members m ON m.account_id = w.account_id AND m.user_id = w.user_id;
DROP TABLE IF EXISTS member_words;
ALTER TABLE member_words_next RENAME TO member_words;
CREATE INDEX IF NOT EXISTS member_words_by_member ON member_words (account_id, user_id, word);

-- +goose Down
CREATE TABLE IF NOT EXISTS member_words_prev (
    account_id TEXT NOT NULL,
    word       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (account_id, word, user_id),
    FOREIGN KEY (account_id, user_id) REFERENCES members (account_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT OR IGNORE INTO member_words_prev (account_id, word, user_id)
SELECT account_id, word, user_id FROM member_words;
DROP TABLE IF EXISTS member_words;
ALTER TABLE member_words_prev RENAME TO member_words;
CREATE INDEX IF NOT EXISTS member_words_by_member ON member_words (user_id, account_id);
