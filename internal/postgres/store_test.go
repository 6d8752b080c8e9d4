package postgres

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/pgtest"
	"github.com/rosterhq/roster/internal/storetest"
)

// pg is the package's PostgreSQL server; every test gets its own database
// on it.
var pg *pgtest.Server

func TestMain(m *testing.M) {
	pg = pgtest.New()
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// open returns a store on a new, empty database, closed when t ends.
func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), pg.NewDatabase(t))
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

// TestStore runs the contract suite; after each of its tests, the copies
// the store keeps by hand must still agree with what they copy.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) roster.Store {
		s := open(t)
		t.Cleanup(func() { checkCopies(t, s) }) // runs before open's Close
		return s
	})
}

// checkCopies checks, with SQL of its own, the copies on members (006) and
// the name words without a foreign key (007): every member's invitation
// and profile roles equal their tables', and every word belongs to a
// member with the same name_key.
func checkCopies(t testing.TB, s *Store) {
	t.Helper()
	for what, query := range map[string]string{
		"members whose invitation copy differs": `SELECT count(*) FROM members m LEFT JOIN invitations i USING (account_id, user_id)
			WHERE m.invitation_expires_at IS DISTINCT FROM i.expires_at OR m.invitation_error IS DISTINCT FROM i.last_error`,
		"members whose profile roles copy differs": `SELECT count(*) FROM members m
			WHERE m.profile_roles <> coalesce((SELECT jsonb_object_agg(p.profile, p.role) FROM profile_roles p
				WHERE p.account_id = m.account_id AND p.user_id = m.user_id), '{}')`,
		"pending members showing a login": `SELECT count(*) FROM members WHERE status = 'pending' AND last_login_at <> '-infinity'`,
		"joined members whose name or login differs from the user's": `SELECT count(*) FROM members m JOIN users u ON u.id = m.user_id
			WHERE m.status <> 'pending' AND (m.name <> u.name OR m.last_login_at <> coalesce(u.last_login_at, '-infinity'))`,
		"name words of no member, or of another name": `SELECT count(*) FROM member_words w
			WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.account_id = w.account_id AND m.user_id = w.user_id AND m.name_key = w.name_key)`,
	} {
		var n int
		if err := s.pool.QueryRow(context.Background(), query).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d, %v", what, n, err)
		}
	}
}

// TestOpenConcurrently starts several stores on one empty database at the
// same moment, as instances of a deployment do: the migration lock lets
// one migrate while the others wait, and all of them come up.
func TestOpenConcurrently(t *testing.T) {
	url := pg.NewDatabase(t)
	const n = 4
	stores := make(chan *Store, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := Open(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			stores <- s
		}()
	}
	for range n {
		select {
		case err := <-errs:
			t.Errorf("Open: %v", err)
		case s := <-stores:
			defer s.Close()
			v, err := s.Version(context.Background())
			if want := latestMigration(t); err != nil || v != want {
				t.Errorf("Version() = %d, %v; want %d", v, err, want)
			}
		}
	}
}

func TestMigrateTwice(t *testing.T) {
	ctx := context.Background()
	url := pg.NewDatabase(t)
	for i := range 2 {
		if err := Migrate(ctx, url); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	s, err := Open(ctx, url) // migrates a third time
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	// The migrated schema works.
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	storetest.NewUserMember(t, s, a, "Dana Dev", "Owner", roster.StatusActive)
}

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, url := range []string{"postgres://%zz", "postgres://nobody@127.0.0.1:1/x?connect_timeout=1"} {
		if s, err := Open(context.Background(), url); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded; want an error", url)
		}
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

// TestFirstStatementBegins checks the transactions begun in one batch with
// their first statement (tx.start): one that fails there, at the
// account's lock or in a Read, gives its connection back to the pool, and
// a Read's snapshot is the one of its first statement.
func TestFirstStatementBegins(t *testing.T) {
	s := open(t)
	// A leaked connection would leave a later call waiting for one: fail
	// on the deadline rather than hang.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	for i := range 3 * int(s.pool.Config().MaxConns) {
		err := s.Write(ctx, "no-such-account", func(roster.Tx) error { return nil })
		if roster.ErrorCode(err) != roster.CodeNotFound {
			t.Fatalf("Write on a missing account: %v, want not_found", err)
		}
		err = s.Read(ctx, func(rtx roster.Tx) error {
			_, err := rtx.(*tx).exec(`SELECT 1/0`)
			return err
		})
		if pgCode(err) != "22012" { // division_by_zero
			t.Fatalf("Read %d: %v, want division by zero", i, err)
		}
	}
	if n := s.pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired", n)
	}
	// A Read that has read once keeps its snapshot while a Write commits.
	err := s.Read(ctx, func(tx roster.Tx) error {
		before, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil {
			return err
		}
		storetest.NewUserMember(t, s, a, "Late Comer", "User", roster.StatusActive)
		after, err := tx.CountMembers(a.ID, roster.MemberFilter{})
		if err != nil {
			return err
		}
		if after != before {
			t.Errorf("CountMembers in one Read: %d, then %d after another transaction committed", before, after)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTimes checks that times come back in UTC, truncated to the
// microsecond as the SQLite store truncates them (PostgreSQL would round).
func TestTimes(t *testing.T) {
	s := open(t)
	zone := time.FixedZone("UTC+5", 5*3600)
	created := time.Date(2026, 3, 1, 14, 30, 0, 123456789, zone)
	u := &roster.User{ID: "u", Email: "u@example.test", Name: "U", CreatedAt: created}
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.CreateUser(u) })
	storetest.Read(t, s, func(tx roster.Tx) error {
		got, err := tx.User("u")
		if err != nil {
			return err
		}
		want := time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)
		if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want)
		}
		return nil
	})
}

// TestMemberWords checks that the search index holds exactly the words of
// each member's current name.
func TestMemberWords(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	b := storetest.NewAccount(t, s, "Beta", "bigeye")
	u := storetest.NewUser(t, s, "Dana O'Dev-Dev", "")
	storetest.NewMember(t, s, a, u, "User", roster.StatusActive)
	storetest.NewMember(t, s, b, u, "User", roster.StatusActive)
	words := func(account string) []string {
		t.Helper()
		rows, err := s.pool.Query(context.Background(),
			`SELECT word FROM member_words WHERE account_id = $1 AND user_id = $2 ORDER BY word`, account, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
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
	check("after CreateMember", a.ID, []string{"dev", "o"})
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "Zoë Ångström") })
	check("after SetUserName", a.ID, []string{"ångström"})
	check("after SetUserName", b.ID, []string{"ångström"})
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.SetUserName(u.ID, "(Zoë) Ångström") })
	check("after SetUserName", a.ID, []string{"zoë", "ångström"})
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error { return tx.DeleteMember(a.ID, u.ID) })
	check("after DeleteMember", a.ID, nil)
	check("in the other account after DeleteMember", b.ID, []string{"zoë", "ångström"})
}

// TestWriteGoesOnAfterRefusals checks that a refused statement leaves the
// transaction usable, as on SQLite: PostgreSQL aborts a transaction at its
// first failed statement, so the store must not let an expected refusal
// fail one.
func TestWriteGoesOnAfterRefusals(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	m := storetest.NewUserMember(t, s, a, "Pat Pending", "User", roster.StatusPending)
	other := storetest.NewUserMember(t, s, a, "Other Pending", "User", roster.StatusPending)
	hash := storetest.NewID("hash")
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error {
		return tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: other.UserID, TokenHash: hash, ExpiresAt: storetest.T0, SentAt: storetest.T0})
	})
	sess := &roster.Session{ID: storetest.NewID("sess"), UserID: m.UserID, CreatedAt: storetest.T0, ExpiresAt: storetest.T0, LastSeenAt: storetest.T0}
	storetest.Write(t, s, "", func(tx roster.Tx) error { return tx.CreateSession(sess) })

	late := &roster.User{ID: storetest.NewID("user"), Email: "late@example.test", Name: "Late", CreatedAt: storetest.T0}
	storetest.Write(t, s, a.ID, func(tx roster.Tx) error {
		for _, c := range []struct {
			what string
			err  error
			want string
		}{
			{"CreateUser(taken email)", tx.CreateUser(&roster.User{ID: "x", Email: m.Email, Name: "X", CreatedAt: storetest.T0}), roster.CodeConflict},
			{"CreateMember(twice)", tx.CreateMember(&roster.Member{AccountID: a.ID, UserID: m.UserID, Role: "User", Status: roster.StatusPending}), roster.CodeConflict},
			{"CreateMember(no account)", tx.CreateMember(&roster.Member{AccountID: "no-such", UserID: m.UserID, Role: "User", Status: roster.StatusPending}), roster.CodeNotFound},
			{"CreateSession(taken id)", tx.CreateSession(sess), roster.CodeConflict},
			{"CreateSession(no user)", tx.CreateSession(&roster.Session{ID: "s2", UserID: "no-such", CreatedAt: storetest.T0, ExpiresAt: storetest.T0, LastSeenAt: storetest.T0}), roster.CodeNotFound},
			{"CreateAPIToken(no account)", tx.CreateAPIToken(&roster.APIToken{ID: "k", UserID: m.UserID, AccountID: "no-such", Name: "k", Hash: "h", CreatedAt: storetest.T0}), roster.CodeNotFound},
			{"CreatePasswordReset(no user)", tx.CreatePasswordReset(&roster.PasswordReset{Hash: "h", UserID: "no-such", ExpiresAt: storetest.T0}), roster.CodeNotFound},
			{"PutInvitation(hash in use)", tx.PutInvitation(&roster.Invitation{AccountID: a.ID, UserID: m.UserID, TokenHash: hash, ExpiresAt: storetest.T0, SentAt: storetest.T0}), roster.CodeConflict},
			{"CreateUser(NUL in the name)", tx.CreateUser(&roster.User{ID: "y", Email: "y@example.test", Name: "Y\x00", CreatedAt: storetest.T0}), roster.CodeInvalidInput},
			{"SetUserName(NUL)", tx.SetUserName(m.UserID, "P\x00"), roster.CodeInvalidInput},
			{"Member(NUL)", second(tx.Member(a.ID, "user\x00")), roster.CodeNotFound},
			{"Member(invalid UTF-8)", second(tx.Member(a.ID, "user\xff")), roster.CodeNotFound},
			{"Session(NUL)", second(tx.Session("s\x00")), roster.CodeNotFound},
			{"DeleteAPIToken(NUL)", tx.DeleteAPIToken(m.UserID, "k\x00"), roster.CodeNotFound},
		} {
			if got := roster.ErrorCode(c.err); got != c.want {
				t.Errorf("%s: code %q (%v), want %q", c.what, got, c.err, c.want)
			}
		}
		return tx.CreateUser(late)
	})
	storetest.Read(t, s, func(tx roster.Tx) error {
		_, err := tx.User(late.ID)
		return err
	})
}

func second[T any](_ T, err error) error { return err }

// TestUnstorableKeys checks that text PostgreSQL cannot hold, which a
// client may put in a path or query, finds nothing instead of failing.
func TestUnstorableKeys(t *testing.T) {
	s := open(t)
	a := storetest.NewAccount(t, s, "Acme", "bigeye")
	storetest.NewUserMember(t, s, a, "Dana Dev", "Owner", roster.StatusActive)
	err := s.Write(context.Background(), "acct\x00", func(roster.Tx) error { return nil })
	if got := roster.ErrorCode(err); got != roster.CodeNotFound {
		t.Errorf("Write(account with NUL): code %q (%v), want not_found", got, err)
	}
	storetest.Read(t, s, func(tx roster.Tx) error {
		for _, f := range []roster.MemberFilter{
			{Status: "active\x00", Limit: 10},
			{Query: "\x00", Limit: 10},
		} {
			page, err := tx.ListMembers(a.ID, f)
			if err != nil || len(page.Items) != 0 {
				t.Errorf("ListMembers(status %q, q %q) = %v, %v; want nothing", f.Status, f.Query, page, err)
			}
		}
		// The words of a query are split at the NUL, as MatchesQuery splits them.
		page, err := tx.ListMembers(a.ID, roster.MemberFilter{Query: "dana\x00dev", Limit: 10})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("ListMembers(q=\"dana\\x00dev\") = %v, %v; want Dana Dev", page, err)
		}
		_, err = tx.ListMembers(a.ID, roster.MemberFilter{Limit: 10, After: &roster.MemberCursor{Sort: roster.SortName, Key: "d\x00", UserID: "u"}})
		if got := roster.ErrorCode(err); got != roster.CodeInvalidInput {
			t.Errorf("ListMembers(cursor with NUL): code %q (%v), want invalid_input", got, err)
		}
		if n, err := tx.CountMembers(a.ID, roster.MemberFilter{Status: "active\x00"}); err != nil || n != 0 {
			t.Errorf("CountMembers(status with NUL) = %d, %v; want 0", n, err)
		}
		return nil
	})
}

// latestMigration is the number of the newest embedded migration.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(entries) + len(goMigrations()))
}
