package data

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// worldSeed fixes the invented world, so that the corpus, the tasks
// and any later stage agree on its facts whatever seed they use.
const worldSeed = 20260501

// Country is a place of the invented world.
type Country struct {
	Name, Capital, Language, River, Food, Animal string
}

// Person is a character of the invented world.
type Person struct {
	Name, Home, Job, Pet, PetName, Colour string
	Age                                   int
}

// Fact is one statement of the world, with the question it answers.
type Fact struct {
	Statement string // "The capital of Veloria is Tarn."
	Question  string // "What is the capital of Veloria?"
	Answer    string // "Tarn"
}

// World is the invented world the built-in data talks about.
type World struct {
	Countries []Country
	People    []Person
}

// Word lists shared by the world, the corpus and the tasks.
var (
	colours = []string{"red", "blue", "green", "yellow", "purple",
		"orange", "white", "black", "grey", "pink", "brown", "gold"}
	animals = []string{"cat", "dog", "horse", "goat", "owl", "fox",
		"rabbit", "duck", "parrot", "turtle", "hen", "pony"}
	jobs = []string{"baker", "farmer", "teacher", "sailor", "painter",
		"doctor", "miner", "weaver", "singer", "builder", "fisher",
		"potter", "tailor", "guard", "cook", "smith"}
	foods = []string{"bread", "rice", "soup", "cheese", "apples",
		"fish", "beans", "honey", "pears", "noodles", "plums", "nuts"}
	things = []string{"apple", "stone", "book", "cup", "shell", "coin",
		"leaf", "key", "ring", "lamp", "bell", "rope", "boat", "hat",
		"kite", "drum", "map", "pen", "box", "star", "tree", "cloud",
		"river", "bird", "moon", "sun", "door", "chair", "seed", "nail"}
	syllables = []string{"ve", "lo", "ra", "ta", "rn", "mi", "ko", "sa",
		"da", "ne", "or", "el", "ba", "lu", "fi", "qu", "an", "tor",
		"mar", "zen", "pal", "kir", "dun", "bel", "sor", "vin", "gal"}
)

// BuiltinWorld returns the invented world; it is the same on every
// call and every machine.
func BuiltinWorld() *World {
	rng := rand.New(rand.NewPCG(worldSeed, worldSeed^0x5eed))
	used := map[string]bool{}
	name := func(n int, suffix string) string {
		for {
			var b strings.Builder
			for range n {
				b.WriteString(syllables[rng.IntN(len(syllables))])
			}
			s := b.String() + suffix
			if !used[s] && len(s) >= 3 {
				used[s] = true
				return strings.ToUpper(s[:1]) + s[1:]
			}
		}
	}
	w := &World{}
	for i := range 12 {
		c := Country{Name: name(2, []string{"ia", "or", "and"}[i%3]),
			Capital: name(2, ""), River: name(2, ""),
			Food:   foods[i],
			Animal: animals[rng.IntN(len(animals))]}
		c.Language = c.Name[:len(c.Name)-1] + "ish"
		w.Countries = append(w.Countries, c)
	}
	for range 40 {
		c := w.Countries[rng.IntN(len(w.Countries))]
		w.People = append(w.People, Person{Name: name(2, ""),
			Home: c.Capital, Job: jobs[rng.IntN(len(jobs))],
			Pet:     animals[rng.IntN(len(animals))],
			PetName: name(2, ""),
			Colour:  colours[rng.IntN(len(colours))],
			Age:     8 + rng.IntN(60)})
	}
	return w
}

// Facts lists every fact of the world in a fixed order.
func (w *World) Facts() []Fact {
	var fs []Fact
	add := func(s, q, a string) {
		fs = append(fs, Fact{Statement: s, Question: q, Answer: a})
	}
	for _, c := range w.Countries {
		add(fmt.Sprintf("The capital of %s is %s.", c.Name, c.Capital),
			fmt.Sprintf("What is the capital of %s?", c.Name), c.Capital)
		add(fmt.Sprintf("People in %s speak %s.", c.Name, c.Language),
			fmt.Sprintf("What language do people in %s speak?", c.Name),
			c.Language)
		add(fmt.Sprintf("The river %s flows through %s.", c.River,
			c.Capital),
			fmt.Sprintf("Which river flows through %s?", c.Capital),
			c.River)
		add(fmt.Sprintf("The people of %s love to eat %s.", c.Name,
			c.Food),
			fmt.Sprintf("What do the people of %s love to eat?", c.Name),
			c.Food)
	}
	for _, p := range w.People {
		add(fmt.Sprintf("%s lives in %s.", p.Name, p.Home),
			fmt.Sprintf("Where does %s live?", p.Name), p.Home)
		add(fmt.Sprintf("%s works as a %s.", p.Name, p.Job),
			fmt.Sprintf("What is the job of %s?", p.Name), p.Job)
		add(fmt.Sprintf("%s has a %s named %s.", p.Name, p.Pet,
			p.PetName),
			fmt.Sprintf("What is the name of the %s of %s?", p.Pet,
				p.Name), p.PetName)
		add(fmt.Sprintf("The favourite colour of %s is %s.", p.Name,
			p.Colour),
			fmt.Sprintf("What is the favourite colour of %s?", p.Name),
			p.Colour)
	}
	return fs
}

// countryOf returns the country whose capital is city.
func (w *World) countryOf(city string) Country {
	for _, c := range w.Countries {
		if c.Capital == city {
			return c
		}
	}
	return Country{}
}
