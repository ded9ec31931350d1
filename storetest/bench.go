package storetest

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/eiam/eiam"
)

// BenchUpdateUser measures UpdateUser as the directory calls it (one
// attribute and one custom field changed, claims unchanged, audit record and
// event written): "serial" from one goroutine, "parallel" from
// b.RunParallel goroutines each updating a user of its own, and
// "parallel32" from 32 such goroutines per GOMAXPROCS, as many clients do.
func BenchUpdateUser(b *testing.B, open func(b *testing.B) eiam.Store) {
	b.Run("serial", func(b *testing.B) {
		f := newFixture(b, open(b))
		u := f.create(b, f.user("bench"))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := f.update(u.ID, func(n *eiam.User) {
				n.Attrs[eiam.AttrNickname] = fmt.Sprint("n", i)
				n.CustomFields["counter"] = []string{fmt.Sprint(i)}
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	parallel := func(b *testing.B, p int) {
		f := newFixture(b, open(b))
		users := make([]*eiam.User, p*runtime.GOMAXPROCS(0))
		for i := range users {
			users[i] = f.create(b, f.user(fmt.Sprint("bench", i)))
		}
		var next atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(p)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			u := users[next.Add(1)-1]
			i := 0
			for pb.Next() {
				i++
				if _, err := f.update(u.ID, func(n *eiam.User) {
					n.Attrs[eiam.AttrNickname] = fmt.Sprint("n", i)
					n.CustomFields["counter"] = []string{fmt.Sprint(i)}
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("parallel", func(b *testing.B) { parallel(b, 1) })
	b.Run("parallel32", func(b *testing.B) { parallel(b, 32) })
}
