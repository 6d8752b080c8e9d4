package sqlite

import (
	"encoding/binary"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// walIndex reads the change counter of a WAL-mode database from its
// shared-memory file (path + "-shm"), as SQLite's own readers do to learn
// whether anything was committed since they last looked. The format is
// SQLite's documented WAL-index (https://sqlite.org/walformat.html): the
// file starts with two copies of a 48-byte header; a writer updates the
// second copy, then the first, on every commit; a reader reads the first,
// then the second, and trusts them only if they are equal. The header's
// iChange (bytes 8–11, native byte order) increases with every committed
// transaction, of any connection of any process.
//
// Reading it costs a few nanoseconds where PRAGMA data_version costs a
// query. Whenever the file is not what is expected, callers fall back to
// the pragma.
//
// The file stays open as long as the store: closing any descriptor of a file
// drops every POSIX lock the process holds on it, SQLite's among them, and
// without the lock that says the -shm file is in use, the next process to
// open the database (a `roster` command) rebuilds it under this one's
// connections, whose next statements fail (SQLITE_IOERR_IN_PAGE).
type walIndex struct {
	f   *os.File
	mem []byte
}

const (
	walHeaderSize = 48
	shmMapSize    = 4096
)

// openWALIndex maps the first page of the database's -shm file read-only.
// It fails only when the file cannot be opened.
func openWALIndex(dbPath string) (*walIndex, error) {
	f, err := os.Open(dbPath + "-shm")
	if err != nil {
		return nil, err
	}
	// A file that cannot be mapped is kept open all the same, as closing
	// it would drop the locks of the store's connections (see walIndex);
	// change then always sends the caller the slow way.
	mem, _ := mapWALIndex(f)
	return &walIndex{f: f, mem: mem}, nil
}

func mapWALIndex(f *os.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < shmMapSize {
		return nil, os.ErrInvalid
	}
	return syscall.Mmap(int(f.Fd()), 0, shmMapSize, syscall.PROT_READ, syscall.MAP_SHARED)
}

// walHeader is the WAL-index header, as 32-bit words.
type walHeader [walHeaderSize / 4]uint32

// change returns the header, and false if its two copies differ (a commit
// is being written) or the index is not initialised: the caller must then
// look the slow way. Callers compare whole headers, not only iChange: when
// SQLite rebuilds the index after a writer crashed, it starts iChange
// again from 0, but the header's frame count, salts and checksums are the
// new log's.
func (w *walIndex) change() (walHeader, bool) {
	if w.mem == nil {
		return walHeader{}, false
	}
	var first, second walHeader
	for i := range first {
		first[i] = atomic.LoadUint32((*uint32)(unsafe.Pointer(&w.mem[i*4])))
	}
	for i := range second {
		second[i] = atomic.LoadUint32((*uint32)(unsafe.Pointer(&w.mem[walHeaderSize+i*4])))
	}
	if first != second {
		return walHeader{}, false
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], first[3]) // bytes 12–15: isInit, bigEndCksum, szPage
	if b[0] == 0 {                                // isInit
		return walHeader{}, false
	}
	return first, true
}

// iChange is the header's change counter (bytes 8–11).
func (h walHeader) iChange() uint32 { return h[2] }

// close unmaps the index and closes the file, which drops the process's
// locks on it: only once every connection of the store is closed.
func (w *walIndex) close() error {
	var err error
	if w.mem != nil {
		err = syscall.Munmap(w.mem)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
