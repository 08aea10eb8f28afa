package sheetsemu

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// rng is an A1 range resolved to a tab: 0-based inclusive bounds, where r1
// or c1 == open means "to the end of the grid" (as in A:C or A2:C).
type rng struct {
	sh             *sheet
	r0, c0, r1, c1 int
}

const open = -1

var (
	quotedRe = regexp.MustCompile(`^'((?:[^']|'')+)'(?:!(.+))?$`)
	cellsRe  = regexp.MustCompile(`^\$?([A-Za-z]{0,3})\$?([1-9][0-9]*)?(:\$?([A-Za-z]{0,3})\$?([1-9][0-9]*)?)?$`)
	plainRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	cellyRe  = regexp.MustCompile(`^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$`)
	numberRe = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
)

// parseRange resolves A1 notation: "Tab", "'My Tab'" (a quote inside is
// doubled), "Tab!A1", "Tab!A1:C3", "Tab!A:C", "Tab!2:5", "Tab!A2:C", or
// cells alone, which refer to the first tab. Tabs are looked up before cells
// because a bare tab name may contain '!' or look like a cell.
func (b *book) parseRange(s string) (rng, error) {
	name, cells, bad := s, "", apiErr(400, "Unable to parse range: "+s)
	if m := quotedRe.FindStringSubmatch(s); m != nil {
		name, cells = strings.ReplaceAll(m[1], "''", "'"), m[2]
	} else if b.sheet(s) == nil {
		name, cells = "", s
		if i := strings.LastIndex(s, "!"); i >= 0 {
			name, cells = s[:i], s[i+1:]
		} else if len(b.sheets) > 0 {
			name = b.sheets[0].title
		}
		if cells == "" {
			return rng{}, bad
		}
	}
	rg := rng{sh: b.sheet(name), r1: open, c1: open}
	if rg.sh == nil || (cells != "" && !rg.parseCells(cells)) {
		return rng{}, bad
	}
	return rg, nil
}

// parseCells sets the bounds from "A1", "A1:C3", "A:C", "2:5" or "A2:C".
func (rg *rng) parseCells(s string) bool {
	m := cellsRe.FindStringSubmatch(s)
	switch {
	case m == nil || m[1]+m[2] == "":
		return false
	case m[3] == "": // a lone reference must be a whole cell
		if m[1] == "" || m[2] == "" {
			return false
		}
		m[4], m[5] = m[1], m[2]
	case m[4]+m[5] == "" || (m[1] == "") != (m[4] == ""):
		return false
	}
	rg.c0, rg.r0, rg.c1, rg.r1 = max(colIndex(m[1]), 0), max(rowIndex(m[2]), 0), colIndex(m[4]), rowIndex(m[5])
	if rg.r1 != open && rg.r1 < rg.r0 {
		rg.r0, rg.r1 = rg.r1, rg.r0
	}
	if rg.c1 != open && rg.c1 < rg.c0 {
		rg.c0, rg.c1 = rg.c1, rg.c0
	}
	return true
}

// colIndex turns letters into a 0-based column: A → 0, AA → 26, "" → open.
func colIndex(letters string) int {
	col := 0
	for _, ch := range strings.ToUpper(letters) {
		col = col*26 + int(ch-'A'+1)
	}
	return col - 1
}

// rowIndex turns a 1-based row number into a 0-based row, "" → open.
func rowIndex(digits string) int {
	n, _ := strconv.Atoi(digits)
	return n - 1
}

// bounds resolves open ends against the grid.
func (rg rng) bounds() (r1, c1 int) {
	r1, c1 = rg.r1, rg.c1
	if r1 == open {
		r1 = max(rg.sh.nRows-1, rg.r0)
	}
	if c1 == open {
		c1 = max(rg.sh.nCols-1, rg.c0)
	}
	return r1, c1
}

// cells returns the stored cells of row r within the range's columns; it
// shares storage with the sheet.
func (rg rng) cells(r int) []any {
	row := rg.sh.rows[r]
	_, c1 := rg.bounds()
	return row[min(rg.c0, len(row)):min(c1+1, len(row))]
}

func (rg rng) String() string {
	r1, c1 := rg.bounds()
	return fmtRange(rg.sh, rg.r0, rg.c0, r1, c1)
}

// checkGrid rejects ranges reaching outside the grid, as the real API does
// for reads and clears.
func (rg rng) checkGrid() error {
	r1, c1 := rg.bounds()
	if r1 >= rg.sh.nRows || c1 >= rg.sh.nCols {
		return apiErr(400, fmt.Sprintf("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
			rg, rg.sh.nRows, rg.sh.nCols))
	}
	return nil
}

func fmtRange(sh *sheet, r0, c0, r1, c1 int) string {
	s := quoteName(sh.title) + "!" + cellName(r0, c0)
	if r0 != r1 || c0 != c1 {
		s += ":" + cellName(r1, c1)
	}
	return s
}

// quoteName quotes a tab name for A1 notation unless it is a plain
// identifier that cannot be mistaken for a cell reference.
func quoteName(t string) string {
	if plainRe.MatchString(t) && !cellyRe.MatchString(t) {
		return t
	}
	return "'" + strings.ReplaceAll(t, "'", "''") + "'"
}

func cellName(r, c int) string { return colName(c) + strconv.Itoa(r+1) }

// colName turns a 0-based column index into letters: 0 → A, 26 → AA.
func colName(c int) string {
	var col []byte
	for c++; c > 0; c = (c - 1) / 26 {
		col = append([]byte{byte('A' + (c-1)%26)}, col...)
	}
	return string(col)
}

// render turns a stored cell into its wire value.
func render(v any, formatted bool) any {
	switch x := v.(type) {
	case nil:
		return ""
	case Formatted:
		if formatted {
			return x.text()
		}
		return x.N
	case float64:
		if formatted {
			return formatNumber(x)
		}
	case bool:
		if formatted {
			return strings.ToUpper(strconv.FormatBool(x))
		}
	}
	return v
}

// formatNumber approximates Sheets' General format: integers exactly,
// otherwise up to 10 significant digits, scientific outside [1e-9, 1e15).
func formatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 10, 64), 64)
	if a := math.Abs(r); a >= 1e-9 && a < 1e15 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strconv.FormatFloat(r, 'E', -1, 64)
}

// parseUserEntered mimics typing s into a cell, minus formulas, dates and
// locale-formatted numbers.
func parseUserEntered(s string) any {
	if text, ok := strings.CutPrefix(s, "'"); ok {
		return normalize(text)
	}
	t := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(t, "TRUE"):
		return true
	case strings.EqualFold(t, "FALSE"):
		return false
	case numberRe.MatchString(t):
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return f
		}
	}
	if v, ok := parseFormatted(t); ok {
		return v
	}
	return s
}
