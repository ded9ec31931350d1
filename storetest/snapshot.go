package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/eiam/eiam"
)

// SnapshotStore is what Snapshot reads.
type SnapshotStore interface {
	eiam.UserStore
	eiam.FieldStore
	eiam.AuditStore
}

// Snapshot is the state of some instances of a directory: every user as
// stored, every custom field definition, each user's audit records and the
// outbox. Tests of bad input take one before the requests and call
// Unchanged after them, to show that a refused request changed nothing.
type Snapshot struct {
	s         SnapshotStore
	instances []string
	users     map[string]string // instance/user id → the stored user, printed
	fields    map[string]string // instance/field id → the definition, printed
	audits    map[string]int    // instance/user id → number of audit records
	lastEvent int64
}

// TakeSnapshot reads the state of the given instances.
func TakeSnapshot(t testing.TB, s SnapshotStore, instances ...string) *Snapshot {
	t.Helper()
	snap := &Snapshot{s: s, instances: instances}
	snap.users, snap.fields, snap.audits, snap.lastEvent = snap.read(t)
	return snap
}

// Unchanged fails the test, naming each difference, unless the instances
// are as they were when the snapshot was taken: no user created, changed
// or deleted, no definition changed, no audit record and no outbox event
// written.
func (snap *Snapshot) Unchanged(t testing.TB) {
	t.Helper()
	users, fields, audits, lastEvent := snap.read(t)
	diff := func(what string, before, after map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(before)) {
			switch a, ok := after[k]; {
			case !ok:
				t.Errorf("%s %s was deleted", what, k)
			case a != before[k]:
				t.Errorf("%s %s changed:\nbefore %s\nafter  %s", what, k, before[k], a)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(after)) {
			if _, ok := before[k]; !ok {
				t.Errorf("%s %s was created", what, k)
			}
		}
	}
	diff("user", snap.users, users)
	diff("custom field", snap.fields, fields)
	for _, k := range slices.Sorted(maps.Keys(audits)) {
		if audits[k] != snap.audits[k] {
			t.Errorf("user %s has %d audit records, had %d", k, audits[k], snap.audits[k])
		}
	}
	if lastEvent != snap.lastEvent {
		t.Errorf("outbox events were written (last seq %d, was %d)", lastEvent, snap.lastEvent)
	}
}

func (snap *Snapshot) read(t testing.TB) (users, fields map[string]string, audits map[string]int, lastEvent int64) {
	t.Helper()
	ctx := context.Background()
	users, fields, audits = map[string]string{}, map[string]string{}, map[string]int{}
	for _, inst := range snap.instances {
		after := ""
		for {
			page, err := snap.s.ListUsers(ctx, inst, eiam.UserQuery{Limit: 100, After: after})
			if err != nil {
				t.Fatalf("ListUsers %s: %v", inst, err)
			}
			for _, u := range page.Users {
				k := inst + "/" + u.ID
				users[k] = fmt.Sprintf("%+v", *u)
				recs, err := snap.s.ListAudit(ctx, inst, u.ID)
				if err != nil {
					t.Fatalf("ListAudit %s: %v", k, err)
				}
				audits[k] = len(recs)
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		defs, err := snap.s.ListFields(ctx, inst)
		if err != nil {
			t.Fatalf("ListFields %s: %v", inst, err)
		}
		for _, f := range defs {
			fields[inst+"/"+f.ID] = fmt.Sprintf("%+v", *f)
		}
	}
	for {
		page, err := snap.s.ListEvents(ctx, lastEvent, 1000)
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(page) == 0 {
			return users, fields, audits, lastEvent
		}
		lastEvent = page[len(page)-1].Seq
	}
}
