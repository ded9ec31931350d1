package eiam_test

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

var idShape = regexp.MustCompile(`^user_[a-z2-7]{26}$`)

func TestOrderedIDsSortByTime(t *testing.T) {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 2000 {
		// Several ids per millisecond, and steps across every byte of
		// the timestamp's low end.
		id := eiam.NewOrderedID("user", start.Add(time.Duration(i/4)*time.Millisecond+time.Duration(i%4)))
		if !idShape.MatchString(id) {
			t.Fatalf("id %q does not have NewID's shape", id)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	for g := 4; g < len(ids); g += 4 {
		// Every id of a millisecond sorts after every id of the one before.
		if prev, cur := slices.Max(ids[g-4:g]), slices.Min(ids[g:g+4]); cur <= prev {
			t.Fatalf("id %s sorts before %s, made a millisecond earlier", cur, prev)
		}
	}
	later := eiam.NewOrderedID("user", start.Add(400*24*time.Hour))
	if !slices.IsSorted([]string{ids[len(ids)-1], later}) {
		t.Fatalf("an id a year later sorts first: %s, %s", ids[len(ids)-1], later)
	}
	if random := eiam.NewID("user"); !idShape.MatchString(random) {
		t.Fatalf("NewID %q changed shape", random)
	}
}
