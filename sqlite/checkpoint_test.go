package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/sqlite"
)

// TestWALStartsOverUnderSteadyWrites checks that the WAL stays short while
// writes never stop: without the committer's checkpoint between batches
// (Dialect.AfterBatch) the WAL is never wholly copied when a transaction
// begins, and grows for as long as the writes go on.
func TestWALStartsOverUnderSteadyWrites(t *testing.T) {
	defer sqlite.SetRestartFrames(64)() // 256 KiB
	ctx := context.Background()
	s, path := openTemp(t, "wal.db")
	inst, newUser := newInstance(t, s, "idaas_wal")
	const writers = 8
	for w := range writers {
		name := fmt.Sprintf("wal%d", w)
		if err := s.CreateUser(ctx, newUser("user_"+name, name)); err != nil {
			t.Fatal(err)
		}
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		largest int64
		written int
	)
	deadline := time.Now().Add(3 * time.Second)
	for w := range writers {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				_, err := s.UpdateUser(ctx, inst.ID, fmt.Sprintf("user_wal%d", w), func(cur *eiam.User) (*eiam.Commit, error) {
					next := cur.Clone()
					next.Version++
					next.Attrs[eiam.AttrNickname] = fmt.Sprintf("n%d-%d", w, i)
					return &eiam.Commit{User: next, OldClaims: []eiam.Claim{eiam.UsernameClaim(cur.Username())}, Claims: []eiam.Claim{eiam.UsernameClaim(cur.Username())}}, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				// Reads alongside, as a server's are.
				if _, err := s.GetUser(ctx, inst.ID, fmt.Sprintf("user_wal%d", (w+1)%writers)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				written++
				largest = max(largest, walSize())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// The WAL starts over once it is past 64 pages and the checkpointer
	// has seen it (every 100 ms): the 100 ms of writes between two looks
	// at most, about 15 MB here. Without the restarts it grows by about
	// 13 KB per update, 300 MB in these 3 seconds.
	if limit := int64(48 << 20); largest > limit {
		t.Fatalf("the WAL reached %d bytes over %d updates; want it to start over, under %d", largest, written, limit)
	}
	t.Logf("%d updates; the WAL peaked at %d KiB", written, largest>>10)
}
