package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Task is a question with one checkable answer, drawn from the
// built-in generators; the SFT and preference stages build on it.
type Task struct {
	// Kind is one of TaskKinds.
	Kind string
	// Prompt is the question, as it also appears in the corpus.
	Prompt string
	// Answer is the expected reply, compared by CheckAnswer.
	Answer string
}

// TaskKinds lists the task generators, in the order BuiltinTasks
// cycles through them.
var TaskKinds = []string{"add", "sub", "copy", "reverse", "sort",
	"count", "fact"}

// BuiltinTasks returns n tasks, cycling through TaskKinds, drawn with
// a PCG seeded by seed; the same seed gives the same tasks.
func BuiltinTasks(seed int64, n int) []Task {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7a5c))
	facts := BuiltinWorld().Facts()
	out := make([]Task, 0, n)
	for i := range n {
		out = append(out, newTask(rng, TaskKinds[i%len(TaskKinds)], facts))
	}
	return out
}

// newTask draws one task of the given kind.
func newTask(rng *rand.Rand, kind string, facts []Fact) Task {
	t := Task{Kind: kind}
	switch kind {
	case "add":
		a, b := rng.IntN(100), rng.IntN(100)
		t.Prompt = fmt.Sprintf("What is %d plus %d?", a, b)
		t.Answer = strconv.Itoa(a + b)
	case "sub":
		a := rng.IntN(100)
		b := rng.IntN(a + 1)
		t.Prompt = fmt.Sprintf("What is %d minus %d?", a, b)
		t.Answer = strconv.Itoa(a - b)
	case "copy":
		w := drawWords(rng, 3+rng.IntN(4))
		t.Prompt = "Copy the words: " + strings.Join(w, " ")
		t.Answer = strings.Join(w, " ")
	case "reverse":
		w := drawWords(rng, 3+rng.IntN(4))
		t.Prompt = "Reverse the words: " + strings.Join(w, " ")
		slices.Reverse(w)
		t.Answer = strings.Join(w, " ")
	case "sort":
		t.Prompt, t.Answer = sortTask(rng)
	case "count":
		a := rng.IntN(30)
		b := a + 2 + rng.IntN(8)
		t.Prompt = fmt.Sprintf("Count from %d to %d.", a, b)
		t.Answer = countText(a, b, " ")
	case "fact":
		f := facts[rng.IntN(len(facts))]
		t.Prompt, t.Answer = f.Question, f.Answer
	default:
		panic("data: unknown task kind " + kind)
	}
	return t
}

// sortTask draws either words to sort alphabetically or numbers to
// sort in increasing order.
func sortTask(rng *rand.Rand) (prompt, answer string) {
	if rng.IntN(2) == 0 {
		w := drawWords(rng, 3+rng.IntN(4))
		prompt = "Sort the words: " + strings.Join(w, " ")
		slices.Sort(w)
		return prompt, strings.Join(w, " ")
	}
	k := 3 + rng.IntN(4)
	nums := rng.Perm(50)[:k]
	prompt = "Sort the numbers: " + joinInts(nums, " ")
	slices.Sort(nums)
	return prompt, joinInts(nums, " ")
}

// drawWords picks k distinct words from the things list.
func drawWords(rng *rand.Rand, k int) []string {
	idx := rng.Perm(len(things))[:k]
	w := make([]string, k)
	for i, j := range idx {
		w[i] = things[j]
	}
	return w
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

// countText lists the integers a..b.
func countText(a, b int, sep string) string {
	var v []int
	for i := a; i <= b; i++ {
		v = append(v, i)
	}
	return joinInts(v, sep)
}

// CheckAnswer reports whether got answers t: the first line of got,
// lowercased, with commas, periods, colons and an optional leading
// "the answer is" removed, must equal the normalised answer word for
// word.
func CheckAnswer(t Task, got string) bool {
	got, _, _ = strings.Cut(strings.TrimSpace(got), "\n")
	g := normaliseAnswer(got)
	g = strings.TrimPrefix(g, "the answer is ")
	return g != "" && g == normaliseAnswer(t.Answer)
}

func normaliseAnswer(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', '.', ':', ';', '!', '"':
			return ' '
		}
		return r
	}, strings.ToLower(s))
	return strings.Join(strings.Fields(s), " ")
}
