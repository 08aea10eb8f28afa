package bot

import (
	"strings"
	"unicode/utf8"
)

// maxText is Telegram's limit for a message text: 4,096 characters as
// Telegram counts them, in UTF-16 code units (an emoji outside the BMP is
// two). A longer text is refused with "message is too long".
const maxText = 4096

// utf16Len is the length of s as Telegram counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 { // a surrogate pair
			n++
		}
	}
	return n
}

// splitText cuts text into parts Telegram accepts (SPEC §4: split, never
// dropped). It cuts at the last paragraph break that fits, else the last
// line break, else the last space, and only as a last resort inside a word
// (never inside an emoji sequence); a break in the first half of what fits
// does not count, so no part is needlessly short. Whitespace at a cut is
// dropped, so no part is blank.
func splitText(text string) []string {
	var parts []string
	for utf16Len(text) > maxText {
		fit := prefixBytes(text, maxText)
		cut, skip := fit, 0
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(text[:fit], sep); i >= fit/2 {
				cut, skip = i, len(sep)
				break
			}
		}
		if skip == 0 {
			cut = emojiSafe(text, fit)
		}
		if part := strings.TrimRight(text[:cut], " \n"); part != "" {
			parts = append(parts, part)
		}
		text = strings.TrimLeft(text[cut+skip:], " \n")
	}
	if strings.TrimSpace(text) != "" || len(parts) == 0 {
		parts = append(parts, text)
	}
	return parts
}

// prefixBytes is the length in bytes of the longest prefix of s of at most
// n UTF-16 units.
func prefixBytes(s string, n int) int {
	units := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > n {
			return i
		}
		units += w
	}
	return len(s)
}

// emojiSafe moves a cut at byte i back so it does not fall between the
// parts of an emoji sequence (a zero-width joiner, a variation selector or a
// skin tone follows, or a joiner precedes).
func emojiSafe(s string, i int) int {
	for j := i; j > 0; {
		next, _ := utf8.DecodeRuneInString(s[j:])
		prev, size := utf8.DecodeLastRuneInString(s[:j])
		if !joins(next) && prev != '\u200d' {
			return j
		}
		j -= size
	}
	return i // one unbreakable run: cut anyway rather than loop
}

func joins(r rune) bool {
	return r == '\u200d' || (r >= '\ufe00' && r <= '\ufe0f') || (r >= 0x1f3fb && r <= 0x1f3ff)
}

// cut shortens s to at most n UTF-16 units, for texts Telegram limits but
// that cannot be split (a callback answer).
func cut(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	return s[:emojiSafe(s, prefixBytes(s, n-1))] + "…"
}
