package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/eiam/eiam/masterkey"
	"github.com/eiam/eiam/token"
)

const keysUsage = `Usage: eiam keys list [flags]
       eiam keys rotate [flags]

Manages the RS256 keys that sign every token (all instances share one ring).

  list     show every key: id, created, signing from, retiring at
  rotate   add a new key, published at once in every JWKS and signing after
           --publish-ahead, so relying parties that cache JWKS learn it
           first; every older key is scheduled to retire once the last
           token it can still sign has expired. No token in use stops
           working. Running servers pick the new key up within a minute.
`

func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	f := newFlagSet("keys", keysUsage, stderr)
	c := f.common(true)
	aheadFlag := f.str("publish-ahead", "EIAM_KEYS_PUBLISH_AHEAD", "1h", "rotate: how long the new key is published before it signs")
	if err := f.parse(args, getenv); err != nil {
		return err
	}
	ahead, err := time.ParseDuration(aheadFlag.value)
	if err != nil || ahead < 0 {
		return aheadFlag.invalid("want a duration such as 1h or 0s")
	}
	switch {
	case sub == "":
		f.fs.Usage()
		return usagef("keys needs a subcommand: list or rotate")
	case sub != "list" && sub != "rotate":
		f.fs.Usage()
		return usagef("unknown keys subcommand %q; want list or rotate", sub)
	case f.fs.NArg() > 0:
		return usagef("keys %s takes no arguments, got %q", sub, f.fs.Arg(0))
	}
	db, err := c.parseDatabase()
	if err != nil {
		return err
	}
	// Never create a master key here: keys sealed with a new one could not
	// be read by the servers that use the existing one.
	key, _, err := masterkey.Load(c.masterKeyPath(db), false)
	if err != nil {
		return fmt.Errorf("master key (%s): %w", c.masterKey.source, err)
	}
	store, err := openStore(ctx, db, key)
	if err != nil {
		return err
	}
	defer store.Close()
	if ahead == 0 {
		ahead = -1 // token.Options: negative, not zero, means "at once"
	}
	tokens := token.New(store, token.Options{PublishAhead: ahead})
	if sub == "rotate" {
		k, err := tokens.Rotate(ctx)
		if err != nil {
			return fmt.Errorf("rotate signing keys: %w", err)
		}
		fmt.Fprintf(stdout, "new signing key %s: published now, signing from %s\n", k.ID, k.ActiveAt.Format(time.RFC3339))
	}
	keys, err := store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].ActiveAt.Before(keys[j].ActiveAt) })
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tALG\tCREATED\tSIGNS FROM\tRETIRES")
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, stamp(k.CreatedAt), stamp(k.ActiveAt), stamp(k.RetireAt))
	}
	return w.Flush()
}
