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
		batch := func() error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
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
	bulk := &recordingBulk{concurrent: true}
	w := newWriter(bulk)
	boom := errors.New("boom")
	if err := w.send(false, func() error { return boom }); err != nil {
		t.Fatal(err)
	}
	// Once the failure is seen, sends refuse and later writes never run.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := w.send(false, func() error { return nil })
		if errors.Is(err, errWriteFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("send kept accepting writes after one failed")
		}
		time.Sleep(time.Millisecond)
	}
	var ranAfter atomic.Bool
	_ = w.send(true, func() error { ranAfter.Store(true); return nil })
	if err := w.close(); !errors.Is(err, boom) {
		t.Fatalf("close: %v, want the write's error", err)
	}
	if ranAfter.Load() {
		t.Error("a write sent after the failure ran")
	}
	if bulk.commits.Load() != 0 || bulk.rollbacks.Load() != 1 {
		t.Errorf("%d commits, %d rollbacks; want one rollback", bulk.commits.Load(), bulk.rollbacks.Load())
	}
}
