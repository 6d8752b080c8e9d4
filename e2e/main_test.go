// Package e2e drives the real roster binary over HTTP: the seed pages'
// flows for both role catalogs, tenant isolation, and the ownership race.
// Each test starts its own server process on a fresh SQLite file.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/rosterhq/roster/e2e/internal/rosterbin"
)

// rosterBin is the binary built once by TestMain.
var rosterBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "roster-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if rosterBin, err = rosterbin.Build("..", dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build roster:", err)
		return 1
	}
	return m.Run()
}
