// Package gomigrate holds the migrations that both stores write in Go
// rather than SQL, each run with the store's own statements, and what both
// check of a database's migrations.
package gomigrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/pressly/goose/v3"

	"github.com/rosterhq/roster"
)

// MarkedNames indexes again the words of the names written with marks or
// joiners (a Devanagari vowel sign, a Persian non-joiner): roster.SearchWords
// keeps them in a word since DECISIONS 57, where it split words at them
// before. Other names' words are unchanged. deleteWords deletes a member's
// words (account, user); insertWord inserts one (account, word, name_key,
// user).
func MarkedNames(ctx context.Context, tx *sql.Tx, deleteWords, insertWord string) error {
	marked, err := memberNames(ctx, tx, func(name string) bool { return strings.ContainsFunc(name, splitBefore) })
	if err != nil {
		return err
	}
	for _, m := range marked {
		if _, err := tx.ExecContext(ctx, deleteWords, m.account, m.user); err != nil {
			return err
		}
		for _, w := range roster.SearchWords(m.name) {
			if _, err := tx.ExecContext(ctx, insertWord, m.account, w, roster.NameKey(m.name), m.user); err != nil {
				return err
			}
		}
	}
	return nil
}

// LeadWords deletes from member_words the first word of each name whose
// sort key begins with it (roster.IndexedWords): the stores find the names
// a query word starts that way in the name order's index of members since
// DECISIONS 85, and the row would only repeat them. deleteWords deletes the
// rows of parallel lists of accounts, users and words, up to leadChunk at a
// time.
func LeadWords(ctx context.Context, tx *sql.Tx, deleteWords func(accounts, users, words []string) error) error {
	leads, err := memberNames(ctx, tx, func(name string) bool {
		return len(roster.IndexedWords(name)) < len(roster.SearchWords(name))
	})
	if err != nil {
		return err
	}
	var accounts, users, words []string
	for _, m := range leads {
		accounts, users, words = append(accounts, m.account), append(users, m.user), append(words, roster.SearchWords(m.name)[0])
	}
	for i := 0; i < len(words); i += leadChunk {
		j := min(i+leadChunk, len(words))
		if err := deleteWords(accounts[i:j], users[i:j], words[i:j]); err != nil {
			return err
		}
	}
	return nil
}

// memberName is a membership and the name its words are indexed from.
type memberName struct{ account, user, name string }

// memberNames returns the memberships whose name keep accepts, read all
// before the caller writes.
func memberNames(ctx context.Context, tx *sql.Tx, keep func(name string) bool) ([]memberName, error) {
	rows, err := tx.QueryContext(ctx, `SELECT account_id, user_id, name FROM members`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []memberName
	for rows.Next() {
		var m memberName
		if err := rows.Scan(&m.account, &m.user, &m.name); err != nil {
			return nil, err
		}
		if keep(m.name) {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

// leadChunk is how many rows LeadWords deletes at a time.
const leadChunk = 10_000

// splitBefore reports whether roster.SearchWords split words at r before
// MarkedNames and keeps it in them since.
func splitBefore(r rune) bool { return unicode.IsMark(r) || r == '\u200c' || r == '\u200d' }

// CheckKnown refuses a database that a newer Roster migrated past what this
// one can run on: roster_schema.runs_with, which each migration that
// contracts the schema raises to its own number, is newer than the newest
// migration this binary knows. Such a schema lacks what this binary writes
// or has what it does not keep up (an instance older than the PostgreSQL
// member copies left a revoked profile role granting), and the damage would
// outlast it. A newer schema that only added stays usable, as rolling
// upgrades need (DEPLOYMENT.md). Called after the migrations ran.
func CheckKnown(ctx context.Context, db *sql.DB, p *goose.Provider) error {
	var runsWith int64
	if err := db.QueryRowContext(ctx, `SELECT runs_with FROM roster_schema`).Scan(&runsWith); err != nil {
		return fmt.Errorf("read roster_schema: %w", err)
	}
	sources := p.ListSources()
	if known := sources[len(sources)-1].Version; runsWith > known {
		current, err := p.GetDBVersion(ctx)
		if err != nil {
			return err
		}
		return fmt.Errorf("the database was migrated by a newer Roster (schema version %d, which needs a Roster that knows migration %d; this one knows up to %d): run the newer binary", current, runsWith, known)
	}
	return nil
}

// EmailDomainKeys gives the users whose email's domain is not plain ASCII
// or holds an encoded label the key roster.EmailKey gives them since it
// reads a domain as IDNA does (bücher.example for xn--bcher-kva.example and
// for BÜCHER.example), in users and in their memberships' copies. A user
// whose new key another user holds already (one mailbox invited twice, in
// two spellings, before) keeps the old one: they stay two users, as they
// were. candidates selects (id, email, email_key) of the users to look at;
// taken selects a user other than $2 holding the key $1; setUser and
// setMembers set the key $1 of the user $2.
func EmailDomainKeys(ctx context.Context, tx *sql.Tx, candidates, taken, setUser, setMembers string) error {
	type user struct{ id, key string }
	var rekey []user
	rows, err := tx.QueryContext(ctx, candidates)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, email, key string
		if err := rows.Scan(&id, &email, &key); err != nil {
			rows.Close()
			return err
		}
		if k := roster.EmailKey(email); k != key {
			rekey = append(rekey, user{id, k})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range rekey {
		var one int
		switch err := tx.QueryRowContext(ctx, taken, u.key, u.id).Scan(&one); {
		case err == nil:
			continue // another user has this mailbox's key
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, setUser, u.key, u.id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, setMembers, u.key, u.id); err != nil {
			return err
		}
	}
	return nil
}
