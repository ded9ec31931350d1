package cache

import "context"

// Wrote reports whether the request of ctx has written (see Request).
func Wrote(ctx context.Context) bool {
	r := requestOf(ctx)
	return r != nil && r.wrote.Load()
}
