package sft

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tinyseek/tinyseek/data"
)

// Example is one conversation to fine-tune on.
type Example struct {
	Messages []data.Message
	// Task is set for built-in examples: the question and the answer
	// that data.CheckAnswer compares against.
	Task *data.Task
}

// Errors carried by a *data.ParseError for a bad JSONL line.
var (
	ErrBothFormats = errors.New(`line has both "prompt"/"response" ` +
		`and "messages"`)
	ErrNoFormat = errors.New(`line has neither "prompt" and ` +
		`"response" nor "messages"`)
	ErrNoAssistant = errors.New("conversation has no assistant turn")
)

// maxLineBytes bounds one JSONL line so that a corrupt file cannot
// exhaust memory.
const maxLineBytes = 16 << 20

// ReadJSONL reads fine-tuning examples, one JSON object per line, in
// either format: {"prompt": P, "response": R} or {"messages": [{"role":
// "system"|"user"|"assistant", "content": C}, ...]}. Blank lines are
// ignored. A bad line is a *data.ParseError naming the file and line,
// unless skipBad is set: then it is skipped and counted.
func ReadJSONL(path string, skipBad bool) (exs []Example, skipped int,
	err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("sft: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for line := 1; ; line++ {
		b, err := readLine(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, skipped, &data.ParseError{File: path, Line: line,
				Err: err}
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		ex, err := parseLine(b)
		if err != nil {
			if skipBad {
				skipped++
				continue
			}
			return nil, skipped, &data.ParseError{File: path, Line: line,
				Err: err}
		}
		exs = append(exs, ex)
	}
	if len(exs) == 0 {
		return nil, skipped, &data.ParseError{File: path,
			Err: errors.New("no examples")}
	}
	return exs, skipped, nil
}

// readLine returns the next line without its newline; io.EOF at the
// end.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		part, err := r.ReadSlice('\n')
		buf = append(buf, part...)
		if len(buf) > maxLineBytes {
			return nil, data.ErrTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			return bytes.TrimRight(buf, "\r\n"), nil
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(buf, "\r\n"), nil
	}
}

// parseLine decodes one line in whichever format it uses.
func parseLine(b []byte) (Example, error) {
	var v struct {
		Prompt   *string         `json:"prompt"`
		Response *string         `json:"response"`
		Messages json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return Example{}, err
	}
	pair := v.Prompt != nil || v.Response != nil
	switch {
	case pair && v.Messages != nil:
		return Example{}, ErrBothFormats
	case pair && (v.Prompt == nil || v.Response == nil):
		return Example{}, ErrNoFormat
	case pair:
		return Example{Messages: []data.Message{
			{Role: data.RoleUser, Content: *v.Prompt},
			{Role: data.RoleAssistant, Content: *v.Response}}}, nil
	case v.Messages == nil:
		return Example{}, ErrNoFormat
	}
	return parseMessages(v.Messages)
}

// parseMessages checks roles and that someone answers.
func parseMessages(raw json.RawMessage) (Example, error) {
	var msgs []struct {
		Role    string  `json:"role"`
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return Example{}, fmt.Errorf("messages: %w", err)
	}
	ex := Example{Messages: make([]data.Message, len(msgs))}
	answered := false
	for i, m := range msgs {
		switch m.Role {
		case data.RoleSystem, data.RoleUser, data.RoleAssistant:
		default:
			return Example{}, fmt.Errorf("message %d: role %q: want "+
				"system, user or assistant", i, m.Role)
		}
		if m.Content == nil {
			return Example{}, fmt.Errorf("message %d: no content", i)
		}
		answered = answered || m.Role == data.RoleAssistant
		ex.Messages[i] = data.Message{Role: m.Role, Content: *m.Content}
	}
	if !answered {
		return Example{}, ErrNoAssistant
	}
	return ex, nil
}
