package cache

import (
	"context"
	"sync/atomic"
	"time"
)

// request is what the context of one request tells Epoch.
type request struct {
	began time.Time
	// wrote: the request called a write of a Store that can move the
	// security epoch.
	wrote atomic.Bool
}

type requestKey struct{}

// Request returns ctx marked as the context of one request, begun now.
//
// A read of the security epoch for it may then be answered by a query that
// began after the request began, not only by one that begins after the
// read: such a query sees every change committed before the request began,
// which is all a request can ask of a check at its start. So the several
// reads of one request (its token, its application, the field definitions
// its change is checked against), and those of requests that arrive
// together, share one query.
//
// Once the request calls a write of a Store that can move the epoch, its
// reads wait for a query that begins after them again: a request never
// reads from memory what it has just changed.
func Request(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{began: time.Now()})
}

func requestOf(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// wrote records that the request of ctx, if any, writes.
func wrote(ctx context.Context) {
	if r := requestOf(ctx); r != nil {
		r.wrote.Store(true)
	}
}
