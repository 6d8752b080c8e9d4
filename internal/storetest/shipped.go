package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// ShippedMigrations fails when a migration file of fsys differs from the
// one shipped (want maps each file to the first 16 hex digits of its
// SHA-256), or when one was taken out or added without its digest here. A
// database that ran a migration never runs it again: editing one after it
// shipped leaves the databases that ran it unlike fresh ones, with no way
// to tell (migrations 8 on SQLite and 11 on PostgreSQL repair what that
// left). A change is a new migration.
func ShippedMigrations(t *testing.T, fsys fs.FS, want map[string]string) {
	t.Helper()
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		got[f] = hex.EncodeToString(sum[:])[:16]
	}
	for _, f := range slices.Sorted(maps.Keys(want)) {
		switch g, ok := got[f]; {
		case !ok:
			t.Errorf("migration %s was taken out after it shipped", f)
		case g != want[f]:
			t.Errorf("migration %s was edited after it shipped (sha256 %s…, shipped %s…): write a new migration instead", f, g, want[f])
		}
	}
	for _, f := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[f]; !ok {
			t.Errorf("migration %s is new: add its digest %q to the shipped ones", f, got[f])
		}
	}
}

// NewerSchemaRefused: a database a newer Roster migrated past what this one
// can run on (roster_schema.runs_with) is refused by open and by migrate,
// not served with a schema it cannot keep up; one a newer Roster only added
// to is served. open opens the store on the database; exec runs a statement
// on an open store's database.
func NewerSchemaRefused(t *testing.T, open func() (roster.Store, error), exec func(s roster.Store, q string) error, migrate func() error) {
	t.Helper()
	for _, step := range []struct {
		q, refusal string
	}{
		{`INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)`, ""},
		{`UPDATE roster_schema SET runs_with = 999`, "which needs a Roster that knows migration 999"},
	} {
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		if err := exec(s, step.q); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s, err = open()
		switch {
		case step.refusal == "" && err != nil:
			t.Fatalf("open of a schema a newer Roster added to: %v", err)
		case step.refusal != "" && (err == nil || !strings.Contains(err.Error(), step.refusal)):
			t.Errorf("open of a schema a newer Roster contracted: %v; want it refused", err)
		}
		if err == nil {
			s.Close()
		}
	}
	if err := migrate(); err == nil {
		t.Error("migrate of a schema a newer Roster contracted succeeded")
	}
}
