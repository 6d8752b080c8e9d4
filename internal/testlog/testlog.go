// Package testlog is for tests that read a server's log while it runs.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer collects a log: the server's goroutines, or exec's copier of a
// process's output, write to it while the test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
