package importer

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressThreshold is the number of users from which progress is shown.
const progressThreshold = 1000

// progress shows how far a phase of an import is ("checking users",
// "writing users") for files large enough to take a while. On a terminal
// it is a bar redrawn in place at most ten times a second; otherwise a line
// about every 10% and at least every ten seconds, for logs.
type progress struct {
	w            io.Writer // nil: show nothing
	bar          bool
	label        string
	count, total int
	now          func() time.Time
	start, shown time.Time
	// nextCount is the count from which the next line is printed.
	nextCount int
}

func (im *Importer) newProgress(label string, total int) *progress {
	if im.opts.Progress == nil || total < progressThreshold {
		return &progress{}
	}
	now := time.Now
	if im.opts.Clock != nil {
		now = im.opts.Clock
	}
	t := now()
	return &progress{w: im.opts.Progress, bar: im.opts.ProgressBar, label: label, total: total,
		now: now, start: t, shown: t, nextCount: total / 10}
}

// add counts n more users done.
func (p *progress) add(n int) {
	if p.w == nil {
		return
	}
	p.count += n
	if p.count >= p.total {
		return // done() prints the last state
	}
	t := p.now()
	switch {
	case p.bar && t.Sub(p.shown) >= 100*time.Millisecond:
		fmt.Fprint(p.w, "\r"+p.barLine(t))
	case !p.bar && (p.count >= p.nextCount || t.Sub(p.shown) >= 10*time.Second):
		fmt.Fprintln(p.w, p.line(t))
		for p.nextCount <= p.count {
			p.nextCount += max(p.total/10, 1)
		}
	default:
		return
	}
	p.shown = t
}

// done prints the final state of the phase.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	t := p.now()
	if p.bar {
		fmt.Fprint(p.w, "\r"+p.barLine(t)+"\n")
		return
	}
	fmt.Fprintln(p.w, p.line(t))
}

// line is "import: checking users 500000/1000000 (50%), 81234/s".
func (p *progress) line(t time.Time) string {
	return fmt.Sprintf("import: %s %d/%d (%d%%), %s", p.label, p.count, p.total, p.percent(), p.rate(t))
}

// barLine is "import: checking users [#####     ] 50% 500000/1000000 81234/s ETA 6s".
func (p *progress) barLine(t time.Time) string {
	const width = 30
	filled := width * p.count / p.total
	eta := ""
	if elapsed := t.Sub(p.start); p.count > 0 && p.count < p.total {
		left := time.Duration(float64(elapsed) * float64(p.total-p.count) / float64(p.count))
		eta = " ETA " + left.Round(time.Second).String()
	}
	// Trailing spaces wipe the end of a longer previous line.
	return fmt.Sprintf("import: %s [%s%s] %3d%% %d/%d %s%s   ", p.label,
		strings.Repeat("#", filled), strings.Repeat(" ", width-filled), p.percent(), p.count, p.total, p.rate(t), eta)
}

func (p *progress) percent() int { return 100 * p.count / p.total }

func (p *progress) rate(t time.Time) string {
	elapsed := t.Sub(p.start)
	if elapsed <= 0 {
		return "in 0s"
	}
	if p.count >= p.total {
		return fmt.Sprintf("in %s", elapsed.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("%.0f/s", float64(p.count)/elapsed.Seconds())
}

func countUsers(f *File) int {
	n := 0
	for _, in := range f.Instances {
		n += in.Users.n
	}
	return n
}
