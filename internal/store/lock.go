package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked: another worker holds the database.
var ErrLocked = errors.New("another sync worker holds the database")

// WorkerLock is the one-worker-per-database lock (SPEC §3): an flock on a
// file beside the database. The kernel releases it when the process exits
// in any way, so a crash never leaves it behind.
type WorkerLock struct{ f *os.File }

// LockWorker takes the worker lock of the database at dbPath, or returns an
// error wrapping ErrLocked that names the process holding it.
func LockWorker(dbPath string) (*WorkerLock, error) {
	path := dbPath + ".worker.lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("worker lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another process"
			if pid := strings.TrimSpace(string(holder)); pid != "" {
				who = "process " + pid
			}
			return nil, fmt.Errorf("%w: %s is already syncing %s (lock %s)", ErrLocked, who, dbPath, path)
		}
		return nil, fmt.Errorf("worker lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &WorkerLock{f: f}, nil
}

// Release gives the lock up.
func (l *WorkerLock) Release() error { return l.f.Close() }
