package importer

import (
	"fmt"
	"io"
)

// progressThreshold is the number of users from which progress is shown.
const progressThreshold = 1000

// progress prints how many users have been applied, about every 5%.
type progress struct {
	w            io.Writer
	count, total int
	step         int
}

func newProgress(w io.Writer, p *plan) *progress {
	total := 0
	for _, ip := range p.instances {
		total += len(ip.users)
	}
	if w == nil || total < progressThreshold {
		return &progress{}
	}
	return &progress{w: w, total: total, step: max(total/20, progressThreshold)}
}

func (p *progress) user() {
	if p.w == nil {
		return
	}
	p.count++
	if p.count%p.step == 0 && p.count < p.total {
		fmt.Fprintf(p.w, "import: %d/%d users applied\n", p.count, p.total)
	}
}

func (p *progress) done() {
	if p.w != nil {
		fmt.Fprintf(p.w, "import: %d/%d users applied\n", p.count, p.total)
	}
}
