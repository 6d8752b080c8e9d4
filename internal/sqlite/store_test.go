package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) roster.Store { return open(t) })
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roster.db")
	for i := range 2 {
		if err := Migrate(ctx, path); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	s, err := Open(ctx, path) // migrates a third time
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("(*Store).Migrate: %v", err)
	}
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(files) + len(goMigrations()); v != int64(want) {
		t.Errorf("Version() = %d, want %d (one per migration file and Go migration)", v, want)
	}
	// The migrated schema works.
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	storetest.NewUserMember(t, s, a, "Dana Dev", "Owner", roster.StatusActive)
}

func TestOpenRejectsURIs(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded; want an error", path)
		}
	}
}

// TestOpenNamesAMissingDirectory: a database in a directory that does not
// exist is refused with the directory named, before anything is made.
func TestOpenNamesAMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-dir")
	path := filepath.Join(dir, "roster.db")
	for name, open := range map[string]func() error{
		"Open": func() error {
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
			}
			return err
		},
		"Migrate": func() error { return Migrate(context.Background(), path) },
	} {
		if err := open(); err == nil || !strings.Contains(err.Error(), "the directory "+dir+" must exist and be writable") {
			t.Errorf("%s in a missing directory: %v; want the directory named", name, err)
		}
	}
}

// TestPragmas checks the connection settings the store relies on.
func TestPragmas(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pool   string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "foreign_keys", "1"},
		{"writer", "synchronous", "2"},
		{"writer", "busy_timeout", fmt.Sprint(busyTimeoutMillis)},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
		{"reader", "busy_timeout", fmt.Sprint(busyTimeoutMillis)},
	} {
		db := s.writer
		if tc.pool == "reader" {
			db = s.reader
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s: PRAGMA %s = %q, want %q", tc.pool, tc.pragma, got, tc.want)
		}
	}
	if n := s.writer.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool holds up to %d connections, want 1", n)
	}
}

// TestReadIsReadOnly checks that a Read cannot write, even by mistake.
func TestReadIsReadOnly(t *testing.T) {
	s := open(t)
	err := s.Read(context.Background(), func(tx roster.Tx) error {
		return tx.CreateUser(&roster.User{ID: "u", Email: "u@example.test", Name: "U", CreatedAt: storetest.T0})
	})
	if err == nil {
		t.Fatal("CreateUser inside Read succeeded")
	}
}

// TestMemberWords checks that the search index holds exactly the words of
// each member's current name, each with the name's sort key.
func TestMemberWords(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	b := storetest.NewAccount(t, s, "Beta", "bigeye")
	u := storetest.NewUser(t, s, "Dana O'Dev-Dev", "")
	storetest.NewMember(t, s, a, u, "User", roster.StatusActive)
	storetest.NewMember(t, s, b, u, "User", roster.StatusActive)
	// words returns the rows of member_words as word/name_key.
	words := func(account string) []string {
		t.Helper()
		rows, err := s.reader.Query(`SELECT word, name_key FROM member_words WHERE account_id = ? AND user_id = ? ORDER BY word`, account, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var w, key string
			if err := rows.Scan(&w, &key); err != nil {
				t.Fatal(err)
			}
			out = append(out, w+"/"+key)
		}
		return out
	}
	check := func(when string, account string, want []string) {
		t.Helper()
		if got := words(account); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: words in account %s = %q, want %q", when, account, got, want)
		}
	}
	// Not the first word, which the name key begins with
	// (roster.IndexedWords), unless the name begins with punctuation.
	check("after CreateMember", a.ID, []string{"dev/dana o'dev-dev", "o/dana o'dev-dev"})
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "Zoë Ångström") })
	check("after SetUserName", a.ID, []string{"ångström/zoë ångström"})
	check("after SetUserName", b.ID, []string{"ångström/zoë ångström"})
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "(Zoë) Ångström") })
	check("after SetUserName", a.ID, []string{"zoë/(zoë) ångström", "ångström/(zoë) ångström"})
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteMember(a.ID, u.ID) })
	check("after DeleteMember", a.ID, nil)
	check("in the other account after DeleteMember", b.ID, []string{"zoë/(zoë) ångström", "ångström/(zoë) ångström"})
}

// A link the outbox redacted, once its message was sent or given up, is
// gone from the file, not only from its row: a copy of the database (a
// backup) must not hold working invitation links (SPEC §7). The last link,
// still pending, is there, which shows that the files are read as they
// should be.
func TestRedactedLinksLeaveNoTrace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// Enough messages for a few pages of the outbox, which shrinking rows
	// make SQLite rebuild and merge.
	const n = 60
	link := func(i int) string { return fmt.Sprintf("https://roster.test/activate?token=rsi_secret%04dXXXXXXXX", i) }
	var ids []int64
	for i := range n {
		m := &roster.Message{Kind: roster.MessageInvitation, To: fmt.Sprintf("p%d@example.test", i), Link: link(i),
			NextAttemptAt: storetest.T0, CreatedAt: storetest.T0, Data: map[string]string{"name": strings.Repeat("n", 100)}}
		storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.EnqueueMessage(m) })
		ids = append(ids, m.ID)
	}
	// A checkpoint while the links are pending, as the automatic one after
	// a bulk invitation's commit: the database file holds them all.
	if _, err := s.writer.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[:n-1] {
		storetest.Write(t, s, "", func(tx roster.Tx) error {
			if i%2 == 0 {
				return tx.MarkMessageSent(id, storetest.T0)
			}
			return tx.MarkMessageFailed(id, "550 no such user", time.Time{}) // given up
		})
	}

	files := func() map[string][]byte {
		out := map[string][]byte{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = b
		}
		return out
	}
	check := func(when string) {
		t.Helper()
		pending := false
		for name, b := range files() {
			for i := range n - 1 {
				if bytes.Contains(b, []byte(link(i))) {
					t.Errorf("%s: %s still holds the redacted link of message %d", when, name, i)
				}
			}
			pending = pending || bytes.Contains(b, []byte(link(n-1)))
		}
		if !pending {
			t.Errorf("%s: no file holds the link still pending", when)
		}
	}
	// The redactions are copied into the database file soon after, not
	// at the next automatic checkpoint, which a quiet server may not make
	// for days.
	redacted := func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n - 1 {
			if bytes.Contains(b, []byte(link(i))) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(10 * time.Second); !redacted(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the database file still holds redacted links 10 s after their redaction")
		}
	}
	// The next write starts the WAL again, cut back to what it writes.
	storetest.Write(t, s, "", func(tx roster.Tx) error {
		return tx.EnqueueMessage(&roster.Message{Kind: roster.MessageOwnerNotice, To: "q@example.test", NextAttemptAt: storetest.T0, CreatedAt: storetest.T0})
	})
	check("open")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}
