package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/sqlstore"
)

// grouper is implemented by stores that make concurrent user writes share
// one transaction (group commit).
type grouper interface {
	CommitStats() sqlstore.CommitStats
}

// batchRequest is one write of a batch built by inOneBatch: run makes the
// call; queued, when set, runs once the store has queued it.
type batchRequest struct {
	run    func()
	queued func()
}

// inOneBatch makes the requests one batch of the store's group committer,
// in their order, and returns when every one has returned. First writes,
// one per batch the committer may run at once, whose apply waits, hold the
// committer; each request is started only once the previous one is queued
// behind them; then the first writes are let go, and the committer takes
// the whole queue. It reports the number of transactions committed
// meanwhile and the writes they committed, one holder included.
func inOneBatch(t *testing.T, s eiam.Store, f *fixture, reqs []batchRequest) (batches, writes int64) {
	t.Helper()
	g, ok := s.(grouper)
	if !ok {
		t.Skipf("%T does not group commits", s)
	}
	if len(reqs) >= 128 {
		t.Fatalf("%d requests do not fit one batch", len(reqs))
	}
	runners := max(1, g.CommitStats().Runners)
	var holders []*eiam.User
	for i := range runners {
		holders = append(holders, f.create(t, f.user(fmt.Sprintf("holder_%d_%d", f.tick.Load(), i))))
	}
	before := g.CommitStats()
	if before.Batches == 0 {
		t.Skipf("%T does not group commits", s)
	}
	entered, release := make(chan struct{}, runners), make(chan struct{})
	var wg sync.WaitGroup
	for _, holder := range holders {
		wg.Go(func() {
			_, err := s.UpdateUser(context.Background(), f.inst, holder.ID, func(cur *eiam.User) (*eiam.Commit, error) {
				entered <- struct{}{}
				<-release
				next := cur.Clone()
				next.Version++
				next.Attrs[eiam.AttrNickname] = "held the committer"
				return commit(cur, next, eiam.ActionUserUpdate, "user.updated"), nil
			})
			if err != nil {
				t.Errorf("a write holding the committer: %v", err)
			}
		})
	}
	for range runners {
		<-entered
	}
	for i, r := range reqs {
		wg.Go(r.run)
		waitFor(t, fmt.Sprintf("request %d to queue", i), func() bool { return g.CommitStats().Queued == i+1 })
		if r.queued != nil {
			r.queued()
		}
	}
	close(release)
	wg.Wait()
	after := g.CommitStats()
	extra := int64(runners - 1) // holders beyond the first, a batch each
	return after.Batches - before.Batches - extra, after.Writes - before.Writes - extra
}

// waitFor polls cond until it holds. The deadline only keeps a broken
// store from hanging the test; no timing is asserted.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// testBatchIsolation checks that in one batch of group commit each write
// fails or succeeds on its own: a failure rolls back only that write, the
// others commit with their audit records and events, and writes of one
// user apply in order, each seeing the one before.
func testBatchIsolation(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	a := f.create(t, f.user("batch.a"))
	b := f.create(t, f.user("batch.b"))
	c := f.create(t, f.user("batch.c"))
	taken := f.create(t, f.user("batch.taken"))
	d := f.create(t, f.user("batch.d"))
	e := f.create(t, f.user("batch.e"))
	fresh := f.user("batch.fresh")
	clash := f.user("batch.clash")
	clash.Attrs[eiam.AttrUsername] = "Batch.Taken"
	abandonedUser := f.user("batch.abandoned")
	skippedUser := f.user("batch.skipped")
	// A batch runs its writes in the order of their users' ids: this one
	// runs last, after request 6 has cancelled it.
	skippedUser.ID = "user_" + strings.Repeat("z", 26)
	sentinel := eiam.Errorf(eiam.ErrInvalid, "nickname", "too_long", "max", 64)

	var (
		errs                [15]error
		reqs                []batchRequest
		seenBySecond        *eiam.User
		panicked            any
		abandonCtx, abandon = context.WithCancel(ctx)
		skipCtx, skip       = context.WithCancel(ctx)
		abandonedReturned   = make(chan struct{})
	)
	defer abandon()
	defer skip()
	add := func(r func() error, queued func()) {
		i := len(reqs)
		reqs = append(reqs, batchRequest{run: func() { errs[i] = r() }, queued: queued})
	}
	create := func(ctx context.Context, u *eiam.User) error {
		return s.CreateUser(ctx, commit(nil, u, eiam.ActionUserCreate, "user.created"))
	}
	update := func(id string, mutate func(*eiam.User)) error {
		_, err := f.update(id, mutate)
		return err
	}
	apply := func(id string, fn func(*eiam.User) (*eiam.Commit, error)) error {
		_, err := s.UpdateUser(ctx, f.inst, id, fn)
		return err
	}
	nickname := func(v string) func(*eiam.User) { return func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = v } }
	wrongVersion := func(cur *eiam.User) (*eiam.Commit, error) {
		return commit(cur, cur.Clone(), eiam.ActionUserUpdate, "user.updated"), nil
	}

	// 0: commits.
	add(func() error { return update(a.ID, nickname("first")) }, nil)
	// 1: apply's error.
	add(func() error { return apply(b.ID, func(*eiam.User) (*eiam.Commit, error) { return nil, sentinel }) }, nil)
	// 2: a claim conflict.
	add(func() error { return update(c.ID, func(n *eiam.User) { n.Attrs[eiam.AttrUsername] = "BATCH.TAKEN" }) }, nil)
	// 3: a version that does not follow.
	add(func() error { return apply(b.ID, wrongVersion) }, nil)
	// 4: commits.
	add(func() error { return create(ctx, fresh) }, nil)
	// 5: a claim conflict on create.
	add(func() error { return create(ctx, clash) }, nil)
	// 6: the second write of a in the batch, after 0.
	add(func() error {
		_, err := s.UpdateUser(ctx, f.inst, a.ID, func(cur *eiam.User) (*eiam.Commit, error) {
			seenBySecond = cur.Clone()
			next := cur.Clone()
			next.Version++
			next.CustomFields["step"] = []string{"second"}
			// Cancelling request 10 now, after the committer took it and
			// before its turn, must skip it.
			skip()
			return commit(cur, next, eiam.ActionUserUpdate, "user.updated"), nil
		})
		return err
	}, nil)
	// 7: not found.
	add(func() error { return update("user_missing", nickname("x")) }, nil)
	// 8: a panicking apply fails alone, on its caller's goroutine.
	add(func() (err error) {
		defer func() {
			if panicked = recover(); panicked != nil {
				err = fmt.Errorf("panic: %v", panicked)
			}
		}()
		return apply(b.ID, func(*eiam.User) (*eiam.Commit, error) { panic("apply exploded") })
	}, nil)
	// 9: abandoned by its caller while queued.
	add(func() error {
		defer close(abandonedReturned)
		return create(abandonCtx, abandonedUser)
	}, func() { abandon(); <-abandonedReturned })
	// 10: cancelled after the committer took it, before its turn (by 6).
	add(func() error { return create(skipCtx, skippedUser) }, nil)
	// 11: commits, although 2 failed on the same user.
	add(func() error { return f.delete(c.ID) }, nil)
	// 12: commits, although 1, 3 and 8 failed on the same user.
	add(func() error { return update(b.ID, nickname("b ok")) }, nil)

	// 13: a claim conflict after another new claim of the write was
	// written (claims are written in order of kind: email, then username).
	add(func() error {
		return update(d.ID, func(n *eiam.User) {
			n.Attrs[eiam.AttrEmail] = "batch.d@example.com"
			n.Attrs[eiam.AttrUsername] = "batch.taken"
		})
	}, nil)
	// 14: a row the database may refuse (PostgreSQL's text holds no NUL),
	// when its write's statements are sent with the others' at the end of
	// the batch.
	add(func() error {
		return update(e.ID, func(n *eiam.User) { n.Attrs[eiam.AttrDisplayName] = "nul\x00byte" })
	}, nil)

	batches, writes := inOneBatch(t, s, f, reqs)
	t.Logf("the row the database may refuse: %v", errs[14])
	wantWrites := int64(1 + 5)
	if errs[14] == nil {
		wantWrites++
	}
	if batches != 2 || writes != wantWrites {
		t.Errorf("%d transactions committed %d writes; want the holder's, then one batch of %d", batches, writes, wantWrites-1)
	}

	for i, want := range []struct {
		ok    bool
		code  eiam.Code
		field string
		is    error
	}{
		0: {ok: true}, 1: {is: sentinel}, 2: {code: eiam.ErrConflict, field: "username"}, 3: {},
		4: {ok: true}, 5: {code: eiam.ErrConflict, field: "username"}, 6: {ok: true},
		7: {code: eiam.ErrNotFound, field: "user_id"}, 8: {}, 9: {is: context.Canceled},
		10: {is: context.Canceled}, 11: {ok: true}, 12: {ok: true},
		13: {code: eiam.ErrConflict, field: "username"}, 14: {ok: dialectName(s) != "postgres"},
	} {
		err := errs[i]
		switch {
		case want.ok && err != nil:
			t.Errorf("request %d: %v; want success", i, err)
		case want.ok:
		case err == nil:
			t.Errorf("request %d succeeded; want a failure", i)
		case want.is != nil && !errors.Is(err, want.is):
			t.Errorf("request %d: %v; want %v", i, err, want.is)
		case want.code != "" && (eiam.AsError(err).Code != want.code || eiam.AsError(err).Field != want.field):
			t.Errorf("request %d: %v; want %s on %s", i, err, want.code, want.field)
		}
	}
	if errs[1] != sentinel {
		t.Errorf("apply's error came back as %v; want it unchanged", errs[1])
	}
	if panicked != "apply exploded" {
		t.Errorf("the panicking apply's caller recovered %v; want its panic", panicked)
	}
	if seenBySecond == nil || seenBySecond.Version != 2 || seenBySecond.Attrs[eiam.AttrNickname] != "first" {
		t.Errorf("the second write of a saw %+v; want version 2 with the first write's nickname", seenBySecond)
	}

	got, err := s.GetUser(ctx, f.inst, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || got.Attrs[eiam.AttrNickname] != "first" || got.CustomValue("step") != "second" {
		t.Errorf("a = version %d, nickname %q, step %q; want 3, first, second", got.Version, got.Attrs[eiam.AttrNickname], got.CustomValue("step"))
	}
	wantHistory(t, f, a.ID, 1, 2, 3)
	gotB, err := s.GetUser(ctx, f.inst, b.ID)
	if err != nil || gotB.Version != 2 || gotB.Attrs[eiam.AttrNickname] != "b ok" {
		t.Errorf("b = %+v, %v; want version 2 with only the last write", gotB, err)
	}
	wantHistory(t, f, b.ID, 1, 2)
	if _, err := s.GetUser(ctx, f.inst, c.ID); eiam.ErrorCode(err) != eiam.ErrNotFound {
		t.Errorf("c after its delete: %v; want not found", err)
	}
	wantHistory(t, f, c.ID, 1, 2)
	if got, err := s.GetUser(ctx, f.inst, d.ID); err != nil || got.Version != 1 || got.Attrs[eiam.AttrEmail] != "" {
		t.Errorf("d after its refused update = %+v, %v; want version 1 without an email", got, err)
	}
	wantHistory(t, f, d.ID, 1)
	if _, err := s.LookupUser(ctx, f.inst, eiam.EmailClaim("batch.d@example.com")); eiam.ErrorCode(err) != eiam.ErrNotFound {
		t.Errorf("the email of d's refused update: %v; want it free", err)
	}
	if got, err := s.GetUser(ctx, f.inst, e.ID); err != nil {
		t.Error(err)
	} else if errs[14] == nil && (got.Version != 2 || got.Attrs[eiam.AttrDisplayName] != "nul\x00byte") {
		t.Errorf("e after its update = version %d, %q; want 2 with the new name", got.Version, got.Attrs[eiam.AttrDisplayName])
	} else if errs[14] != nil && got.Version != 1 {
		t.Errorf("e after its refused update = version %d; want 1", got.Version)
	}
	if holder, err := s.LookupUser(ctx, f.inst, eiam.UsernameClaim("batch.taken")); err != nil || holder.ID != taken.ID {
		t.Errorf("the taken username is held by %v, %v; want %s", holder, err, taken.ID)
	}
	if _, err := s.GetUser(ctx, f.inst, fresh.ID); err != nil {
		t.Errorf("the created user: %v", err)
	}
	wantHistory(t, f, fresh.ID, 1)
	for _, u := range []*eiam.User{clash, abandonedUser, skippedUser} {
		if _, err := s.GetUser(ctx, f.inst, u.ID); eiam.ErrorCode(err) != eiam.ErrNotFound {
			t.Errorf("user %s of a failed create exists: %v", u.Username(), err)
		}
		wantHistory(t, f, u.ID)
	}
}

// wantHistory checks that a user has exactly one audit record and one event
// per version, in order.
func wantHistory(t *testing.T, f *fixture, userID string, versions ...int64) {
	t.Helper()
	recs, err := f.s.ListAudit(context.Background(), f.inst, userID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range recs {
		got = append(got, r.Version)
	}
	var evs []int64
	for _, ev := range allEvents(t, f.s) {
		if ev.InstanceID == f.inst && ev.UserID == userID {
			evs = append(evs, ev.Version)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(versions) || fmt.Sprint(evs) != fmt.Sprint(versions) {
		t.Errorf("user %s: audit versions %v, event versions %v; want %v", userID, got, evs, versions)
	}
}

// testBatchCommitFailure checks that when the COMMIT of a batch fails,
// every write of the batch gets an error and none is written, and that the
// store goes on working.
func testBatchCommitFailure(t *testing.T, s eiam.Store) {
	ctx := context.Background()
	raw, ok := s.(rawStore)
	if !ok {
		t.Skipf("%T does not expose its database", s)
	}
	f := newFixture(t, s)
	// A deferred constraint, checked only at COMMIT, that an audit record
	// with request id "fail-at-commit" violates.
	stmts := []string{
		`CREATE TABLE commit_poison_parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE commit_poison (ref TEXT REFERENCES commit_poison_parent (id) DEFERRABLE INITIALLY DEFERRED)`,
	}
	switch name := dialectName(s); name {
	case "sqlite":
		stmts = append(stmts, `CREATE TRIGGER commit_poison AFTER INSERT ON audit_log
			WHEN NEW.request_id = 'fail-at-commit'
			BEGIN INSERT INTO commit_poison (ref) VALUES ('missing'); END`)
	case "postgres":
		stmts = append(stmts, `CREATE FUNCTION commit_poison() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO commit_poison (ref) VALUES ('missing'); RETURN NEW; END $$`,
			`CREATE TRIGGER commit_poison AFTER INSERT ON audit_log FOR EACH ROW
			WHEN (NEW.request_id = 'fail-at-commit') EXECUTE FUNCTION commit_poison()`)
	default:
		t.Skipf("no deferred constraint written for dialect %q", name)
	}
	for _, q := range stmts {
		if _, err := raw.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	a := f.create(t, f.user("doomed.a"))
	b := f.create(t, f.user("doomed.b"))
	fresh := f.user("doomed.fresh")
	poisoned := func(cur *eiam.User) (*eiam.Commit, error) {
		next := cur.Clone()
		next.Version++
		next.Attrs[eiam.AttrNickname] = "poisoned"
		c := commit(cur, next, eiam.ActionUserUpdate, "user.updated")
		c.Audit.Origin.RequestID = "fail-at-commit"
		return c, nil
	}
	var errs [4]error
	reqs := []batchRequest{
		{run: func() { _, errs[0] = f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "lost" }) }},
		{run: func() { errs[1] = s.CreateUser(ctx, commit(nil, fresh, eiam.ActionUserCreate, "user.created")) }},
		{run: func() { _, errs[2] = s.UpdateUser(ctx, f.inst, b.ID, poisoned) }},
		{run: func() { _, errs[3] = f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "lost too" }) }},
	}
	batches, writes := inOneBatch(t, s, f, reqs)
	for i, err := range errs {
		if err == nil {
			t.Errorf("request %d was acknowledged; its batch did not commit", i)
		}
	}
	if batches != 1 || writes != 1 {
		t.Errorf("%d transactions committed %d writes; want only the holder's", batches, writes)
	}
	for _, u := range []*eiam.User{a, b} {
		got, err := s.GetUser(ctx, f.inst, u.ID)
		if err != nil || got.Version != 1 || got.Attrs[eiam.AttrNickname] != "" {
			t.Errorf("user %s after the failed batch: %+v, %v; want it unchanged", u.Username(), got, err)
		}
		wantHistory(t, f, u.ID, 1)
	}
	if _, err := s.GetUser(ctx, f.inst, fresh.ID); eiam.ErrorCode(err) != eiam.ErrNotFound {
		t.Errorf("a user created in the failed batch exists: %v", err)
	}
	wantHistory(t, f, fresh.ID)

	// The store recovers: the same writes succeed now.
	if _, err := f.update(a.ID, func(n *eiam.User) { n.Attrs[eiam.AttrNickname] = "kept" }); err != nil {
		t.Fatalf("update after a failed commit: %v", err)
	}
	f.create(t, fresh)
	wantHistory(t, f, a.ID, 1, 2)
}

// dialectName names the database of a sqlstore.Store; empty for other
// stores.
func dialectName(s eiam.Store) string {
	if d, ok := s.(interface{ DialectName() string }); ok {
		return d.DialectName()
	}
	return ""
}

// testConcurrentMixedWrites runs writes that succeed and writes that fail
// (apply's error, a version that does not follow, a claim conflict) from
// many goroutines against a few users, so that batches mix them in every
// way; then every success is counted exactly once in each user's version,
// audit records and events, and no failure left a trace.
func testConcurrentMixedWrites(t *testing.T, s eiam.Store) {
	const goroutines, each, nusers = 16, 40, 4
	ctx := context.Background()
	f := newFixture(t, s)
	f.create(t, f.user("mixed.taken"))
	users := make([]*eiam.User, nusers)
	for i := range users {
		users[i] = f.create(t, f.user(fmt.Sprintf("mixed%d", i)))
	}
	sentinel := errors.New("refused")
	var (
		successes [nusers]atomic.Int64
		lastOK    [goroutines][nusers]int // last i that succeeded, -1 if none
		wg        sync.WaitGroup
	)
	for g := range goroutines {
		for u := range nusers {
			lastOK[g][u] = -1
		}
		wg.Go(func() {
			for i := range each {
				u := (g + i) % nusers
				id := users[u].ID
				var err error
				var wantErr bool
				switch {
				case i%5 == 1:
					wantErr = true
					_, err = s.UpdateUser(ctx, f.inst, id, func(*eiam.User) (*eiam.Commit, error) { return nil, sentinel })
					if err != sentinel {
						t.Errorf("apply's error came back as %v", err)
					}
				case i%7 == 2:
					wantErr = true
					_, err = s.UpdateUser(ctx, f.inst, id, func(cur *eiam.User) (*eiam.Commit, error) {
						return commit(cur, cur.Clone(), eiam.ActionUserUpdate, "user.updated"), nil
					})
				case i%11 == 3:
					wantErr = true
					_, err = f.update(id, func(n *eiam.User) { n.Attrs[eiam.AttrUsername] = "MIXED.TAKEN" })
					if eiam.ErrorCode(err) != eiam.ErrConflict {
						t.Errorf("taking a taken username: %v; want a conflict", err)
					}
				default:
					_, err = f.update(id, func(n *eiam.User) {
						n.CustomFields[fmt.Sprintf("g%02d", g)] = []string{strconv.Itoa(i)}
					})
				}
				switch {
				case wantErr && err == nil:
					t.Errorf("goroutine %d write %d succeeded; want a failure", g, i)
				case !wantErr && err != nil:
					t.Errorf("goroutine %d write %d: %v", g, i, err)
				case !wantErr:
					successes[u].Add(1)
					lastOK[g][u] = i
				}
			}
		})
	}
	wg.Wait()
	for u, user := range users {
		got, err := s.GetUser(ctx, f.inst, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := successes[u].Load()
		if got.Version != 1+n {
			t.Errorf("user %d at version %d after %d successful updates; want %d", u, got.Version, n, 1+n)
		}
		versions := make([]int64, 1+n)
		for i := range versions {
			versions[i] = int64(i + 1)
		}
		wantHistory(t, f, user.ID, versions...)
		for g := range goroutines {
			want := ""
			if lastOK[g][u] >= 0 {
				want = strconv.Itoa(lastOK[g][u])
			}
			if v := got.CustomValue(fmt.Sprintf("g%02d", g)); v != want {
				t.Errorf("user %d: goroutine %d's last value %q, want %q", u, g, v, want)
			}
		}
		if got.Username() != fmt.Sprintf("mixed%d", u) {
			t.Errorf("user %d has username %q; a refused change leaked", u, got.Username())
		}
	}
}
