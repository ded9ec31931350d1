package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestReadPoolIsReadOnly makes sure the read pool's connections refuse to
// write, so a plain read can never take the write lock.
func TestReadPoolIsReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, readDSN := dsns(path)
	read, err := sql.Open("sqlite", readDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer read.Close()
	var n int
	if err := read.QueryRow(`SELECT COUNT(*) FROM instances`).Scan(&n); err != nil {
		t.Fatalf("read through the read DSN: %v", err)
	}
	if _, err := read.Exec(`INSERT INTO instances (id, name, root_ou_id, created_at) VALUES ('x', 'x', 'x', 0)`); err == nil {
		t.Error("a write through the read DSN succeeded")
	}
}
