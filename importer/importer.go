package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/password"
)

// Store is what an import reads and writes.
type Store interface {
	directory.Store
	eiam.ApplicationStore
	eiam.AccessKeyStore
}

// Options configure an Importer.
type Options struct {
	// Hasher hashes and verifies passwords and client secrets; required.
	Hasher *password.Hasher
	// Index derives blind indexes of encrypted unique values (the master
	// key); it must be the one the server uses.
	Index directory.Indexer
	// Policy is the password policy; directory.DefaultPolicy when zero.
	Policy directory.PasswordPolicy
	Clock  eiam.Clock
	// Progress receives the progress of large imports; nil for none.
	Progress io.Writer
	// ProgressBar draws progress as a bar redrawn in place, for a
	// terminal; otherwise it is written as lines.
	ProgressBar bool

	// phones remembers which phone numbers are valid, for the check and
	// the writing of the users alike.
	phones *directory.PhoneMemo
}

// Importer applies import files to a store.
type Importer struct {
	store Store
	dir   *directory.Service
	opts  Options
	// checkBatch and writeBatch are how many users are checked and
	// written together.
	checkBatch, writeBatch int
}

// importActor is on whose authority an import changes users.
var importActor = eiam.Actor{Kind: eiam.ActorAdmin, ID: "import"}

// New returns an Importer writing users through a directory.Service over store.
func New(store Store, opts Options) (*Importer, error) {
	if opts.Hasher == nil {
		return nil, errors.New("importer: a password hasher is required")
	}
	if opts.phones == nil {
		opts.phones = directory.NewPhoneMemo(rememberPhones)
	}
	return &Importer{store: store, dir: directory.New(store, opts.directoryOptions()), opts: opts,
		checkBatch: checkBatch, writeBatch: writeBatch}, nil
}

func (o Options) directoryOptions() directory.Options {
	return directory.Options{Clock: o.Clock, Passwords: o.Hasher, Index: o.Index, Policy: o.Policy,
		Phones: o.phones}
}

// rememberPhones is how many phone numbers' validity an Importer remembers
// between checking users and writing them: enough for a file of two million
// users with a phone each, in at most about 100 MB.
const rememberPhones = 1 << 21

// Import reads a file from r and applies it. When the file has problems it
// returns a *ValidationError listing all of them and writes nothing.
//
// The file is read three times: for everything but its users, to check its
// users, and to apply them; users are never all in memory.
func (im *Importer) Import(ctx context.Context, r io.ReadSeeker) (*Report, error) {
	f, probs, err := decodeOutline(r)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &ValidationError{Problems: []Problem{se.problem}}
		}
		return nil, err
	}
	p, more, err := im.check(ctx, f, r)
	if err != nil {
		return nil, err
	}
	if probs = append(probs, more...); len(probs) > 0 {
		sortProblems(probs)
		return nil, &ValidationError{Problems: probs}
	}
	rep := &Report{}
	if err := im.apply(ctx, p, r, rep); err != nil {
		return rep, fmt.Errorf("import stopped after writing part of the file (re-running it completes it): %w", err)
	}
	return rep, nil
}
