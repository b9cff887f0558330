package data

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestBuiltinCorpus(t *testing.T) {
	a, b := BuiltinCorpus(1), BuiltinCorpus(1)
	if !slices.Equal(a, b) {
		t.Fatal("corpus is not deterministic")
	}
	if slices.Equal(a, BuiltinCorpus(2)) {
		t.Error("seed does not change the corpus")
	}
	size := 0
	for _, d := range a {
		size += len(d)
	}
	if size < 300_000 || size > 1_100_000 {
		t.Errorf("corpus is %d bytes, want 0.3-1.1 MB", size)
	}
	all := strings.Join(a, "\n")

	// The corpus states the facts the tasks ask about.
	facts := BuiltinWorld().Facts()
	stated := 0
	for _, f := range facts {
		if strings.Contains(all, f.Statement) {
			stated++
		}
	}
	if stated != len(facts) {
		t.Errorf("%d of %d facts stated in the corpus", stated, len(facts))
	}
	for _, kind := range []string{"plus", "minus", "Copy the words:",
		"Reverse the words:", "Sort the words:", "Sort the numbers:",
		"Count from"} {
		if !strings.Contains(all, kind) {
			t.Errorf("corpus never shows %q", kind)
		}
	}

	// Nearly all of it passes the default filters and dedup.
	cfg := DefaultFilterConfig()
	d, _ := NewDeduper(DefaultDedupConfig())
	var kept []string
	for _, doc := range a {
		if c := cfg.Clean(doc); c.Dropped == RuleNone {
			kept = append(kept, c.Text)
		}
	}
	unique := 0
	for _, dup := range d.AddBatch(kept) {
		if dup.Kind == Unique {
			unique++
		}
	}
	if unique < len(a)*95/100 {
		t.Errorf("%d of %d documents survive cleaning and dedup",
			unique, len(a))
	}
}

// TestCorpusArithmeticIsTrue parses every "a plus b is c." and
// "a minus b is c." in the corpus and checks it.
func TestCorpusArithmeticIsTrue(t *testing.T) {
	n := 0
	for _, doc := range BuiltinCorpus(3) {
		w := strings.Fields(doc)
		for i := 0; i+4 < len(w); i++ {
			if w[i+3] != "is" || (w[i+1] != "plus" && w[i+1] != "minus") {
				continue
			}
			a, err1 := strconv.Atoi(w[i])
			b, err2 := strconv.Atoi(w[i+2])
			c, err3 := strconv.Atoi(strings.TrimSuffix(w[i+4], "."))
			if err1 != nil || err2 != nil || err3 != nil {
				continue
			}
			n++
			if w[i+1] == "plus" && a+b != c || w[i+1] == "minus" && a-b != c {
				t.Errorf("false statement %v", w[i:i+5])
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d arithmetic statements", n)
	}
}

func TestBuiltinTasksGolden(t *testing.T) {
	tasks := BuiltinTasks(7, 21)
	if !slices.Equal(tasks, BuiltinTasks(7, 21)) {
		t.Fatal("tasks are not deterministic")
	}
	got, _ := json.MarshalIndent(tasks, "", "  ")
	path := filepath.Join("testdata", "tasks.golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("tasks differ from %s (rerun with -update if "+
			"intended):\n%s", path, got)
	}
}

// TestTaskAnswers recomputes every answer with a naive solver.
func TestTaskAnswers(t *testing.T) {
	facts := map[string]string{}
	for _, f := range BuiltinWorld().Facts() {
		facts[f.Question] = f.Answer
	}
	for i, tk := range BuiltinTasks(11, 700) {
		if want := solve(t, tk, facts); want != tk.Answer {
			t.Errorf("task %d %+v: want %q", i, tk, want)
		}
		if !CheckAnswer(tk, tk.Answer) {
			t.Errorf("task %d rejects its own answer", i)
		}
	}
}

// solve answers a task from its prompt alone.
func solve(t *testing.T, tk Task, facts map[string]string) string {
	w := strings.Fields(strings.TrimSuffix(strings.TrimSuffix(tk.Prompt,
		"?"), "."))
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch tk.Kind {
	case "add":
		return strconv.Itoa(num(w[2]) + num(w[4]))
	case "sub":
		return strconv.Itoa(num(w[2]) - num(w[4]))
	case "copy":
		return strings.Join(w[3:], " ")
	case "reverse":
		r := slices.Clone(w[3:])
		slices.Reverse(r)
		return strings.Join(r, " ")
	case "sort":
		r := slices.Clone(w[3:])
		if w[2] == "numbers:" {
			slices.SortFunc(r, func(a, b string) int { return num(a) - num(b) })
		} else {
			slices.Sort(r)
		}
		return strings.Join(r, " ")
	case "count":
		return countText(num(w[2]), num(w[4]), " ")
	case "fact":
		return facts[tk.Prompt]
	}
	t.Fatalf("unknown kind %q", tk.Kind)
	return ""
}

func TestCheckAnswer(t *testing.T) {
	tests := []struct {
		answer, got string
		want        bool
	}{
		{"42", "42", true},
		{"42", " 42.\n", true},
		{"42", "The answer is 42.", true},
		{"42", "43", false},
		{"42", "420", false},
		{"42", "", false},
		{"cup key map", "cup, key, map", true},
		{"cup key map", "Cup Key Map", true},
		{"cup key map", "map key cup", false},
		{"Tarn", "tarn\nand more text", true},
		{"Tarn", "Tarnia", false},
	}
	for _, tt := range tests {
		t.Run(tt.answer+"/"+tt.got, func(t *testing.T) {
			got := CheckAnswer(Task{Answer: tt.answer}, tt.got)
			if got != tt.want {
				t.Errorf("CheckAnswer(%q, %q) = %v", tt.answer, tt.got, got)
			}
		})
	}
}
