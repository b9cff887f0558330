package pretrain

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Metrics appends records to RUN/metrics.jsonl and remembers two
// curves for a plot. Every stage writes its metrics through it.
type Metrics struct {
	f           *os.File
	curves      Curves
	train, eval plotter.XYs
}

// Curves names the two record keys a Metrics plots, with the plot's
// title (after the stage name), y label and legend entries.
type Curves struct {
	Train, Eval             string
	Title, YLabel           string
	TrainLegend, EvalLegend string
}

// LossCurves are the training and validation loss, for loss.png.
var LossCurves = Curves{Train: "loss", Eval: "val_loss", Title: "loss",
	YLabel: "loss (nats/token)", TrainLegend: "train",
	EvalLegend: "validation"}

// OpenMetrics opens RUN/metrics.jsonl with the LossCurves.
func OpenMetrics(run string, step int) (*Metrics, error) {
	return OpenMetricsCurves(run, step, LossCurves)
}

// OpenMetricsCurves opens RUN/metrics.jsonl for appending, dropping
// records past step (those of a stretch being redone after a resume
// from an earlier checkpoint), and reloads the curves c names.
func OpenMetricsCurves(run string, step int, c Curves) (*Metrics, error) {
	path := filepath.Join(run, "metrics.jsonl")
	m := &Metrics{curves: c}
	var kept bytes.Buffer
	if b, err := os.ReadFile(path); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec map[string]float64
			if json.Unmarshal(sc.Bytes(), &rec) != nil ||
				int(rec["step"]) > step {
				continue
			}
			kept.Write(sc.Bytes())
			kept.WriteByte('\n')
			m.remember(rec)
		}
	}
	if err := os.WriteFile(path, kept.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("pretrain: metrics: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pretrain: metrics: %w", err)
	}
	m.f = f
	return m, nil
}

func (m *Metrics) remember(rec map[string]float64) {
	if v, ok := rec[m.curves.Train]; ok {
		m.train = append(m.train, plotter.XY{X: rec["step"], Y: v})
	}
	if v, ok := rec[m.curves.Eval]; ok {
		m.eval = append(m.eval, plotter.XY{X: rec["step"], Y: v})
	}
}

// Write appends one record; non-finite values, which JSON cannot hold,
// become null.
func (m *Metrics) Write(rec map[string]float64) {
	m.remember(rec)
	out := make(map[string]any, len(rec))
	for k, v := range rec {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[k] = nil
		} else {
			out[k] = v
		}
	}
	b, _ := json.Marshal(out)
	m.f.Write(append(b, '\n'))
}

// Log writes vals as the record of step and logs them as msg, keys
// in sorted order, values rounded to 4 decimals.
func (m *Metrics) Log(log *slog.Logger, msg string, step int,
	vals map[string]float64) {
	rec := map[string]float64{"step": float64(step)}
	args := []any{"step", step}
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		rec[k] = vals[k]
		args = append(args, k, Round(vals[k], 4))
	}
	m.Write(rec)
	log.Info(msg, args...)
}

// Close closes the file.
func (m *Metrics) Close() error { return m.f.Close() }

// Plot draws the two curves into path; it does nothing before the
// first record with the training key.
func (m *Metrics) Plot(path, stage string) error {
	if len(m.train) == 0 {
		return nil
	}
	c := m.curves
	p := plot.New()
	p.Title.Text = stage + " " + c.Title
	p.X.Label.Text = "step"
	p.Y.Label.Text = c.YLabel
	train, err := plotter.NewLine(m.train)
	if err != nil {
		return fmt.Errorf("pretrain: plot: %w", err)
	}
	p.Add(train)
	p.Legend.Add(c.TrainLegend, train)
	if len(m.eval) > 0 {
		val, err := plotter.NewLine(m.eval)
		if err != nil {
			return fmt.Errorf("pretrain: plot: %w", err)
		}
		val.Color = plotter.DefaultGlyphStyle.Color
		val.Width = vg.Points(2)
		val.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(val)
		p.Legend.Add(c.EvalLegend, val)
	}
	tmp := path + ".tmp.png"
	if err := p.Save(7*vg.Inch, 4*vg.Inch, tmp); err != nil {
		return fmt.Errorf("pretrain: plot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pretrain: plot: %w", err)
	}
	return nil
}
