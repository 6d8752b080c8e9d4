package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/storetest"
)

func TestWALIndexCounterMovesWithEveryCommit(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.checks.wal == nil {
		t.Fatal("the WAL index could not be mapped; the check path would query on every request")
	}
	before, ok := s.checks.wal.change()
	if !ok {
		t.Fatal("the WAL index header is not readable")
	}
	for i := 0; i < 20; i++ {
		storetest.NewAccount(t, s, "Acme", "bigeye")
		after, ok := s.checks.wal.change()
		if !ok || after == before {
			t.Fatalf("commit %d: change counter %d → %d (ok=%v); want it to move", i, before.iChange(), after.iChange(), ok)
		}
		before = after
	}
	// A transaction that rolls back changes nothing, and does not move it.
	err = s.Write(ctx, "", func(tx roster.Tx) error { return roster.Errorf(roster.CodeConflict, "no") })
	if roster.ErrorCode(err) != roster.CodeConflict {
		t.Fatalf("Write = %v, want the conflict it returned", err)
	}
	if after, ok := s.checks.wal.change(); !ok || after != before {
		t.Errorf("change counter %d → %d (ok=%v) after a rollback; want it unchanged", before.iChange(), after.iChange(), ok)
	}
}

// TestCheckReadsSeeOtherProcesses: a second store on the same file stands
// for another process (a roster command while roster serve runs). What the
// first remembered must not outlive the second's commits.
func TestCheckReadsSeeOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	acc := storetest.NewAccount(t, a, "Acme", "bizmetry")
	u := storetest.NewUser(t, a, "Dana", "")
	tok := &roster.APIToken{ID: "tok_1", UserID: u.ID, AccountID: acc.ID, Name: "t", Hash: "h1", CreatedAt: storetest.T0}
	storetest.Write(t, a, "", func(tx roster.Tx) error { return tx.CreateAPIToken(tok) })

	v1, err := a.AccountVersion(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.APITokenVersion(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	// The other "process" adds a member (moving the version) and revokes the token.
	storetest.NewMember(t, b, acc, u, "Developer", roster.StatusActive)
	storetest.Write(t, b, "", func(tx roster.Tx) error { return tx.DeleteAPIToken(u.ID, "tok_1") })

	if v2, err := a.AccountVersion(ctx, acc.ID); err != nil || v2 == v1 {
		t.Errorf("AccountVersion after another process's change = %d, %v; was %d: a stale answer", v2, err, v1)
	}
	if _, _, err := a.APITokenVersion(ctx, "h1"); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Errorf("APITokenVersion of a token another process revoked: %v; want not_found", err)
	}
}

// TestCheckReadsFallBackToThePragma: without the WAL index the answers are
// the same, asked of PRAGMA data_version.
func TestCheckReadsFallBackToThePragma(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.checks.wal.close()
	a.checks.wal = nil
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	acc := storetest.NewAccount(t, a, "Acme", "bizmetry")
	v1, err := a.AccountVersion(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	u := storetest.NewUser(t, b, "Dana", "")
	storetest.NewMember(t, b, acc, u, "Developer", roster.StatusActive)
	if v2, err := a.AccountVersion(ctx, acc.ID); err != nil || v2 == v1 {
		t.Errorf("AccountVersion after another connection's change = %d, %v; was %d", v2, err, v1)
	}
}

// TestCheckReadsForgetOnAnyHeaderChange: the memo is kept only while the
// whole WAL-index header stays the same. After a writer crashes, SQLite
// rebuilds the index and starts its change counter again from 0, so the
// counter alone could come back to the value the memo was filled at while
// the database has changed; the header's salts and checksums would not.
func TestCheckReadsForgetOnAnyHeaderChange(t *testing.T) {
	mem := make([]byte, shmMapSize)
	set := func(word int, v uint32) { // in both copies of the header
		binary.NativeEndian.PutUint32(mem[word*4:], v)
		binary.NativeEndian.PutUint32(mem[walHeaderSize+word*4:], v)
	}
	set(3, 1)  // isInit
	set(2, 41) // iChange
	set(8, 7)  // a salt
	c := &checkReads{wal: &walIndex{mem: mem}, seenDV: -1}
	if err := c.fresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.versions["acc"] = 3
	if err := c.fresh(context.Background()); err != nil || c.versions["acc"] != 3 {
		t.Fatalf("the memo was forgotten with nothing changed (err %v)", err)
	}
	set(8, 8) // the index rebuilt: new salts, and by chance the same iChange
	if err := c.fresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.versions["acc"]; ok {
		t.Errorf("a remembered version outlived a change of the WAL-index header")
	}
}

// TestStoreKeepsItsLockOnTheWALIndex: while a store is open, its process
// holds SQLite's lock on the -shm file, which tells another process (a
// `roster` command beside `roster serve`) that the file is in use. The WAL
// index's own descriptor of the file once dropped it when closed (closing
// any descriptor drops all the process's POSIX locks on a file), and the
// next command rebuilt the index under the server's connections, whose
// requests failed with disk I/O errors.
func TestStoreKeepsItsLockOnTheWALIndex(t *testing.T) {
	if _, err := os.Stat("/proc/locks"); err != nil {
		t.Skipf("no /proc/locks to read the process's locks from: %v", err)
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.checks.wal == nil || s.checks.wal.mem == nil {
		t.Fatal("the store did not map its WAL index")
	}
	storetest.NewAccount(t, s, "Acme", "bizmetry")
	if _, err := s.AccountVersion(ctx, "acc_none"); roster.ErrorCode(err) != roster.CodeNotFound {
		t.Fatalf("a check read: %v", err)
	}
	fi, err := os.Stat(path + "-shm")
	if err != nil {
		t.Fatal(err)
	}
	ino := fi.Sys().(*syscall.Stat_t).Ino
	raw, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Fatal(err)
	}
	pid, suffix := fmt.Sprint(os.Getpid()), fmt.Sprintf(":%d", ino)
	for line := range strings.Lines(string(raw)) {
		// "1: POSIX  ADVISORY  READ 20207 fe:00:10257219 128 128"
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "POSIX" && f[4] == pid && strings.HasSuffix(f[5], suffix) {
			return
		}
	}
	t.Errorf("this process holds no lock on %s-shm while its store is open:\n%s", path, raw)
}
