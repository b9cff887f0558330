package rlhf

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/tinyseek/tinyseek/data"
)

// RejectStyle says how a built-in rejected reply was made.
type RejectStyle int

// The styles of rejected replies; RejectMix gives their shares.
const (
	// RejectClear is a kind-specific reply a labeller refuses at a
	// glance: words not in the prompt or a list of the wrong length, the
	// unsorted order, a count with a gap or the wrong ends, a number far
	// off or with the wrong number of digits, a fact of the wrong type.
	RejectClear RejectStyle = iota
	// RejectEcho repeats the question.
	RejectEcho
	// RejectOffTopic answers a question of another kind.
	RejectOffTopic
	// RejectRambling is filler text, sometimes cut off mid-word.
	RejectRambling
	// RejectNearMiss is close to the answer: a sum off by one or two,
	// two swapped or one dropped word, the unreversed list, another
	// entity's fact of the same type.
	RejectNearMiss
	numRejectStyles
)

var rejectNames = [...]string{"clear", "echo", "off_topic", "rambling",
	"near_miss"}

// String is the style's name, e.g. "near_miss".
func (s RejectStyle) String() string {
	if s < 0 || s >= numRejectStyles {
		return "RejectStyle(" + strconv.Itoa(int(s)) + ")"
	}
	return rejectNames[s]
}

// RejectMix is the percentage of built-in pairs of each style. Near
// misses are kept rare: telling them apart needs the task solved,
// which the small reward model cannot do, so they mostly add noise.
var RejectMix = [numRejectStyles]int{RejectClear: 55, RejectEcho: 10,
	RejectOffTopic: 15, RejectRambling: 15, RejectNearMiss: 5}

// BuiltinPairs returns n preference pairs over data.BuiltinTasks(seed):
// chosen is the task's answer, rejected a reply drawn by a Rejecter in
// the proportions of RejectMix.
func BuiltinPairs(seed int64, n int) []Pair {
	rj := NewRejecter(seed)
	out := make([]Pair, 0, n)
	for _, t := range data.BuiltinTasks(seed, n) {
		w, _ := rj.Draw(t)
		out = append(out, Pair{Prompt: []data.Message{{
			Role: data.RoleUser, Content: t.Prompt}}, Chosen: t.Answer,
			Rejected: w})
	}
	return out
}

// Rejecter makes rejected replies to built-in tasks.
type Rejecter struct {
	rng   *rand.Rand
	facts []data.Fact
	// others are tasks whose answers serve as off-topic replies.
	others []data.Task
	// vocab is the words of list tasks, for lists that stray.
	vocab []string
}

// NewRejecter returns a Rejecter whose draws derive from seed.
func NewRejecter(seed int64) *Rejecter {
	others := data.BuiltinTasks(seed^0x0ff, 50*len(data.TaskKinds))
	return &Rejecter{rng: rand.New(rand.NewPCG(uint64(seed), 0x9a1b)),
		facts: data.BuiltinWorld().Facts(), others: others,
		vocab: listVocab(others)}
}

// Draw picks a style by RejectMix and returns a reply of that style
// that data.CheckAnswer refuses. When the style cannot make one for t
// (a one-word list cannot be shortened), it falls back to an echo.
func (r *Rejecter) Draw(t data.Task) (string, RejectStyle) {
	u, s := r.rng.IntN(100), RejectStyle(0)
	for ; s < numRejectStyles-1 && u >= RejectMix[s]; s++ {
		u -= RejectMix[s]
	}
	for range 20 {
		if w := r.Reject(t, s); w != "" {
			return w, s
		}
	}
	if w := r.Reject(t, RejectEcho); w != "" {
		return w, RejectEcho
	}
	return "", s // only for a prompt that equals its answer
}

// Reject returns a reply to t of style s that data.CheckAnswer
// refuses, or "" when this draw could not make one.
func (r *Rejecter) Reject(t data.Task, s RejectStyle) string {
	var w string
	switch s {
	case RejectClear:
		w = r.clear(t)
	case RejectEcho:
		w = t.Prompt
	case RejectOffTopic:
		o := r.others[r.rng.IntN(len(r.others))]
		if o.Kind != t.Kind {
			w = o.Answer
		}
	case RejectRambling:
		w = r.rambling()
	case RejectNearMiss:
		w = r.nearMiss(t)
	}
	if w == "" || data.CheckAnswer(t, w) {
		return ""
	}
	return w
}

// clear dispatches the kind-specific clear reject.
func (r *Rejecter) clear(t data.Task) string {
	switch t.Kind {
	case "add", "sub":
		v, _ := strconv.Atoi(t.Answer)
		return farNumber(r.rng, v)
	case "copy", "reverse", "sort":
		return r.badList(t)
	case "count":
		return r.badCount(t)
	case "fact":
		return r.wrongType(t)
	}
	return ""
}

// farNumber is a number at least 10 away from v or with another
// number of digits.
func farNumber(rng *rand.Rand, v int) string {
	switch rng.IntN(3) {
	case 0: // another number of digits
		if v >= 10 {
			return strconv.Itoa(rng.IntN(10))
		}
		return strconv.Itoa(100 + rng.IntN(900))
	case 1:
		return strconv.Itoa(v*10 + rng.IntN(10) + 10)
	}
	d := 10 + rng.IntN(60)
	if v-d >= 0 && rng.IntN(2) == 0 {
		return strconv.Itoa(v - d)
	}
	return strconv.Itoa(v + d)
}

// badList is, for a list task, foreign words in place of at least half
// the answer's, a list at least two words shorter or longer, or (sort)
// the prompt's own order.
func (r *Rejecter) badList(t data.Task) string {
	_, list, _ := strings.Cut(t.Prompt, ": ")
	given := strings.Fields(list)
	words := strings.Fields(t.Answer)
	switch r.rng.IntN(4) {
	case 0, 1:
		k := (len(words) + 1) / 2
		for _, i := range r.rng.Perm(len(words))[:k+r.rng.IntN(
			len(words)-k+1)] {
			words[i] = r.foreign(given)
		}
	case 2:
		if r.rng.IntN(2) == 0 && len(words) > 2 {
			return strings.Join(words[:1+r.rng.IntN(len(words)-2)], " ")
		}
		return strings.Join(append(words, words...), " ")
	default:
		if t.Kind == "sort" {
			return list
		}
		return strings.Join(words[:len(words)/2], " ")
	}
	return strings.Join(words, " ")
}

// foreign is a word (or, for numbers, a number) of the kind the
// tasks use but not in given, so that only the prompt tells it apart.
func (r *Rejecter) foreign(given []string) string {
	numeric := len(given) > 0 && given[0][0] >= '0' && given[0][0] <= '9'
	for {
		w := r.vocab[r.rng.IntN(len(r.vocab))]
		if numeric {
			w = strconv.Itoa(r.rng.IntN(50))
		}
		if !slices.Contains(given, w) {
			return w
		}
	}
}

// listVocab is every word of the built-in list tasks' prompts.
func listVocab(tasks []data.Task) []string {
	var v []string
	for _, t := range tasks {
		if t.Kind == "copy" || t.Kind == "reverse" {
			_, list, _ := strings.Cut(t.Prompt, ": ")
			v = append(v, strings.Fields(list)...)
		}
	}
	slices.Sort(v)
	return slices.Compact(v)
}

// badCount is the count with a gap of at least two numbers, counting
// in steps of two, or starting or ending at least three off.
func (r *Rejecter) badCount(t data.Task) string {
	f := strings.Fields(t.Answer)
	a, _ := strconv.Atoi(f[0])
	b, _ := strconv.Atoi(f[len(f)-1])
	switch r.rng.IntN(4) {
	case 0:
		if len(f) < 5 {
			return ""
		}
		i := 1 + r.rng.IntN(len(f)-3)
		return strings.Join(slices.Delete(f, i, i+2), " ")
	case 1:
		return countBy(a, b, 2)
	case 2:
		return countBy(a+3+r.rng.IntN(5), b+3+r.rng.IntN(5), 1)
	}
	return countBy(a, b+3+r.rng.IntN(8), 1)
}

func countBy(a, b, step int) string {
	var s []string
	for i := a; i <= b; i += step {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, " ")
}

// factType classes a fact question by the type of its answer.
func factType(q string) string {
	for _, p := range []struct{ prefix, typ string }{
		{"What language", "language"}, {"What do the people", "food"},
		{"What is the job", "job"}, {"What is the favourite", "colour"},
	} {
		if strings.HasPrefix(q, p.prefix) {
			return p.typ
		}
	}
	return "name" // capitals, rivers, homes, pet names
}

// wrongType answers a fact question with another type's answer or a
// number.
func (r *Rejecter) wrongType(t data.Task) string {
	if r.rng.IntN(5) == 0 {
		return strconv.Itoa(r.rng.IntN(100))
	}
	typ := factType(t.Prompt)
	for {
		f := r.facts[r.rng.IntN(len(r.facts))]
		if factType(f.Question) != typ {
			return f.Answer
		}
	}
}

// rambling is one to three filler sentences, half the time cut off.
func (r *Rejecter) rambling() string {
	n := 1 + r.rng.IntN(3)
	s := make([]string, n)
	for i := range s {
		s[i] = fillers[r.rng.IntN(len(fillers))]
	}
	w := strings.Join(s, " ")
	if r.rng.IntN(2) == 0 {
		w = w[:len(w)/3+r.rng.IntN(len(w)/2)]
	}
	return w
}

var fillers = []string{"I am not sure what you mean.",
	"Let me think about that for a while.",
	"That is a good question and there are many things to say.",
	"Well, it depends on many things.", "The answer is",
	"Once upon a time there was a little town by the river.",
	"I do not know.", "Maybe, maybe not.",
	"It took a long time to travel there and back."}

// nearMiss is a reply that differs from the answer in one small way.
func (r *Rejecter) nearMiss(t data.Task) string {
	words := strings.Fields(t.Answer)
	switch t.Kind {
	case "add", "sub":
		v, _ := strconv.Atoi(t.Answer)
		d := []int{-2, -1, 1, 2}[r.rng.IntN(4)]
		return strconv.Itoa(max(v+d, 0))
	case "copy", "count", "sort":
		if r.rng.IntN(2) == 0 && len(words) > 2 {
			i := 1 + r.rng.IntN(len(words)-2)
			return strings.Join(slices.Delete(words, i, i+1), " ")
		}
		return swapTwo(r.rng, words)
	case "reverse":
		slices.Reverse(words) // the prompt's order
		return strings.Join(words, " ")
	case "fact":
		typ := factType(t.Prompt)
		for {
			f := r.facts[r.rng.IntN(len(r.facts))]
			if factType(f.Question) == typ {
				return f.Answer
			}
		}
	}
	return ""
}

func swapTwo(rng *rand.Rand, words []string) string {
	w := slices.Clone(words)
	if len(w) < 2 {
		return ""
	}
	i := rng.IntN(len(w) - 1)
	w[i], w[i+1] = w[i+1], w[i]
	return strings.Join(w, " ")
}
