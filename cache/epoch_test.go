package cache_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/cache"
	"github.com/eiam/eiam/storetest"
)

// TestEpochNeverAnswersFromBeforeTheCall: while many callers share epoch
// reads, a change committed through another store (another replica) before
// a call is always seen by that call.
func TestEpochNeverAnswersFromBeforeTheCall(t *testing.T) {
	storetest.EachPair(t, func(t *testing.T, a, b eiam.Store) {
		ctx := context.Background()
		const inst = "idaas_epoch"
		putInstance(t, b, inst)
		counting := storetest.NewCounting(a)
		e := cache.NewEpoch(counting)
		var reads atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := e.Read(ctx); err != nil {
						t.Error(err)
						return
					}
					reads.Add(1)
				}
			})
		}
		for i := range 100 {
			if err := b.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, ID: fmt.Sprintf("ufd_%d", i), Name: fmt.Sprintf("f%d", i),
				DataType: eiam.TypeString, DisplayType: eiam.DisplayInput, UserPermission: eiam.PermReadWrite}); err != nil {
				t.Fatal(err)
			}
			committed, err := b.SecurityEpoch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := e.Read(ctx); err != nil || got < committed {
				t.Fatalf("change %d: Read = %d, %v after the epoch reached %d", i, got, err, committed)
			}
		}
		close(stop)
		wg.Wait()
		t.Logf("%d reads answered by %d queries", reads.Load(), counting.Calls("SecurityEpoch"))
	})
}

// BenchmarkEpoch reads the epoch from many goroutines, each with a query of
// its own and through a shared Epoch; queries/op is the queries per read.
func BenchmarkEpoch(b *testing.B) {
	storetest.EachB(b, func(b *testing.B, s eiam.Store) {
		counting := storetest.NewCounting(s)
		for _, bc := range []struct {
			name string
			read func(context.Context) (int64, error)
		}{
			{"own", counting.SecurityEpoch},
			{"shared", cache.NewEpoch(counting).Read},
		} {
			b.Run(bc.name, func(b *testing.B) {
				before := counting.Calls("SecurityEpoch")
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := bc.read(context.Background()); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.ReportMetric(float64(counting.Calls("SecurityEpoch")-before)/float64(b.N), "queries/op")
			})
		}
	})
}
