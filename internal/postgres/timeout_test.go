package postgres

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

// TestFrozenServerFailsInsteadOfHanging: a PostgreSQL that takes
// statements and never answers (frozen, or behind a partition) fails the
// store's work after its work timeout instead of holding it until it
// answers again, and the store works again once it does.
func TestFrozenServerFailsInsteadOfHanging(t *testing.T) {
	u, err := url.Parse(pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startFreezer(t, u.Host)
	u.Host = p.addr
	ctx := context.Background()
	s, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetWorkTimeout(300 * time.Millisecond)

	count := func() error {
		return s.Read(ctx, func(tx roster.Tx) error {
			_, err := tx.CountAccounts()
			return err
		})
	}
	p.freeze()
	for name, work := range map[string]func() error{
		"a read": count,
		"a write": func() error {
			return s.Write(ctx, "", func(tx roster.Tx) error { _, err := tx.Sweep(time.Now(), 100); return err })
		},
		"a check": func() error { _, _, err := s.APITokenVersion(ctx, "no such token"); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- work() }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s of a frozen server succeeded", name)
			}
		case <-time.After(15 * time.Second):
			p.thaw() // or closing the store waits for it too
			t.Fatalf("%s of a frozen server still waits after 15 s", name)
		}
	}
	p.thaw()
	if err := count(); err != nil {
		t.Errorf("a read once the server answers again: %v", err)
	}
}

// TestServerGivesUpWhenCutOff: when the connection to the server is cut
// off mid-transaction (a partition; here a proxy that stops forwarding),
// the store gives up after its work timeout, and so does the server, which
// pgx's cancel request cannot reach either: the transaction's backend does
// not go on holding the account's lock, nor waiting for it, which would
// keep the account's writers on every other instance waiting too.
func TestServerGivesUpWhenCutOff(t *testing.T) {
	dbURL := pg.NewDatabase(t)
	ctx := context.Background()
	direct, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	// open opens a store whose connections pass through a proxy.
	open := func(t *testing.T) (*Store, *freezer) {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		p := startFreezer(t, u.Host)
		u.Host = p.addr
		s, err := Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.thaw(); s.Close() })
		s.SetWorkTimeout(300 * time.Millisecond)
		return s, p
	}
	// lockFree reports whether another transaction can take the account's
	// lock within 5 s.
	lockFree := func(t *testing.T, account string) bool {
		tx, err := direct.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, account)
		return err == nil
	}
	// waiters counts the backends waiting for a lock.
	var mu sync.Mutex // direct is one connection
	waiters := func() (n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		err = direct.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return n, err
	}

	t.Run("idle in a transaction that holds the account's lock", func(t *testing.T) {
		s, p := open(t)
		a := storetest.NewAccount(t, s, "Acme", "bizmetry")
		err := s.Write(ctx, a.ID, func(tx roster.Tx) error {
			p.freeze()
			_, err := tx.CountAccounts()
			return err
		})
		if err == nil {
			t.Fatal("a write through a frozen connection succeeded")
		}
		if !lockFree(t, a.ID) {
			t.Error("the account's lock is still held by the transaction the store gave up")
		}
	})

	t.Run("waiting for the account's lock", func(t *testing.T) {
		s, p := open(t)
		a := storetest.NewAccount(t, s, "Acme", "bizmetry")
		mu.Lock()
		holder, err := direct.Begin(ctx)
		if err == nil {
			_, err = holder.Exec(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, a.ID)
		}
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		defer func() { mu.Lock(); holder.Rollback(ctx); mu.Unlock() }()
		go func() {
			// Cut off once the store's transaction waits for the lock.
			for range 100 {
				if n, err := waiters(); err != nil || n > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			p.freeze()
		}()
		if err := s.Write(ctx, a.ID, func(roster.Tx) error { return nil }); err == nil {
			t.Fatal("a write waiting for a held lock succeeded")
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			n, err := waiters()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the server still waits for the lock 5 s after the store gave up")
			}
		}
	})

	t.Run("an operator's stricter bound stays", func(t *testing.T) {
		s, err := Open(ctx, dbURL+"&statement_timeout=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetWorkTimeout(30 * time.Second)
		var st, idle string
		if err := s.pool.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')`).Scan(&st, &idle); err != nil {
			t.Fatal(err)
		}
		if st != "5s" || idle != "30s" {
			t.Errorf("statement_timeout %q, idle_in_transaction_session_timeout %q; want the operator's 5s and the store's 30s", st, idle)
		}
	})

	t.Run("no bound without a work timeout", func(t *testing.T) {
		// The commands' store: no statement is bounded.
		s, err := Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var st, idle string
		if err := s.pool.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')`).Scan(&st, &idle); err != nil {
			t.Fatal(err)
		}
		if st != "0" || idle != "0" {
			t.Errorf("statement_timeout %q, idle_in_transaction_session_timeout %q; want 0 and 0", st, idle)
		}
	})
}

// freezer forwards connections to a PostgreSQL server and can stop
// forwarding, as a frozen server or a partition does: the connections stay
// open and nothing comes back.
type freezer struct {
	addr   string
	mu     sync.Mutex
	frozen chan struct{} // nil: forwarding; closed by thaw
}

func startFreezer(t *testing.T, upstream string) *freezer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{addr: l.Addr().String()}
	t.Cleanup(func() { l.Close(); f.thaw() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go func() { f.copy(up, c); up.Close() }()
			go func() { f.copy(c, up); c.Close() }()
		}
	}()
	return f
}

// copy forwards src to dst, each chunk once the freezer lets it.
func (f *freezer) copy(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			frozen := f.frozen
			f.mu.Unlock()
			if frozen != nil {
				<-frozen
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen == nil {
		f.frozen = make(chan struct{})
	}
}

func (f *freezer) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen != nil {
		close(f.frozen)
		f.frozen = nil
	}
}
