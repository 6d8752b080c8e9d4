package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"slices"
	"testing"
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
