// Package rosterbin builds the roster binary that the end-to-end tests
// drive as a separate process.
package rosterbin

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Build builds the module's ./cmd/roster into dir and returns the binary's
// path; root is the module's root, relative to the test's directory.
func Build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "roster")
	build := exec.Command("go", "build", "-o", bin, "./cmd/roster")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	return bin, build.Run()
}

var tracked sync.Once

// Track lists every directory of the module at root (but .git and docs),
// once per test binary. go test caches a result by the test binary and by
// the files and directories the tests open, and the server's code is not in
// the test binary: listing its directories makes a change to any file in
// them run the tests again instead of reusing a result from before it. It
// must be called from a test, not TestMain, whose opens go test does not
// see.
func Track(root string) {
	tracked.Do(func() {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && path != root && (d.Name() == ".git" || d.Name() == "docs") {
				return filepath.SkipDir
			}
			return nil
		})
	})
}
