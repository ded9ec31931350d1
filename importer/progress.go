package importer

import (
	"fmt"
	"io"
)

// progressThreshold is the number of users from which progress is shown.
const progressThreshold = 1000

// progress prints how many users have been checked or applied, about
// every 5%, for files large enough to take a while.
type progress struct {
	w            io.Writer
	verb         string
	count, total int
	step         int
}

func newProgress(w io.Writer, verb string, total int) *progress {
	if w == nil || total < progressThreshold {
		return &progress{}
	}
	return &progress{w: w, verb: verb, total: total, step: max(total/20, progressThreshold)}
}

func (p *progress) user() {
	if p.w == nil {
		return
	}
	p.count++
	if p.count%p.step == 0 && p.count < p.total {
		fmt.Fprintf(p.w, "import: %d/%d users %s\n", p.count, p.total, p.verb)
	}
}

func (p *progress) done() {
	if p.w != nil {
		fmt.Fprintf(p.w, "import: %d/%d users %s\n", p.count, p.total, p.verb)
	}
}

func countUsers(f *File) int {
	n := 0
	for _, in := range f.Instances {
		n += len(in.Users)
	}
	return n
}
