-- member_words holds, besides the words of each member's name, each pair of
-- them, keyed '*' || the lesser || ' ' || the greater, or a single '*' for a
-- name of more than five words (searchplan.IndexWords). A search of two
-- words ("dana dev1") then reads the few members with both from a range of
-- pairs, instead of the many with one, testing the other on each
-- (internal/searchplan). No word starts with '*': words are letters and
-- digits.
--
-- The pairs of the members there are come from their words. Both
-- statements can run again after a first, complete run (see 001).

-- +goose Up
INSERT OR IGNORE INTO member_words (account_id, word, name_key, user_id)
SELECT a.account_id, '*' || a.word || ' ' || b.word, a.name_key, a.user_id
FROM member_words a JOIN member_words b
    ON b.account_id = a.account_id AND b.user_id = a.user_id AND a.word < b.word
WHERE substr(a.word, 1, 1) <> '*' AND substr(b.word, 1, 1) <> '*'
    AND (SELECT count(*) FROM member_words c
        WHERE c.account_id = a.account_id AND c.user_id = a.user_id AND substr(c.word, 1, 1) <> '*') <= 5;
INSERT OR IGNORE INTO member_words (account_id, word, name_key, user_id)
SELECT account_id, '*', min(name_key), user_id FROM member_words
WHERE substr(word, 1, 1) <> '*'
GROUP BY account_id, user_id HAVING count(*) > 5;

-- +goose Down
DELETE FROM member_words WHERE substr(word, 1, 1) = '*';
