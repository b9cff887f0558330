// Package runtest holds helpers the stage packages' tests share: what
// a finished run folder holds, read back for assertions.
package runtest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Metrics returns the records of run/metrics.jsonl, in file order,
// whose keys include key (every record when key is empty). A null
// value (a non-finite number when it was written) reads as 0.
func Metrics(t testing.TB, run, key string) []map[string]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		if _, ok := rec[key]; ok || key == "" {
			out = append(out, rec)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Losses returns step → (loss, lr) from the records with a loss.
func Losses(t testing.TB, run string) map[int][2]float64 {
	t.Helper()
	out := map[int][2]float64{}
	for _, rec := range Metrics(t, run, "loss") {
		out[int(rec["step"])] = [2]float64{rec["loss"], rec["lr"]}
	}
	return out
}
