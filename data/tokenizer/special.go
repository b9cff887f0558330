package tokenizer

// The special tokens sit right after the 256 byte tokens so that their ids
// never move when the merge list grows or shrinks; the data pipeline, the
// chat template and checkpoints all rely on these numbers.
const (
	// ByteVocab is the number of byte tokens; byte b has id b.
	ByteVocab = 256
	// EndOfText separates documents in pretraining streams.
	EndOfText int32 = 256
	// Pad fills batches up to a common length; it is never trained on.
	Pad int32 = 257
	// System opens the system turn of a chat.
	System int32 = 258
	// User opens a user turn of a chat.
	User int32 = 259
	// Assistant opens an assistant turn of a chat.
	Assistant int32 = 260
	// End closes a chat turn.
	End int32 = 261
	// NumSpecial is the number of special tokens.
	NumSpecial = 6
	// FirstMerge is the id given to the first learned merge.
	FirstMerge = ByteVocab + NumSpecial
)

// specialMarkers holds the literal text of each special token, indexed by
// id - ByteVocab. Decoding a special id yields this text.
var specialMarkers = [NumSpecial]string{
	"<|endoftext|>",
	"<|pad|>",
	"<|system|>",
	"<|user|>",
	"<|assistant|>",
	"<|end|>",
}

// SpecialMarker returns the literal text of the special token id, or ""
// when id is not one of the fixed special tokens.
func SpecialMarker(id int32) string {
	if id < ByteVocab || id >= FirstMerge {
		return ""
	}
	return specialMarkers[id-ByteVocab]
}
