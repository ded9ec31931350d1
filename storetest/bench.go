package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/eiam/eiam"
)

// BenchUpdateUser measures UpdateUser as the directory calls it (one
// attribute and one custom field changed, claims unchanged, audit record and
// event written): "serial" from one goroutine, and "parallel" from
// b.RunParallel goroutines each updating a user of its own.
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
	b.Run("parallel", func(b *testing.B) {
		f := newFixture(b, open(b))
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			u := f.create(b, f.user(fmt.Sprint("bench", next.Add(1))))
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
	})
}
