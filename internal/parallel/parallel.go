// Package parallel runs independent CPU-bound work on every core: the
// directory prepares a batch of users this way, and the importer checks
// one.
package parallel

import (
	"runtime"
	"sync"
)

// For calls fn(0) … fn(n-1) on as many goroutines as there are cores and
// returns when all have returned. With one core it calls them in order.
func For(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
