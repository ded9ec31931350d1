package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eiam/eiam"
)

// EnvCrashKills sets how many times TestCrashSafety kills the server per
// store (default 3, which keeps CI short); docs/testing.md shows a longer
// run.
const EnvCrashKills = "EIAM_CRASH_KILLS"

// The crash test's directory: users whose custom field "counter" its
// writers count up. Every tenth user writes itself through Authing with its
// own token; the others are written by an application through the Alibaba
// developer API. (Few users sign in, as each sign-in and each imported
// password costs an argon2id hash.)
const (
	crashInstance = "idaas_crash"
	crashApp      = "app_crash"
	crashSecret   = "crash-secret"
	crashPassword = "S3cure-pass!"
	crashUsers    = 50
	crashClients  = 16
)

func crashUserID(i int) string    { return fmt.Sprintf("user_crash_%02d", i) }
func crashSelfService(i int) bool { return i%10 == 9 }

// crashData is the import file of the crash test.
func crashData() map[string]any {
	var users []map[string]any
	for i := range crashUsers {
		u := map[string]any{"id": crashUserID(i), "username": fmt.Sprintf("crash%02d", i),
			"custom_fields": map[string]any{"counter": "0"}}
		if crashSelfService(i) {
			u["password"] = crashPassword
		}
		users = append(users, u)
	}
	return map[string]any{"instances": []any{map[string]any{
		"id": crashInstance, "name": "Crash Co",
		"custom_fields": []any{map[string]any{"name": "counter", "data_type": "number", "user_permission": "read_write"}},
		"applications": []any{map[string]any{"id": crashApp, "name": "Load", "client_secret": crashSecret,
			"scopes": []string{"urn:alibaba:idaas:scope:user:manager_all"}}},
		"users": users,
	}}}
}

// TestCrashSafety runs counter updates under load through two dialects,
// kills the server with SIGKILL at random moments and restarts it on the
// same database, and then checks against the database that every
// acknowledged update is there, each exactly once in the audit log, with
// contiguous versions and nothing recorded that no writer sent.
//
// Each user has one writer, which sends 1, 2, 3, … and waits for each
// answer before sending the next value, so the user's history must be an
// increasing run of the values sent. A request without an answer (in
// flight at the kill) may or may not have been committed; the check
// accepts either, but nothing else.
func TestCrashSafety(t *testing.T) {
	kills := 3
	if v := os.Getenv(EnvCrashKills); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", EnvCrashKills, v)
		}
		kills = n
	}
	t.Run("sqlite", func(t *testing.T) { crashTest(t, sqliteProcDB(t), kills) })
	t.Run("postgres", func(t *testing.T) { crashTest(t, postgresProcDB(t, "crash"), kills) })
}

// crashUser is one user's history as its one writer saw it.
type crashUser struct {
	id string
	// token is the user's own Authing access token, or "" for a user the
	// application writes.
	token string
	next  int
	// acked are the values whose update was acknowledged; inDoubt those
	// sent without an answer; refused those the server answered with an
	// error.
	acked   []int
	inDoubt map[int]bool
	refused map[int]string
}

// liveServer tells the writers where the server is: current blocks while
// it is down, and awaitRestart until the one of a later generation is up.
type liveServer struct {
	mu      sync.Mutex
	cond    *sync.Cond
	base    string
	gen     int
	stopped bool
}

func newLiveServer() *liveServer {
	l := &liveServer{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *liveServer) current() (base string, gen int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.base == "" && !l.stopped {
		l.cond.Wait()
	}
	return l.base, l.gen, !l.stopped
}

func (l *liveServer) awaitRestart(gen int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.gen == gen && !l.stopped {
		l.cond.Wait()
	}
}

// set publishes the address of a new server, or "" while there is none.
func (l *liveServer) set(base string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.base = base
	if base != "" {
		l.gen++
	}
	l.cond.Broadcast()
}

func (l *liveServer) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	l.cond.Broadcast()
}

func crashRequestID(userID string, v int) string { return fmt.Sprintf("crash-%s-%d", userID, v) }

// update sends counter = v for u, with its own token or else the
// application's, and reports whether it was acknowledged.
func (u *crashUser) update(c *http.Client, base, appToken string, v int) (reply, bool) {
	hdr := map[string]string{"Content-Type": "application/json", "X-Request-Id": crashRequestID(u.id, v)}
	if u.token != "" {
		hdr["Authorization"] = u.token
		hdr["x-authing-app-id"] = crashApp
		r := do(c, "POST", base+"/api/v3/update-profile", fmt.Appendf(nil, `{"customData":{"counter":%d}}`, v), hdr)
		return r, r.err == nil && r.status == 200 && r.json()["statusCode"] == float64(200)
	}
	hdr["Authorization"] = "Bearer " + appToken
	r := do(c, "PATCH", base+"/v2/"+crashInstance+"/"+crashApp+"/users/"+u.id,
		fmt.Appendf(nil, `{"customFields":[{"fieldName":"counter","fieldValue":"%d","operation":"replace"}]}`, v), hdr)
	return r, r.err == nil && r.status == 200
}

func crashTest(t *testing.T, db procDB, kills int) {
	started := time.Now()
	importData(t, db, crashData())
	c := newHTTPClient()
	p := startProc(t, db)

	appToken := clientCredentials(t, c, p.base, crashInstance, crashApp, crashSecret)
	users := make([]*crashUser, crashUsers)
	for i := range users {
		users[i] = &crashUser{id: crashUserID(i), next: 1, inDoubt: map[int]bool{}, refused: map[int]string{}}
		if crashSelfService(i) {
			users[i].token = authingSignIn(t, c, p.base, crashApp, crashSecret, fmt.Sprintf("crash%02d", i), crashPassword)
		}
	}

	live := newLiveServer()
	live.set(p.base)
	var acks atomic.Int64
	var wg sync.WaitGroup
	for w := range crashClients {
		wg.Go(func() {
			for {
				for i := w; i < len(users); i += crashClients {
					u := users[i]
					base, gen, ok := live.current()
					if !ok {
						return
					}
					v := u.next
					u.next++
					r, ok := u.update(c, base, appToken, v)
					switch {
					case ok:
						u.acked = append(u.acked, v)
						acks.Add(1)
					case r.err != nil:
						u.inDoubt[v] = true
						live.awaitRestart(gen)
					default:
						u.refused[v] = r.String()
					}
				}
			}
		})
	}

	for k := 1; k <= kills; k++ {
		// Kill at a random moment once the load is under way.
		if !awaitAcks(t, &acks, acks.Load()+crashClients, p) {
			break
		}
		time.Sleep(time.Duration(rand.N(int64(time.Second))))
		p.kill(t)
		live.set("")
		if k < kills {
			p = startProc(t, db)
			live.set(p.base)
		}
	}
	live.stop()
	wg.Wait()

	// The last kill is followed by no restart of the server: opening the
	// store recovers the database as the server would.
	s := db.open(t)
	events := eventVersions(t, s)
	var acked, inDoubt, committed int
	for _, u := range users {
		committed += checkCrashHistory(t, s, u, events[u.id])
		acked += len(u.acked)
		inDoubt += len(u.inDoubt)
		if len(u.refused) > 0 {
			v := slices.Min(slices.Collect(maps.Keys(u.refused)))
			t.Errorf("%s: %d updates refused, the first (counter=%d): %s", u.id, len(u.refused), v, u.refused[v])
		}
	}
	t.Logf("%d kills in %.1f s: %d updates acknowledged; %d sent without an answer, %d of them committed",
		kills, time.Since(started).Seconds(), acked, inDoubt, committed)
	if t.Failed() {
		t.Logf("stderr of the last server:\n%s", p.stderr)
	}
}

// awaitAcks waits until at least n updates are acknowledged in all, and
// fails the test if that takes more than a minute.
func awaitAcks(t *testing.T, acks *atomic.Int64, n int64, p *proc) bool {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for acks.Load() < n {
		if time.Now().After(deadline) {
			t.Errorf("no progress: %d of %d updates acknowledged; server stderr:\n%s", acks.Load(), n, p.stderr)
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// eventVersions returns the versions of the outbox events of each user, in
// outbox order.
func eventVersions(t *testing.T, s eiam.AuditStore) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	var after int64
	for {
		evs, err := s.ListEvents(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		for _, e := range evs {
			out[e.UserID] = append(out[e.UserID], e.Version)
			after = e.Seq
		}
	}
}

// checkCrashHistory checks a user's stored state, audit log and events
// against what its writer saw, and returns how many updates sent without
// an answer were committed.
func checkCrashHistory(t *testing.T, s eiam.Store, u *crashUser, events []int64) (committedInDoubt int) {
	t.Helper()
	ctx := context.Background()
	cur, err := s.GetUser(ctx, crashInstance, u.id)
	if err != nil {
		t.Fatalf("%s: %v", u.id, err)
	}
	recs, err := s.ListAudit(ctx, crashInstance, u.id)
	if err != nil {
		t.Fatalf("%s: %v", u.id, err)
	}
	if len(recs) == 0 || recs[0].Action != eiam.ActionUserCreate || recs[0].Version != 1 {
		t.Errorf("%s: the audit log does not start with the import's creation at version 1", u.id)
		return 0
	}
	acked := map[int]bool{}
	for _, v := range u.acked {
		acked[v] = true
	}
	prev, seen := 0, map[int]bool{}
	for i, r := range recs[1:] {
		where := fmt.Sprintf("%s: audit record %d (version %d)", u.id, i+2, r.Version)
		if r.Version != int64(i+2) || r.Action != eiam.ActionUserUpdate {
			t.Errorf("%s: action %s; want %s at version %d (versions must be contiguous)", where, r.Action, eiam.ActionUserUpdate, i+2)
		}
		var ch *eiam.AttrChange
		for j := range r.Changes {
			if r.Changes[j].Attribute == "custom_fields.counter" {
				ch = &r.Changes[j]
			}
		}
		if ch == nil || len(r.Changes) != 1 {
			t.Errorf("%s: changes %+v; want one change of custom_fields.counter", where, r.Changes)
			return committedInDoubt
		}
		v, err := strconv.Atoi(ch.New)
		if err != nil || ch.Old != strconv.Itoa(prev) || v <= prev {
			t.Errorf("%s: counter %q → %q after %d; want an increase from %d", where, ch.Old, ch.New, prev, prev)
		}
		switch {
		case seen[v]:
			t.Errorf("%s: counter=%d recorded twice", where, v)
		case acked[v]:
		case u.inDoubt[v]:
			committedInDoubt++
		default:
			t.Errorf("%s: counter=%d recorded, but it was never sent or was refused", where, v)
		}
		if want := crashRequestID(u.id, v); r.Origin.RequestID != want {
			t.Errorf("%s: request id %q; want %q", where, r.Origin.RequestID, want)
		}
		seen[v] = true
		prev = v
	}
	for _, v := range u.acked {
		if !seen[v] {
			t.Errorf("%s: acknowledged update counter=%d is lost (no audit record)", u.id, v)
		}
	}
	last := recs[len(recs)-1].Version
	if got := cur.CustomFields["counter"]; cur.Version != last || !slices.Equal(got, []string{strconv.Itoa(prev)}) {
		t.Errorf("%s: stored version %d counter %v; the audit log ends at version %d counter %d", u.id, cur.Version, got, last, prev)
	}
	want := make([]int64, last)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if events = slices.Sorted(slices.Values(events)); !slices.Equal(events, want) {
		t.Errorf("%s: event versions %v; want %v (one event per audit record)", u.id, events, want)
	}
	return committedInDoubt
}
