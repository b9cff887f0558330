package rlhf

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tinyseek/tinyseek/data"
	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// Pair is one preference: two assistant replies to the same
// conversation, the first preferred.
type Pair struct {
	// Prompt is the conversation so far; it ends with a user turn.
	Prompt []data.Message
	// Chosen and Rejected are the two candidate assistant replies.
	Chosen, Rejected string
	// Margin, when positive, asks r_chosen − r_rejected to exceed it
	// (the margin term of Llama 2's reward loss).
	Margin float64
	// Line is the pair's line in its file (0 for built-in pairs).
	Line int
}

// pairLine is one JSONL line: either {"prompt","chosen","rejected"}
// or a Human/Assistant transcript pair {"chosen","rejected"}.
type pairLine struct {
	Prompt   *string  `json:"prompt"`
	Chosen   *string  `json:"chosen"`
	Rejected *string  `json:"rejected"`
	Margin   *float64 `json:"margin"`
}

// ReadPairs reads a JSONL preference file. A line with "prompt" holds
// a single-turn prompt and two responses; a line without it holds two
// full transcripts in the "\n\nHuman: …\n\nAssistant: …" format whose
// turns, up to the last assistant reply, must agree. Lines whose two
// replies are identical carry no preference and are skipped (counted
// in identical). A malformed line is a *data.ParseError with the line
// number, unless skipBad is set: then it is skipped and counted in
// bad. A leading UTF-8 byte-order mark is ignored.
func ReadPairs(path string, skipBad bool) (pairs []Pair, identical,
	bad int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("rlhf: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := cleanLine(sc.Text())
		if line == "" {
			continue
		}
		p, err := parsePairLine([]byte(line))
		switch {
		case err != nil && skipBad:
			bad++
		case err != nil:
			return nil, 0, 0, &data.ParseError{File: path, Line: n,
				Err: err}
		case p.Chosen == p.Rejected:
			identical++
		default:
			pairs = append(pairs, p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("rlhf: read %s: %w", path, err)
	}
	if len(pairs) == 0 {
		return nil, identical, bad, &data.ParseError{File: path,
			Err: errors.New("no preference pairs")}
	}
	return pairs, identical, bad, nil
}

// cleanLine drops a UTF-8 byte-order mark (editors on Windows put one
// before the first line, and concatenated files carry it inside) and
// the spaces around the line.
func cleanLine(s string) string {
	return strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
}

func parsePairLine(b []byte) (Pair, error) {
	var l pairLine
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Pair{}, err
	}
	if l.Chosen == nil || l.Rejected == nil {
		return Pair{}, errors.New(`want fields "chosen" and "rejected"`)
	}
	var p Pair
	if l.Margin != nil {
		if *l.Margin < 0 {
			return Pair{}, fmt.Errorf("margin %v: want ≥ 0 (how much "+
				"better chosen is)", *l.Margin)
		}
		p.Margin = *l.Margin
	}
	if l.Prompt != nil {
		p.Prompt = []data.Message{{Role: data.RoleUser,
			Content: *l.Prompt}}
		p.Chosen, p.Rejected = *l.Chosen, *l.Rejected
		return p, nil
	}
	var err error
	p.Prompt, p.Chosen, p.Rejected, err = splitTranscripts(*l.Chosen,
		*l.Rejected)
	return p, err
}

// splitTranscripts maps two Human/Assistant transcripts onto chat
// messages: the turns they share are the prompt and each one's final
// assistant turn is its reply.
func splitTranscripts(chosen, rejected string) ([]data.Message, string,
	string, error) {
	a, err := ParseTranscript(chosen)
	if err != nil {
		return nil, "", "", fmt.Errorf("chosen: %w", err)
	}
	b, err := ParseTranscript(rejected)
	if err != nil {
		return nil, "", "", fmt.Errorf("rejected: %w", err)
	}
	last := func(m []data.Message) bool {
		return len(m) >= 2 && m[len(m)-1].Role == data.RoleAssistant
	}
	if !last(a) || !last(b) {
		return nil, "", "", errors.New("a transcript does not end with " +
			"an Assistant turn after a Human turn")
	}
	pa, pb := a[:len(a)-1], b[:len(b)-1]
	if !slices.Equal(pa, pb) {
		return nil, "", "", errors.New("chosen and rejected differ " +
			"before their last Assistant turn")
	}
	return pa, a[len(a)-1].Content, b[len(b)-1].Content, nil
}

// ParseTranscript splits "\n\nHuman: … \n\nAssistant: …" into user and
// assistant messages, trimming the spaces around each turn's text.
func ParseTranscript(s string) ([]data.Message, error) {
	const human, assistant = "\n\nHuman:", "\n\nAssistant:"
	if !strings.HasPrefix(s, human) {
		return nil, errors.New(`transcript does not start with ` +
			`"\n\nHuman:"`)
	}
	var msgs []data.Message
	for s != "" {
		role, marker := data.RoleUser, human
		if strings.HasPrefix(s, assistant) {
			role, marker = data.RoleAssistant, assistant
		} else if !strings.HasPrefix(s, human) {
			return nil, fmt.Errorf("unexpected text %q", head(s))
		}
		s = s[len(marker):]
		end := len(s)
		for _, m := range []string{human, assistant} {
			if i := strings.Index(s, m); i >= 0 && i < end {
				end = i
			}
		}
		msgs = append(msgs, data.Message{Role: role,
			Content: strings.TrimSpace(s[:end])})
		s = s[end:]
	}
	return msgs, nil
}

func head(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// PromptsOf returns the prompts of pairs, for PPO from a pair file.
func PromptsOf(pairs []Pair) [][]data.Message {
	out := make([][]data.Message, len(pairs))
	for i, p := range pairs {
		out[i] = p.Prompt
	}
	return out
}

// ReadPrompts reads PPO prompts from JSONL: each line holds "prompt"
// (a single user turn) or is a preference line, whose prompt is used.
// Each Prompt's Where is "path:line".
func ReadPrompts(path string) ([]Prompt, error) {
	pairs, _, err := readLoose(path)
	if err != nil {
		return nil, err
	}
	out := make([]Prompt, len(pairs))
	for i, p := range pairs {
		out[i] = Prompt{Msgs: p.Prompt,
			Where: fmt.Sprintf("%s:%d", path, p.Line)}
	}
	return out, nil
}

// readLoose reads pair lines that may lack chosen/rejected.
func readLoose(path string) ([]Pair, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("rlhf: %w", err)
	}
	var out []Pair
	for n, line := range strings.Split(string(b), "\n") {
		line = cleanLine(line)
		if line == "" {
			continue
		}
		var l pairLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, 0, &data.ParseError{File: path, Line: n + 1, Err: err}
		}
		if l.Prompt != nil && strings.TrimSpace(*l.Prompt) == "" {
			return nil, 0, &data.ParseError{File: path, Line: n + 1,
				Err: errors.New("empty prompt")}
		}
		if l.Prompt != nil {
			out = append(out, Pair{Prompt: []data.Message{{
				Role: data.RoleUser, Content: *l.Prompt}}, Line: n + 1})
			continue
		}
		p, err := parsePairLine([]byte(line))
		if err != nil {
			return nil, 0, &data.ParseError{File: path, Line: n + 1, Err: err}
		}
		p.Line = n + 1
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, 0, &data.ParseError{File: path,
			Err: errors.New("no prompts")}
	}
	return out, 0, nil
}

// EncodePair returns the token ids of prompt+chosen and prompt+rejected
// in the chat template, each ending with the reply's <|end|>. A
// sequence longer than maxLen keeps its last maxLen tokens, so the
// reply and its <|end|> survive.
func EncodePair(tok *tokenizer.Tokenizer, p Pair, maxLen int) (chosen,
	rejected []int32, err error) {
	enc := func(reply string) ([]int32, error) {
		msgs := append(slices.Clone(p.Prompt), data.Message{
			Role: data.RoleAssistant, Content: reply})
		ids, _, err := data.EncodeChat(tok, msgs, false)
		if err != nil {
			return nil, fmt.Errorf("rlhf: %w", err)
		}
		if len(ids) > maxLen {
			ids = ids[len(ids)-maxLen:]
		}
		return ids, nil
	}
	if chosen, err = enc(p.Chosen); err != nil {
		return nil, nil, err
	}
	rejected, err = enc(p.Rejected)
	return chosen, rejected, err
}
