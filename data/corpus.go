package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// builtinDocs is the number of documents of the built-in corpus.
const builtinDocs = 3200

// BuiltinCorpus returns the built-in pretraining corpus: about 0.8 MB
// of generated English in builtinDocs documents: stories about the
// people of the invented world, gazetteer entries, questions and
// answers about its facts, sums and differences, counting, and the
// copy, reverse and sort exercises of BuiltinTasks written in prose.
// All text comes from templates and a PCG seeded by seed.
func BuiltinCorpus(seed int64) []string {
	g := &corpusGen{rng: rand.New(rand.NewPCG(uint64(seed), 0xc0de)),
		w: BuiltinWorld()}
	g.facts = g.w.Facts()
	kinds := []func() string{g.story, g.story, g.story, g.story,
		g.gazetteer, g.questions, g.arithmetic, g.arithmetic,
		g.wordOps, g.wordOps, g.counting, g.lists}
	docs := make([]string, builtinDocs)
	subjects := len(g.facts) / 4
	for i := range docs {
		if i < subjects {
			docs[i] = g.profile(i) // every fact is stated at least once
		} else {
			docs[i] = kinds[g.rng.IntN(len(kinds))]()
		}
	}
	return docs
}

// profile states the four facts of one subject, then asks them.
func (g *corpusGen) profile(subject int) string {
	fs := g.facts[4*subject : 4*subject+4]
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Statement + " ")
	}
	b.WriteString("Now the questions.")
	for _, k := range g.rng.Perm(4) {
		fmt.Fprintf(&b, "\nQuestion: %s Answer: %s.", fs[k].Question,
			fs[k].Answer)
	}
	return b.String()
}

// corpusGen draws the documents of the built-in corpus.
type corpusGen struct {
	rng   *rand.Rand
	w     *World
	facts []Fact
}

func (g *corpusGen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

// story tells a short tale about a person, stating their facts.
func (g *corpusGen) story() string {
	p := g.w.People[g.rng.IntN(len(g.w.People))]
	c := g.w.countryOf(p.Home)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s was a %s who lived in %s, the capital of %s. ",
		g.pick([]string{"Once upon a time,", "Long ago,",
			"Not long ago,", "In the old days,"}), p.Name, p.Job, p.Home,
		c.Name)
	fmt.Fprintf(&b, "%s was %d years old and had a %s named %s. ",
		p.Name, p.Age, p.Pet, p.PetName)
	events := g.rng.Perm(len(storyEvents))[:2+g.rng.IntN(3)]
	for _, e := range events {
		b.WriteString(storyEvents[e](g, p, c))
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "The favourite colour of %s is %s.", p.Name, p.Colour)
	return b.String()
}

// storyEvents are the middle sentences of a story.
var storyEvents = []func(g *corpusGen, p Person, c Country) string{
	func(g *corpusGen, p Person, c Country) string {
		n, m := 1+g.rng.IntN(9), 1+g.rng.IntN(9)
		f := g.pick(foods)
		return fmt.Sprintf("One morning %s bought %d bags of %s at the "+
			"market, then %d more. Now %s had %d bags of %s.",
			p.Name, n, f, m, p.Name, n+m, f)
	},
	func(g *corpusGen, p Person, c Country) string {
		return fmt.Sprintf("Every evening %s walked with %s along the "+
			"river %s, which flows through %s.", p.Name, p.PetName,
			c.River, p.Home)
	},
	func(g *corpusGen, p Person, c Country) string {
		return fmt.Sprintf("Like everyone in %s, %s spoke %s and loved "+
			"to eat %s.", c.Name, p.Name, c.Language, c.Food)
	},
	func(g *corpusGen, p Person, c Country) string {
		o := g.w.People[g.rng.IntN(len(g.w.People))]
		return fmt.Sprintf("One day %s met %s, a %s from %s, and they "+
			"talked until the %s went down.", p.Name, o.Name, o.Job,
			o.Home, g.pick([]string{"sun", "moon"}))
	},
	func(g *corpusGen, p Person, c Country) string {
		t := drawWords(g.rng, 3)
		return fmt.Sprintf("In a %s box, %s kept a %s, a %s and a %s.",
			g.pick(colours), p.Name, t[0], t[1], t[2])
	},
	func(g *corpusGen, p Person, c Country) string {
		return fmt.Sprintf("%s the %s was %s, and %s was happy to see "+
			"it %s.", p.PetName, p.Pet, g.pick([]string{"small",
			"old", "fast", "clever", "sleepy"}), p.Name,
			g.pick([]string{"play", "eat", "run", "sleep", "sing"}))
	},
	func(g *corpusGen, p Person, c Country) string {
		d := 2 + g.rng.IntN(20)
		return fmt.Sprintf("It took %s %d days to travel from %s to %s.",
			p.Name, d, p.Home, g.w.Countries[g.rng.IntN(
				len(g.w.Countries))].Capital)
	},
	func(g *corpusGen, p Person, c Country) string {
		return fmt.Sprintf("As a %s, %s worked hard from %s to %s.",
			p.Job, p.Name, g.pick([]string{"dawn", "morning", "noon"}),
			g.pick([]string{"dusk", "night", "evening"}))
	},
}

// gazetteer describes one country by a few of its facts, each in
// one of two wordings, and a traveller who went there.
func (g *corpusGen) gazetteer() string {
	c := g.w.Countries[g.rng.IntN(len(g.w.Countries))]
	two := func(a, b string) string { return g.pick([]string{a, b}) }
	s := []string{
		two(fmt.Sprintf("The capital of %s is %s.", c.Name, c.Capital),
			fmt.Sprintf("%s is the capital of %s.", c.Capital, c.Name)),
		two(fmt.Sprintf("People in %s speak %s.", c.Name, c.Language),
			fmt.Sprintf("%s is spoken in %s.", c.Language, c.Name)),
		two(fmt.Sprintf("The river %s flows through %s.", c.River,
			c.Capital), fmt.Sprintf("%s stands on the river %s.",
			c.Capital, c.River)),
		two(fmt.Sprintf("The people of %s love to eat %s.", c.Name,
			c.Food), fmt.Sprintf("In %s, %s is on every table.",
			c.Name, c.Food)),
		fmt.Sprintf("In the hills of %s you can see many a %s.", c.Name,
			c.Animal),
	}
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	s = s[:3]
	p := g.w.People[g.rng.IntN(len(g.w.People))]
	s = append(s, fmt.Sprintf("%s the %s once walked %d days to %s "+
		"and bought %d %s there.", p.Name, p.Job, 2+g.rng.IntN(30),
		c.Capital, 2+g.rng.IntN(50), g.pick(things)+"s"))
	head := fmt.Sprintf("%s is a country %s. ", c.Name,
		g.pick([]string{"in the north", "in the south", "by the sea",
			"of hills and lakes", "far to the east", "of old towns"}))
	return head + strings.Join(s, " ")
}

// questions asks four facts, one of each relation, about random
// people or countries; Facts lists four facts, one per relation, for
// each country and each person, in that order.
func (g *corpusGen) questions() string {
	var b strings.Builder
	b.WriteString(g.pick([]string{"Questions about the world.",
		"A short quiz.", "Test what you know.", "Facts to remember."}))
	lo, n := 0, len(g.w.Countries)
	if g.rng.IntN(3) > 0 {
		lo, n = n, len(g.w.People)
	}
	for _, k := range g.rng.Perm(4) {
		f := g.facts[4*(lo+g.rng.IntN(n))+k]
		fmt.Fprintf(&b, "\nQuestion: %s Answer: %s. %s", f.Question,
			f.Answer, f.Statement)
	}
	return b.String()
}

// arithmetic states sums and differences, and asks some as questions.
func (g *corpusGen) arithmetic() string {
	var b strings.Builder
	b.WriteString(g.pick([]string{"Here are some sums.",
		"Let us do arithmetic.", "Adding and taking away numbers.",
		"A page of maths."}))
	for range 4 + g.rng.IntN(5) {
		a, c := g.rng.IntN(100), g.rng.IntN(100)
		switch g.rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, " %d plus %d is %d.", a, c, a+c)
		case 1:
			a, c = max(a, c), min(a, c)
			fmt.Fprintf(&b, " %d minus %d is %d.", a, c, a-c)
		case 2:
			fmt.Fprintf(&b, " Question: What is %d plus %d? Answer: %d.",
				a, c, a+c)
		default:
			a, c = max(a, c), min(a, c)
			fmt.Fprintf(&b, " Question: What is %d minus %d? "+
				"Answer: %d.", a, c, a-c)
		}
	}
	return b.String()
}

// wordOps shows the copy, reverse and sort exercises worked out.
func (g *corpusGen) wordOps() string {
	var b strings.Builder
	b.WriteString(g.pick([]string{"Word games.", "Playing with lists " +
		"of words.", "Exercises with words and numbers."}))
	kinds := []string{"copy", "reverse", "sort", "reverse", "sort"}
	g.rng.Shuffle(len(kinds), func(i, j int) {
		kinds[i], kinds[j] = kinds[j], kinds[i]
	})
	for _, kind := range kinds[:4+g.rng.IntN(2)] {
		t := newTask(g.rng, kind, nil)
		fmt.Fprintf(&b, " %s. The answer is %s.",
			strings.TrimSuffix(t.Prompt, "."), t.Answer)
	}
	return b.String()
}

// counting counts up by a stride, and down again.
func (g *corpusGen) counting() string {
	a, step := g.rng.IntN(100), 1+g.rng.IntN(3)
	var up []string
	for i := range 3 + g.rng.IntN(10) {
		up = append(up, fmt.Sprint(a+i*step))
	}
	b := up[len(up)-1]
	by := map[int]string{1: "", 2: " by twos", 3: " by threes"}[step]
	down := slices.Clone(up)
	slices.Reverse(down)
	c := g.rng.IntN(100)
	d := c + 2 + g.rng.IntN(8)
	return fmt.Sprintf("Counting%s from %d to %s gives %s. Counting "+
		"back down from %s to %d gives %s. Question: Count from %d "+
		"to %d. Answer: %s.", by, a, b, strings.Join(up, " "), b, a,
		strings.Join(down, " "), c, d, countText(c, d, " "))
}

// lists names the members of a few sets in a random order.
func (g *corpusGen) lists() string {
	names := func(f func(int) string, n int) string {
		idx := g.rng.Perm(n)[:4+g.rng.IntN(4)]
		s := make([]string, len(idx))
		for i, j := range idx {
			s[i] = f(j)
		}
		return strings.Join(s, ", ")
	}
	country := func(i int) string { return g.w.Countries[i].Name }
	person := func(i int) string { return g.w.People[i].Name }
	thing := func(i int) string { return things[i] }
	return fmt.Sprintf("Some countries of the world: %s. Some people "+
		"who live there: %s. Things you may find in a house: %s.",
		names(country, len(g.w.Countries)),
		names(person, len(g.w.People)), names(thing, len(things)))
}
