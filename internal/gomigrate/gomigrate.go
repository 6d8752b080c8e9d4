// Package gomigrate holds the migrations that both stores write in Go
// rather than SQL, each run with the store's own statements.
package gomigrate

import (
	"context"
	"database/sql"
	"strings"
	"unicode"

	"github.com/rosterhq/roster"
)

// MarkedNames indexes again the words of the names written with marks or
// joiners (a Devanagari vowel sign, a Persian non-joiner): roster.SearchWords
// keeps them in a word since DECISIONS 57, where it split words at them
// before. Other names' words are unchanged. deleteWords deletes a member's
// words (account, user); insertWord inserts one (account, word, name_key,
// user).
func MarkedNames(ctx context.Context, tx *sql.Tx, deleteWords, insertWord string) error {
	type member struct{ account, user, name string }
	var marked []member
	rows, err := tx.QueryContext(ctx, `SELECT account_id, user_id, name FROM members`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.account, &m.user, &m.name); err != nil {
			rows.Close()
			return err
		}
		if strings.ContainsFunc(m.name, splitBefore) {
			marked = append(marked, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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

// splitBefore reports whether roster.SearchWords split words at r before
// MarkedNames and keeps it in them since.
func splitBefore(r rune) bool { return unicode.IsMark(r) || r == '\u200c' || r == '\u200d' }
