package importer

import (
	"errors"
	"slices"
	"testing"
)

func TestPipelined(t *testing.T) {
	count := func(n int, failAt int) func(emit func(int) error) error {
		return func(emit func(int) error) error {
			for i := range n {
				if i == failAt {
					return errors.New("produce failed")
				}
				if err := emit(i); err != nil {
					return err
				}
			}
			return nil
		}
	}
	// Every value is consumed, in order.
	var got []int
	if err := pipelined(count(100, -1), func(v int) error { got = append(got, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []int{}; len(got) != 100 || !slices.IsSorted(got) || got[99] != 99 {
		t.Fatalf("consumed %v, want 0…99 in order%v", got, want)
	}
	// A failed consume stops the producer and is the error returned.
	got = nil
	consumeErr := errors.New("consume failed")
	err := pipelined(count(1_000_000, -1), func(v int) error {
		got = append(got, v)
		if v == 3 {
			return consumeErr
		}
		return nil
	})
	if !errors.Is(err, consumeErr) || !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("after a failed consume: %v, consumed %v", err, got)
	}
	// A failed produce is returned after what it emitted is consumed.
	got = nil
	err = pipelined(count(10, 5), func(v int) error { got = append(got, v); return nil })
	if err == nil || err.Error() != "produce failed" || len(got) != 5 {
		t.Fatalf("after a failed produce: %v, consumed %v", err, got)
	}
}
