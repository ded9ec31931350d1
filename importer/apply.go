package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
)

// apply is phase 2: it writes what differs, users through the directory,
// reading them from r again.
func (im *Importer) apply(ctx context.Context, p *plan, r io.ReadSeeker, rep *Report) error {
	now := time.Now
	if im.opts.Clock != nil {
		now = im.opts.Clock
	}
	origin := eiam.Origin{Dialect: "import", RequestID: eiam.NewID("import")}
	total := 0
	for _, ip := range p.instances {
		total += len(ip.users)
	}
	for _, ip := range p.instances {
		inst, err := im.applyInstance(ctx, ip, rep, now())
		if err != nil {
			return fmt.Errorf("%s: %w", ip.path, err)
		}
		for _, up := range ip.units {
			ou := up.ou
			if ou.ParentID == "" {
				ou.ParentID = inst.RootOUID
			}
			same := up.existing != nil && up.existing.Name == ou.Name && up.existing.ParentID == ou.ParentID
			if !same {
				if _, err := im.store.PutOrgUnit(ctx, &ou); err != nil {
					return fmt.Errorf("%s: write organizational unit %s: %w", ip.path, ou.ID, err)
				}
			}
			rep.OrgUnits.count(up.existing == nil, !same)
		}
		for _, fp := range ip.fields {
			same := fp.existing != nil && sameDefinition(fp.existing, fp.def)
			if !same {
				if err := im.dir.PutField(ctx, fp.def); err != nil {
					return fmt.Errorf("%s: write custom field %s: %w", ip.path, fp.def.Name, err)
				}
			}
			rep.CustomFields.count(fp.existing == nil, !same)
		}
		for _, ap := range ip.apps {
			a := ap.app
			ex := ap.existing
			same := ex != nil && ap.keepHash && ex.Name == a.Name && ex.ClientID == a.ClientID &&
				slices.Equal(ex.RedirectURIs, a.RedirectURIs) && slices.Equal(ex.Scopes, a.Scopes) && ex.Disabled == a.Disabled
			if !same {
				if !ap.keepHash && ap.secret != "" {
					if a.SecretHash, err = im.opts.Hasher.Hash(ap.secret); err != nil {
						return fmt.Errorf("hash client secret: %w", err)
					}
				}
				if a.CreatedAt.IsZero() {
					a.CreatedAt = now().UTC()
				}
				if err := im.store.PutApplication(ctx, &a); err != nil {
					return fmt.Errorf("%s: write application %s: %w", ip.path, a.ID, err)
				}
			}
			rep.Applications.count(ex == nil, !same)
		}
	}
	// Users last, once every instance, unit and field exists. A batch is
	// prepared (decoded, diffed, checked and planned) while the one
	// before it is written.
	appliers := make([]*userApplier, len(p.instances))
	prog := im.newProgress("writing users", total)
	for i, ip := range p.instances {
		appliers[i] = &userApplier{users: newUsers(im, im.dir, ip, ip.defs), origin: origin, rep: rep, prog: prog}
	}
	w := newWriter(im.store.BulkWriter())
	err := eachUserBatch(r, im.writeBatch, func(i int, batch []rawUser) error {
		return appliers[i].batch(ctx, batch, w)
	})
	// A failed write stops the reading with errWriteFailed; its own
	// error is the one to report.
	if werr := w.close(); werr != nil && (err == nil || errors.Is(err, errWriteFailed)) {
		err = werr
	}
	if err != nil {
		return err
	}
	prog.done()
	for _, kp := range p.keys {
		k := kp.key
		ex := kp.existing
		same := ex != nil && ex.Secret == k.Secret && slices.Equal(ex.Actions, k.Actions) &&
			slices.Equal(ex.Instances, k.Instances) && ex.Disabled == k.Disabled
		if !same {
			if k.CreatedAt.IsZero() {
				k.CreatedAt = now().UTC()
			}
			if err := im.store.PutAccessKey(ctx, &k); err != nil {
				return fmt.Errorf("write access key %s: %w", k.ID, err)
			}
		}
		rep.AccessKeys.count(ex == nil, !same)
	}
	return nil
}

// writer runs writes on goroutines of its own, so that the next batch is
// prepared meanwhile. New users go through bulk, which may keep them in one
// transaction until Commit; every other write commits it first (it would
// wait for it otherwise). After a write fails, the others are dropped and
// the error is returned by the next send or close.
//
// Writes of new users only may run side by side, up to concurrency at once,
// when bulk commits each batch on its own (concurrentBulk): a PostgreSQL
// server spent the write phase of an import in one backend, at most one
// core, while eiam waited for it. A write that is not one of those runs
// alone, once every write before it has finished.
type writer struct {
	bulk eiam.BulkWriter
	// holds: bulk keeps its batches in one transaction until Commit (it
	// is not a concurrentBulk).
	holds       bool
	concurrency int
	writes      chan queuedWrite
	done        chan struct{}
	failed      atomic.Bool

	// mu guards err and what writes side by side count (account); a
	// write that runs alone counts without it.
	mu  sync.Mutex
	err error
}

type queuedWrite struct {
	run func() error
	// alone: the write must not overlap another.
	alone bool
}

// concurrentBulk is a BulkWriter that may write batches side by side: each
// of its CreateUsers calls is a transaction of its own on a connection of
// its own (sqlstore on PostgreSQL).
type concurrentBulk interface {
	Concurrent() bool
}

// concurrentBatches is how many batches of new users a concurrent bulk
// writer writes at once: enough to keep the database busy while one batch
// commits and the next is sent.
const concurrentBatches = 2

func newWriter(bulk eiam.BulkWriter) *writer {
	w := &writer{bulk: bulk, holds: true, concurrency: 1, writes: make(chan queuedWrite, 1), done: make(chan struct{})}
	if cb, ok := bulk.(concurrentBulk); ok && cb.Concurrent() {
		w.holds, w.concurrency = false, concurrentBatches
	}
	go w.loop()
	return w
}

func (w *writer) loop() {
	defer close(w.done)
	var running sync.WaitGroup
	slots := make(chan struct{}, w.concurrency)
	run := func(write func() error) {
		if err := write(); err != nil {
			w.fail(err)
		}
	}
	for write := range w.writes {
		if w.failed.Load() {
			continue
		}
		if write.alone || w.concurrency == 1 {
			running.Wait()
			if !w.failed.Load() { // one of those waited for may have failed
				run(write.run)
			}
			continue
		}
		slots <- struct{}{}
		if w.failed.Load() { // the write whose slot this was may have failed
			<-slots
			continue
		}
		running.Add(1)
		go func() {
			defer func() { <-slots; running.Done() }()
			run(write.run)
		}()
	}
	running.Wait()
	if !w.failed.Load() {
		if err := w.bulk.Commit(); err != nil {
			w.fail(fmt.Errorf("commit new users: %w", err))
		}
	} else {
		_ = w.bulk.Rollback()
	}
}

// fail records the first error of a write.
func (w *writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
	w.failed.Store(true)
}

// release commits what bulk holds, before a write that is not one of its
// own, which would wait for it. A bulk that commits each batch holds
// nothing, and its Commit is left for the end, where it does once what is
// due after an import (PostgreSQL's ANALYZE), not before every batch with
// updates.
func (w *writer) release() error {
	if !w.holds {
		return nil
	}
	if err := w.bulk.Commit(); err != nil {
		return fmt.Errorf("commit new users: %w", err)
	}
	return nil
}

// account runs fn, which counts what a write did, apart from every other.
func (w *writer) account(fn func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn()
}

// send queues a write (alone: one that must not overlap another); it
// returns errWriteFailed once one has failed.
func (w *writer) send(alone bool, write func() error) error {
	if w.failed.Load() {
		return errWriteFailed
	}
	w.writes <- queuedWrite{run: write, alone: alone}
	return nil
}

// errWriteFailed stops the reading of a file after a write failed; close
// returns the write's error.
var errWriteFailed = errors.New("a write failed")

// close waits for the queued writes and returns the first error.
func (w *writer) close() error {
	close(w.writes)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// userApplier writes the users of one instance, a batch at a time: the new
// ones of a batch in one transaction (directory.Service.PrepareUsers, then
// PreparedUsers.Write), the changed ones one by one
// (directory.Service.UpdateUser).
type userApplier struct {
	*users
	origin eiam.Origin
	rep    *Report
	prog   *progress
}

func (ua *userApplier) batch(ctx context.Context, batch []rawUser, w *writer) error {
	var todo []rawUser
	unchanged := 0
	for _, r := range batch {
		if ua.ip.users[r.k] == actUnchanged {
			unchanged++
			continue
		}
		todo = append(todo, r)
	}
	es, err := ua.decode(todo, nil)
	if err != nil {
		return err
	}
	var creates, updates []*entry
	for _, e := range es {
		switch ua.ip.users[e.k] {
		case actCreate:
			creates = append(creates, e)
		case actUpdateKeepPassword:
			e.samePassword = true
			fallthrough
		default:
			updates = append(updates, e)
		}
	}
	var prepared *directory.PreparedUsers
	if len(creates) > 0 {
		nus := make([]directory.NewUser, len(creates))
		for i, e := range creates {
			nus[i] = directory.NewUser{ID: e.u.ID, Change: ua.full(e.u)}
		}
		if prepared, err = ua.dir.PrepareUsers(ctx, ua.ip.in.ID, nus, importActor, ua.origin); err != nil {
			var ie *directory.ItemError
			if errors.As(err, &ie) {
				return fmt.Errorf("%s: create user: %w", creates[ie.Index].path, ie.Err)
			}
			return fmt.Errorf("%s: create users: %w", creates[0].path, err)
		}
	}
	// Only a batch of new users may be written beside another: an update
	// reads what is stored, which a batch still being written may change.
	return w.send(len(updates) > 0, func() error {
		if prepared != nil {
			if _, err := prepared.Write(ctx, w.bulk); err != nil {
				return fmt.Errorf("%s to %s: create users: %w", creates[0].path, creates[len(creates)-1].path, err)
			}
		}
		w.account(func() {
			ua.rep.Users.Created += len(creates)
			ua.rep.Users.Unchanged += unchanged
			ua.prog.add(len(creates) + unchanged)
		})
		if len(updates) == 0 {
			return nil
		}
		if err := w.release(); err != nil {
			return err
		}
		return ua.update(ctx, updates)
	})
}

// update applies the changes of stored users, diffing each against what is
// stored now rather than what the check saw.
func (ua *userApplier) update(ctx context.Context, es []*entry) error {
	if len(es) == 0 {
		return nil
	}
	if err := ua.stored(ctx, es, false); err != nil {
		return err
	}
	for _, e := range es {
		if e.existing == nil {
			return fmt.Errorf("%s: the stored user it names was deleted during the import", e.path)
		}
		change := ua.diff(e.existing, e.u, e.samePassword)
		if change.Empty() {
			ua.rep.Users.Unchanged++
		} else {
			if _, err := ua.dir.UpdateUser(ctx, ua.ip.in.ID, e.existing.ID, change, importActor, ua.origin); err != nil {
				return fmt.Errorf("%s: update user %s: %w", e.path, e.existing.ID, err)
			}
			ua.rep.Users.Updated++
		}
		ua.prog.add(1)
	}
	return nil
}

func (im *Importer) applyInstance(ctx context.Context, ip *instancePlan, rep *Report, now time.Time) (*eiam.Instance, error) {
	ex := ip.existing
	same := ex != nil && ex.Name == ip.in.Name
	if !same {
		in := &eiam.Instance{ID: ip.in.ID, Name: ip.in.Name, CreatedAt: now.UTC()}
		if ex != nil {
			in.RootOUID, in.CreatedAt = ex.RootOUID, ex.CreatedAt
		}
		if _, err := im.store.PutInstance(ctx, in); err != nil {
			return nil, fmt.Errorf("write instance: %w", err)
		}
	}
	rep.Instances.count(ex == nil, !same)
	if same {
		return ex, nil
	}
	// Read it back: a new instance's root unit is created by the store.
	inst, err := im.store.GetInstance(ctx, ip.in.ID)
	if err != nil {
		return nil, fmt.Errorf("read instance back: %w", err)
	}
	return inst, nil
}

// sameDefinition compares what a file states of a definition.
func sameDefinition(a, b *eiam.FieldDefinition) bool {
	return a.ID == b.ID && a.Name == b.Name && a.DisplayName == b.DisplayName && a.DataType == b.DataType &&
		a.DisplayType == b.DisplayType && slices.Equal(a.Items, b.Items) && a.DefaultValue == b.DefaultValue &&
		a.Description == b.Description && a.Required == b.Required && a.Unique == b.Unique &&
		a.Encrypted == b.Encrypted && a.UserPermission == b.UserPermission && a.MaxLength == b.MaxLength &&
		a.Disabled == b.Disabled
}
