// Package e2e drives the real roster binary over HTTP: the seed pages'
// flows for both role catalogs, tenant isolation, and the ownership race.
// Each test starts its own server process on a fresh SQLite file.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
	rosterBin = filepath.Join(dir, "roster")
	build := exec.Command("go", "build", "-o", rosterBin, "../cmd/roster")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build roster:", err)
		return 1
	}
	return m.Run()
}
