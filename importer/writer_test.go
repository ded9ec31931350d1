package importer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

// recordingBulk is a BulkWriter that only counts how it is ended; the
// writes under test are the functions sent to the writer.
type recordingBulk struct {
	concurrent         bool
	commits, rollbacks atomic.Int32
}

func (b *recordingBulk) CreateUsers(context.Context, []*eiam.Commit) error { return nil }
func (b *recordingBulk) Commit() error                                     { b.commits.Add(1); return nil }
func (b *recordingBulk) Rollback() error                                   { b.rollbacks.Add(1); return nil }
func (b *recordingBulk) Concurrent() bool                                  { return b.concurrent }

func TestWriterOverlapsBatchesOnlyWhereAllowed(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		bulk := &recordingBulk{concurrent: concurrent}
		w := newWriter(bulk)
		var inFlight, most atomic.Int32
		// Each batch waits (a while at most) until another is in flight:
		// with a concurrent writer they meet, without one they cannot.
		batch := func() error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			for deadline := time.Now().Add(200 * time.Millisecond); inFlight.Load() < 2 && most.Load() < 2 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			return nil
		}
		var aloneSaw int32 = -1
		for range 4 {
			if err := w.send(false, batch); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.send(true, func() error { aloneSaw = inFlight.Load(); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := w.close(); err != nil {
			t.Fatal(err)
		}
		want := int32(1)
		if concurrent {
			want = concurrentBatches
		}
		if most.Load() != want {
			t.Errorf("concurrent=%v: at most %d batches were written at once, want %d", concurrent, most.Load(), want)
		}
		if aloneSaw != 0 {
			t.Errorf("concurrent=%v: a write that must run alone ran beside %d others", concurrent, aloneSaw)
		}
		if bulk.commits.Load() != 1 || bulk.rollbacks.Load() != 0 {
			t.Errorf("concurrent=%v: %d commits, %d rollbacks; want one commit", concurrent, bulk.commits.Load(), bulk.rollbacks.Load())
		}
	}
}

func TestWriterStopsAtTheFirstFailure(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		bulk := &recordingBulk{concurrent: concurrent}
		w := newWriter(bulk)
		boom := errors.New("boom")
		releaseFailing, releaseOther := make(chan struct{}), make(chan struct{})
		var ranAfter atomic.Int32
		after := func() error { ranAfter.Add(1); return nil }
		// The failing write is still running while the writes behind it
		// are queued: a second one beside it (or behind it), then one
		// waiting for a slot, then one that must run alone.
		if err := w.send(false, func() error { <-releaseFailing; return boom }); err != nil {
			t.Fatal(err)
		}
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			_ = w.send(false, func() error { <-releaseOther; return nil })
			_ = w.send(false, after)
			_ = w.send(true, after)
		}()
		time.Sleep(20 * time.Millisecond)
		close(releaseFailing)
		for !w.failed.Load() {
			time.Sleep(time.Millisecond)
		}
		close(releaseOther)
		<-sent
		if err := w.close(); !errors.Is(err, boom) {
			t.Fatalf("concurrent=%v: close: %v, want the write's error", concurrent, err)
		}
		if n := ranAfter.Load(); n != 0 {
			t.Errorf("concurrent=%v: %d writes queued behind the failed one ran", concurrent, n)
		}
		if bulk.commits.Load() != 0 || bulk.rollbacks.Load() != 1 {
			t.Errorf("concurrent=%v: %d commits, %d rollbacks; want one rollback", concurrent, bulk.commits.Load(), bulk.rollbacks.Load())
		}
	}
}
