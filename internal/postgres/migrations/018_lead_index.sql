-- member_words_by_lead orders the words of names by the name's lead, its
-- name key up to the first space, then by the word. A search of two words
-- whose first starts the first word of names ("dana dev1") reads, for each
-- lead it starts, the names of that lead with a word the other starts: one
-- range of this index, instead of every name the first word leads, walked
-- in name order and tested for the other (searchplan.ByLeads). It holds the
-- name key and the user, so that the range is read from the index alone.
-- An index only adds: a binary from before it writes member_words as
-- before, and PostgreSQL keeps the index.

-- +goose Up
CREATE INDEX IF NOT EXISTS member_words_by_lead ON member_words (account_id, split_part(name_key, ' ', 1), word, name_key, user_id);

-- +goose Down
DROP INDEX IF EXISTS member_words_by_lead;
