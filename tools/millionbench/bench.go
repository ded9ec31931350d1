package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
	"github.com/eiam/eiam/sqlstore"
)

// config is what to measure and how much.
type config struct {
	samples int
	// targets is how many users, drawn at random, the update runs change.
	targets  int
	duration time.Duration
	clients  int
	rounds   int
	out      io.Writer
}

var (
	admin  = eiam.Actor{Kind: eiam.ActorAdmin, ID: "millionbench"}
	origin = eiam.Origin{Dialect: "millionbench", RequestID: "millionbench"}
)

func newDirectory(s *sqlstore.Store) (*directory.Service, error) {
	h, err := password.NewHasher(password.DefaultParams)
	if err != nil {
		return nil, err
	}
	return directory.New(s, directory.Options{Passwords: h}), nil
}

// run measures the directory of big's instance inst and, with small, the
// updates of a directory of 10^3 users beside it. It returns an error when
// any operation fails or answers wrongly.
func (c *config) run(ctx context.Context, big *sqlstore.Store, inst string, small *sqlstore.Store) error {
	dir, err := newDirectory(big)
	if err != nil {
		return err
	}
	total, err := big.ListUsers(ctx, inst, eiam.UserQuery{Limit: 1, WithTotal: true})
	if err != nil {
		return err
	}
	if total.Total == 0 {
		return fmt.Errorf("instance %s has no users", inst)
	}
	users, err := sample(ctx, big, inst, c.samples)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%d users in %s; %d of them sampled; each operation run once per sample, one at a time\n\n",
		total.Total, inst, len(users))
	fmt.Fprintf(c.out, "%-44s %9s %9s %9s\n", "operation", "p50", "p99", "max")
	for _, op := range operations(dir, inst) {
		var times []time.Duration
		for _, u := range users {
			start := time.Now()
			err := op.run(ctx, u)
			times = append(times, time.Since(start))
			if err != nil {
				return fmt.Errorf("%s of user %s: %w", op.name, u.ID, err)
			}
		}
		slices.Sort(times)
		fmt.Fprintf(c.out, "%-44s %9s %9s %9s\n", op.name, round(pct(times, 50)), round(pct(times, 99)), round(times[len(times)-1]))
	}
	if small == nil {
		fmt.Fprintln(c.out, "\nno --baseline-database: updates not compared")
		return c.rss()
	}
	if err := fill(ctx, small, "idaas_baseline", 1000); err != nil {
		return fmt.Errorf("fill the baseline: %w", err)
	}
	bigTargets, err := sampleIDs(ctx, big, inst, c.targets)
	if err != nil {
		return err
	}
	smallTargets, err := sampleIDs(ctx, small, "idaas_baseline", 1000)
	if err != nil {
		return err
	}
	smallDir, err := newDirectory(small)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "\nprofile updates (nickname) of %d random users through directory.Service, %d clients, %s per run:\n",
		len(bigTargets), c.clients, c.duration)
	var bigN, smallN int64
	for round := 1; round <= c.rounds; round++ {
		for _, d := range []struct {
			name string
			dir  *directory.Service
			inst string
			ids  []string
			sum  *int64
		}{
			{fmt.Sprintf("%d users", total.Total), dir, inst, bigTargets, &bigN},
			{"1000 users", smallDir, "idaas_baseline", smallTargets, &smallN},
		} {
			n, err := c.updates(ctx, d.dir, d.inst, d.ids)
			if err != nil {
				return fmt.Errorf("updates on %s: %w", d.name, err)
			}
			*d.sum += n
			fmt.Fprintf(c.out, "  run %d, %-16s %8.0f updates/s\n", round, d.name+":", float64(n)/c.duration.Seconds())
		}
	}
	fmt.Fprintf(c.out, "  ratio %d users / 1000 users: %.2f\n", total.Total, float64(bigN)/float64(smallN))
	return c.rss()
}

// rss prints the resident memory of this process, store caches included.
func (c *config) rss() error {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil // not Linux: nothing to report
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			fmt.Fprintf(c.out, "\n%s", strings.Join(strings.Fields(line), " "))
		}
	}
	fmt.Fprintln(c.out)
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100]
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 100*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// sample returns n users of the instance picked at random.
func sample(ctx context.Context, s *sqlstore.Store, inst string, n int) ([]*eiam.User, error) {
	ids, err := sampleIDs(ctx, s, inst, n)
	if err != nil {
		return nil, err
	}
	users := make([]*eiam.User, len(ids))
	for i, id := range ids {
		if users[i], err = s.GetUser(ctx, inst, id); err != nil {
			return nil, err
		}
	}
	return users, nil
}

// sampleIDs returns the ids of n users of the instance picked at random.
func sampleIDs(ctx context.Context, s *sqlstore.Store, inst string, n int) ([]string, error) {
	query := `SELECT id FROM users WHERE instance_id = ? ORDER BY random() LIMIT ?`
	if s.DialectName() == "postgres" {
		query = `SELECT id FROM users WHERE instance_id = $1 ORDER BY random() LIMIT $2`
	}
	rows, err := s.DB().QueryContext(ctx, query, inst, n)
	if err != nil {
		return nil, fmt.Errorf("sample users: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ids, nil
}

// operation is a read measured once per sampled user.
type operation struct {
	name string
	run  func(ctx context.Context, u *eiam.User) error
}

func operations(dir *directory.Service, inst string) []operation {
	find := func(kind string, value func(u *eiam.User) string) func(ctx context.Context, u *eiam.User) error {
		return func(ctx context.Context, u *eiam.User) error {
			got, err := dir.FindUser(ctx, inst, kind, value(u))
			if err == nil && got.ID != u.ID {
				err = fmt.Errorf("found %s", got.ID)
			}
			return err
		}
	}
	// search lists the first page of users whose key starts with the
	// prefix of u's, and checks that every user listed has it.
	search := func(q func(u *eiam.User) (eiam.UserQuery, string), key func(u *eiam.User) string, second bool) func(ctx context.Context, u *eiam.User) error {
		return func(ctx context.Context, u *eiam.User) error {
			query, prefix := q(u)
			if second {
				query.Limit = 20
				page, err := dir.ListUsers(ctx, inst, query)
				if err != nil {
					return err
				}
				query.After = page.Next
			}
			query.Limit = 20
			page, err := dir.ListUsers(ctx, inst, query)
			if err != nil {
				return err
			}
			if len(page.Users) == 0 && !second {
				return fmt.Errorf("no user starts with %q", prefix)
			}
			for _, v := range page.Users {
				if !strings.HasPrefix(strings.ToLower(key(v)), prefix) {
					return fmt.Errorf("%s listed for prefix %q", key(v), prefix)
				}
			}
			if query.WithTotal && page.Total < int64(len(page.Users)) {
				return fmt.Errorf("total %d below the page's %d users", page.Total, len(page.Users))
			}
			return nil
		}
	}
	username := func(u *eiam.User) string { return u.Username() }
	display := func(u *eiam.User) string { return u.Attr(eiam.AttrDisplayName) }
	// A username prefix of all but its last two characters (tens to
	// hundreds of users in a generated file); a display-name prefix of all
	// but its last character (thousands).
	byUsername := func(total bool) func(u *eiam.User) (eiam.UserQuery, string) {
		return func(u *eiam.User) (eiam.UserQuery, string) {
			p := strings.ToLower(username(u))
			p = p[:max(1, len(p)-2)]
			return eiam.UserQuery{UsernamePrefix: p, WithTotal: total}, p
		}
	}
	byDisplay := func(total bool) func(u *eiam.User) (eiam.UserQuery, string) {
		return func(u *eiam.User) (eiam.UserQuery, string) {
			p := strings.ToLower(display(u))
			p = p[:max(1, len(p)-1)]
			return eiam.UserQuery{DisplayNamePrefix: p, WithTotal: total}, p
		}
	}
	return []operation{
		{"get by id", func(ctx context.Context, u *eiam.User) error {
			_, err := dir.GetUser(ctx, inst, u.ID)
			return err
		}},
		{"find by email", find(eiam.ClaimEmail, func(u *eiam.User) string { return u.Attr(eiam.AttrEmail) })},
		{"find by phone", find(eiam.ClaimPhone, func(u *eiam.User) string {
			return u.Attr(eiam.AttrPhoneRegion) + " " + u.Attr(eiam.AttrPhoneNumber)
		})},
		{"find by external id", find(eiam.ClaimExternalID, func(u *eiam.User) string { return u.Attr(eiam.AttrExternalID) })},
		{"find by unique custom field (employee_no)", find(eiam.ClaimCustomPrefix+"employee_no", func(u *eiam.User) string {
			return u.CustomValue("employee_no")
		})},
		{"username prefix, first page", search(byUsername(false), username, false)},
		{"username prefix, first page + total", search(byUsername(true), username, false)},
		{"username prefix, page after a cursor", search(byUsername(false), username, true)},
		{"display-name prefix, first page", search(byDisplay(false), display, false)},
		{"display-name prefix, first page + total", search(byDisplay(true), display, false)},
		{"display-name prefix, page after a cursor", search(byDisplay(false), display, true)},
	}
}

// updates changes the nickname of random users of ids from c.clients
// goroutines for c.duration and returns how many updates were made.
func (c *config) updates(ctx context.Context, dir *directory.Service, inst string, ids []string) (int64, error) {
	var n atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	deadline := time.Now().Add(c.duration)
	for w := range c.clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := 0; time.Now().Before(deadline); i++ {
				id := ids[rng.IntN(len(ids))]
				ch := &eiam.ProfileChange{}
				ch.SetAttr(eiam.AttrNickname, fmt.Sprintf("n%d-%d", w, i))
				if _, err := dir.UpdateUser(ctx, inst, id, ch, admin, origin); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load(), first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// fill gives the instance (created if need be) n users shaped like those
// of tools/genusers, through the directory, unless it has users already.
func fill(ctx context.Context, s *sqlstore.Store, inst string, n int) error {
	if _, err := s.GetInstance(ctx, inst); eiam.ErrorCode(err) == eiam.ErrNotFound {
		if _, err := s.PutInstance(ctx, &eiam.Instance{ID: inst, Name: inst, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	page, err := s.ListUsers(ctx, inst, eiam.UserQuery{Limit: 1})
	if err != nil || len(page.Users) > 0 {
		return err
	}
	dir, err := newDirectory(s)
	if err != nil {
		return err
	}
	if err := dir.PutField(ctx, &eiam.FieldDefinition{InstanceID: inst, Name: "employee_no", DataType: eiam.TypeString,
		Unique: true, UserPermission: eiam.PermReadOnly}); err != nil {
		return err
	}
	families := []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"}
	givens := []string{"Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang"}
	w := s.BulkWriter()
	const batch = 5000
	for from := 0; from < n; from += batch {
		var nus []directory.NewUser
		for i := from; i < min(n, from+batch); i++ {
			family, given := families[i%len(families)], givens[i/len(families)%len(givens)]
			ch := &eiam.ProfileChange{}
			ch.SetAttr(eiam.AttrUsername, fmt.Sprintf("%s.%s.%07d", strings.ToLower(given), strings.ToLower(family), i))
			ch.SetAttr(eiam.AttrDisplayName, given+" "+family)
			ch.SetAttr(eiam.AttrEmail, fmt.Sprintf("u%07d@bench.example.com", i))
			ch.SetFlag(eiam.FlagEmailVerified, true)
			ch.SetAttr(eiam.AttrPhoneRegion, "86")
			ch.SetAttr(eiam.AttrPhoneNumber, fmt.Sprintf("139%08d", i))
			ch.SetFlag(eiam.FlagPhoneNumberVerified, true)
			ch.SetAttr(eiam.AttrExternalID, fmt.Sprintf("hr-%07d", i))
			ch.CustomFields = []eiam.CustomFieldOp{{Name: "employee_no", Value: fmt.Sprintf("E%07d", i), Op: eiam.OpReplace}}
			nus = append(nus, directory.NewUser{Change: ch})
		}
		p, err := dir.PrepareUsers(ctx, inst, nus, admin, origin)
		if err != nil {
			return err
		}
		if _, err := p.Write(ctx, w); err != nil {
			return err
		}
	}
	return w.Commit()
}
