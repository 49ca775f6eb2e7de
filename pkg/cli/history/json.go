package history

import (
	"encoding/json"
	"io"
)

// WriteJSON writes entries as an indented JSON array, [] when there are none. The fields keep
// Entry's order.
func WriteJSON(w io.Writer, entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // messages say "0 -> 20"
	return enc.Encode(entries)
}
