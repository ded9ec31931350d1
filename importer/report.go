package importer

import (
	"fmt"
	"strings"
)

// Counts says what an import did with one kind of entry.
type Counts struct {
	Created, Updated, Unchanged int
}

// Report is the outcome of an import.
type Report struct {
	Instances    Counts
	OrgUnits     Counts
	CustomFields Counts
	Applications Counts
	AccessKeys   Counts
	Users        Counts
}

func (r *Report) kinds() []struct {
	name string
	c    Counts
} {
	return []struct {
		name string
		c    Counts
	}{
		{"instances", r.Instances}, {"organizational units", r.OrgUnits},
		{"custom fields", r.CustomFields}, {"applications", r.Applications},
		{"access keys", r.AccessKeys}, {"users", r.Users},
	}
}

// Changed reports whether the import wrote anything.
func (r *Report) Changed() bool {
	for _, k := range r.kinds() {
		if k.c.Created+k.c.Updated > 0 {
			return true
		}
	}
	return false
}

// Summary renders the report for a person: one line per kind, and a line
// saying nothing changed when that is so.
func (r *Report) Summary(name string) string {
	var b strings.Builder
	for _, k := range r.kinds() {
		fmt.Fprintf(&b, "%-22s %d created, %d updated, %d unchanged\n", k.name+":", k.c.Created, k.c.Updated, k.c.Unchanged)
	}
	if !r.Changed() {
		fmt.Fprintf(&b, "no changes: everything in %s is already applied\n", name)
	}
	return b.String()
}

func (c *Counts) count(created, changed bool) {
	switch {
	case created:
		c.Created++
	case changed:
		c.Updated++
	default:
		c.Unchanged++
	}
}
