package data

import (
	"fmt"

	"github.com/tinyseek/tinyseek/data/tokenizer"
)

// Chat roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatTemplate is the one chat format of tinyseek, used identically by
// SFT, by `train generate --chat` and by RLHF. A conversation becomes
//
//	<|endoftext|> <|system|> text <|end|> <|user|> text <|end|>
//	<|assistant|> text <|end|> ...
//
// with each text encoded as plain text. The markers are inserted as
// token ids, never found by searching text, and encoding text never
// yields a special id, so a message that contains "<|assistant|>"
// literally cannot fake a turn.
//
// Only assistant text and the <|end|> that closes an assistant turn are
// trained; everything else is context.
func EncodeChat(tok *tokenizer.Tokenizer, msgs []Message,
	generationPrompt bool) (ids []int32, trained []bool, err error) {
	ids = append(ids, tokenizer.EndOfText)
	trained = append(trained, false)
	for i, m := range msgs {
		marker, err := roleMarker(m.Role)
		if err != nil {
			return nil, nil, fmt.Errorf("data: chat message %d: %w", i, err)
		}
		body := tok.Encode(m.Content)
		learn := m.Role == RoleAssistant
		ids = append(ids, marker)
		trained = append(trained, false)
		for _, id := range body {
			ids = append(ids, id)
			trained = append(trained, learn)
		}
		ids = append(ids, tokenizer.End)
		trained = append(trained, learn)
	}
	if generationPrompt {
		ids = append(ids, tokenizer.Assistant)
		trained = append(trained, false)
	}
	return ids, trained, nil
}

// ChatPrompt encodes a single user message followed by the assistant
// marker: what a model answers in `train generate --chat`.
func ChatPrompt(tok *tokenizer.Tokenizer, user string) []int32 {
	ids, _, _ := EncodeChat(tok, []Message{{Role: RoleUser,
		Content: user}}, true)
	return ids
}

// Targets turns a trained mask into next-token targets: target i is
// ids[i+1] when token i+1 is trained, else −1 (ignored). The last
// position has no next token.
func Targets(ids []int32, trained []bool) []int32 {
	t := make([]int32, len(ids))
	for i := range ids {
		t[i] = -1
		if i+1 < len(ids) && trained[i+1] {
			t[i] = ids[i+1]
		}
	}
	return t
}

func roleMarker(role string) (int32, error) {
	switch role {
	case RoleSystem:
		return tokenizer.System, nil
	case RoleUser:
		return tokenizer.User, nil
	case RoleAssistant:
		return tokenizer.Assistant, nil
	}
	return 0, fmt.Errorf("role %q: want system, user or assistant", role)
}
