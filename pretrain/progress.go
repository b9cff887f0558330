package pretrain

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a terminal progress bar, or nothing when output is not a
// terminal (logs then carry the same numbers).
type progress struct {
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newProgress(w io.Writer, total, start int) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"),
	)
	bar.Set(start)
	return &progress{bar: bar, w: w}
}

func (p *progress) active() bool { return p.bar != nil }

func (p *progress) set(step int, loss, lr, tps float64) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("loss %.4f lr %.2e %.0f tok/s", loss, lr,
		tps))
	p.bar.Set(step)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
