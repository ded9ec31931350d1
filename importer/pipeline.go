package importer

import "errors"

// errStopped ends produce in pipelined once consume has failed.
var errStopped = errors.New("pipeline stopped")

// pipelined runs produce on a goroutine of its own and consume on the
// caller's, on every value produce emits, in order; produce works on the
// next value while consume works on the last. When consume fails, emit
// returns errStopped and nothing more is consumed; the first error of
// consume, else that of produce, is returned.
func pipelined[T any](produce func(emit func(T) error) error, consume func(T) error) error {
	values := make(chan T, 1)
	stop := make(chan struct{})
	var produceErr error
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		defer close(values)
		produceErr = produce(func(v T) error {
			select {
			case values <- v:
				return nil
			case <-stop:
				return errStopped
			}
		})
	}()
	var consumeErr error
	for v := range values {
		if consumeErr != nil {
			continue
		}
		if consumeErr = consume(v); consumeErr != nil {
			close(stop)
		}
	}
	<-produced
	if consumeErr != nil {
		return consumeErr
	}
	return produceErr
}
