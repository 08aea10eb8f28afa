package sheetsemu

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// Request and response bodies use the client library's own types, so field
// names and omission rules match what the client expects on the wire.

// ops maps operation names to handlers; they run under Server.mu.
var ops = map[string]func(*book, *call) (any, error){
	"get": (*book).get, "batchGet": (*book).batchGet,
	"update": (*book).update, "batchUpdate": (*book).batchUpdate,
	"append": (*book).appendValues, "clear": (*book).clearValues, "batchClear": (*book).clearValues,
	"spreadsheets.get": (*book).spreadsheet, "spreadsheets.batchUpdate": (*book).addSheets,
}

func (s *Server) handle(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[c.id]; b != nil {
		return ops[c.op](b, c)
	}
	return nil, apiErr(404, "Requested entity was not found.")
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return apiErr(400, "Invalid JSON payload received. "+err.Error())
	}
	return nil
}

// param returns query parameter name (def if absent) if it is allowed.
func param(q url.Values, name, def string, allowed ...string) (string, error) {
	v := cmp.Or(q.Get(name), def)
	if !slices.Contains(allowed, v) {
		return "", apiErr(400, fmt.Sprintf("Invalid value at '%s', %q", name, v))
	}
	return v, nil
}

func inputOption(v string) (userEntered bool, err error) {
	if v != "RAW" && v != "USER_ENTERED" {
		return false, apiErr(400, "Invalid valueInputOption: "+cmp.Or(v, "INPUT_VALUE_OPTION_UNSPECIFIED"))
	}
	return v == "USER_ENTERED", nil
}

// gridRange parses a range that must lie inside the grid (reads, clears).
func (b *book) gridRange(s string) (rng, error) {
	rg, err := b.parseRange(s)
	if err == nil {
		err = rg.checkGrid()
	}
	return rg, err
}

// readRanges renders ranges. Each echoes the requested range clipped to the
// grid, while trailing empty cells and rows are left out of its values.
func (b *book) readRanges(c *call, names []string) ([]*sheets.ValueRange, error) {
	opt, err := param(c.q, "valueRenderOption", "FORMATTED_VALUE", "FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
	if err != nil {
		return nil, err
	}
	if c.q.Get("majorDimension") == "COLUMNS" {
		return nil, errColumns
	}
	var out []*sheets.ValueRange
	for _, s := range names {
		rg, err := b.gridRange(s)
		if err != nil {
			return nil, err
		}
		r1, _ := rg.bounds()
		var m [][]any
		for r := rg.r0; r <= r1 && r < len(rg.sh.rows); r++ {
			m = append(m, rg.cells(r))
		}
		vr := &sheets.ValueRange{Range: rg.String(), MajorDimension: "ROWS"}
		for _, line := range trim(m) {
			for i, v := range line {
				line[i] = render(v, opt == "FORMATTED_VALUE")
			}
			vr.Values = append(vr.Values, line)
		}
		out = append(out, vr)
	}
	return out, nil
}

func (b *book) get(c *call) (any, error) {
	vrs, err := b.readRanges(c, []string{c.rng})
	if err != nil {
		return nil, err
	}
	return vrs[0], nil
}

func (b *book) batchGet(c *call) (any, error) {
	vrs, err := b.readRanges(c, c.q["ranges"])
	return &sheets.BatchGetValuesResponse{SpreadsheetId: c.id, ValueRanges: vrs}, err
}

// errColumns fails loudly where silently using ROWS would hand back or
// store data in the wrong shape.
var errColumns = apiErr(400, "majorDimension COLUMNS is not supported by the emulator")

// skipCell stands for a JSON null in written values: the API leaves such
// cells unchanged, while "" clears a cell.
type skipCell struct{}

// pending is a validated write; nothing changes until apply, so a batch is
// all-or-nothing.
type pending struct {
	sh     *sheet
	r0, c0 int
	cells  [][]any
	cols   int
}

func prepare(rg rng, vr *sheets.ValueRange, userEntered bool) (*pending, error) {
	if vr.MajorDimension == "COLUMNS" {
		return nil, errColumns
	}
	if rg.r0 == rg.r1 && rg.c0 == rg.c1 {
		rg.r1, rg.c1 = open, open // a single cell only anchors a write
	}
	p := &pending{sh: rg.sh, r0: rg.r0, c0: rg.c0}
	for i, row := range vr.Values {
		line := make([]any, len(row))
		for j, v := range row {
			switch x := v.(type) {
			case nil:
				line[j] = skipCell{}
			case string:
				if line[j] = normalize(x); userEntered {
					line[j] = parseUserEntered(x)
				}
			case float64, bool:
				line[j] = x
			default:
				data, _ := json.Marshal(v)
				return nil, apiErr(400, fmt.Sprintf("Invalid values[%d][%d]: %s", i, j, data))
			}
		}
		p.cells, p.cols = append(p.cells, line), max(p.cols, len(row))
	}
	if rg.r1 != open && rg.r0+len(p.cells)-1 > rg.r1 {
		return nil, apiErr(400, fmt.Sprintf("Requested writing within range [%s], but tried writing to row [%d]", rg, rg.r1+2))
	}
	if rg.c1 != open && rg.c0+p.cols-1 > rg.c1 {
		return nil, apiErr(400, fmt.Sprintf("Requested writing within range [%s], but tried writing to column [%s]", rg, colName(rg.c1+1)))
	}
	return p, nil
}

func (p *pending) apply(id string) *sheets.UpdateValuesResponse {
	rows, cols := map[int]bool{}, map[int]bool{}
	n := 0
	for i, line := range p.cells {
		for j, v := range line {
			if _, skip := v.(skipCell); !skip {
				p.sh.set(p.r0+i, p.c0+j, v)
				rows[i], cols[j] = true, true
				n++
			}
		}
	}
	return &sheets.UpdateValuesResponse{
		SpreadsheetId:  id,
		UpdatedRange:   fmtRange(p.sh, p.r0, p.c0, p.r0+max(len(p.cells), 1)-1, p.c0+max(p.cols, 1)-1),
		UpdatedRows:    int64(len(rows)),
		UpdatedColumns: int64(len(cols)),
		UpdatedCells:   int64(n),
	}
}

// writeArgs decodes what update and append have in common.
func (b *book) writeArgs(c *call) (rg rng, vr sheets.ValueRange, userEntered bool, err error) {
	if userEntered, err = inputOption(c.q.Get("valueInputOption")); err == nil {
		if err = decode(c.body, &vr); err == nil {
			rg, err = b.parseRange(c.rng)
		}
	}
	return rg, vr, userEntered, err
}

func (b *book) update(c *call) (any, error) {
	rg, vr, userEntered, err := b.writeArgs(c)
	if err != nil {
		return nil, err
	}
	p, err := prepare(rg, &vr, userEntered)
	if err != nil {
		return nil, err
	}
	return p.apply(c.id), nil
}

func (b *book) batchUpdate(c *call) (any, error) {
	var req sheets.BatchUpdateValuesRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	userEntered, err := inputOption(req.ValueInputOption)
	if err != nil {
		return nil, err
	}
	var ps []*pending
	for _, vr := range req.Data {
		rg, err := b.parseRange(vr.Range)
		if err != nil {
			return nil, err
		}
		p, err := prepare(rg, vr, userEntered)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	resp := &sheets.BatchUpdateValuesResponse{SpreadsheetId: c.id}
	touched := map[*sheet]bool{}
	for _, p := range ps {
		r := p.apply(c.id)
		resp.Responses = append(resp.Responses, r)
		resp.TotalUpdatedRows += r.UpdatedRows
		resp.TotalUpdatedColumns += r.UpdatedColumns
		resp.TotalUpdatedCells += r.UpdatedCells
		if r.UpdatedCells > 0 {
			touched[p.sh] = true
		}
	}
	resp.TotalUpdatedSheets = int64(len(touched))
	return resp, nil
}

// appendValues finds the table (the rows from the first to the last one with
// data in the range's columns, searched from the range's first row to the
// end of the tab, so "Tab!A1" finds the same table as "Tab") and writes
// below it, starting at the table's first column.
func (b *book) appendValues(c *call) (any, error) {
	mode, err := param(c.q, "insertDataOption", "OVERWRITE", "OVERWRITE", "INSERT_ROWS")
	if err != nil {
		return nil, err
	}
	rg, vr, userEntered, err := b.writeArgs(c)
	if err != nil {
		return nil, err
	}
	if rg.r0 == rg.r1 && rg.c0 == rg.c1 {
		rg.c1 = open
	}
	rg.r1 = open
	sh := rg.sh
	top, bottom, left, right := -1, -1, sh.nCols, rg.c0
	for r := rg.r0; r < len(sh.rows); r++ {
		for j, v := range rg.cells(r) {
			if v != nil {
				if top < 0 {
					top = r
				}
				bottom, left, right = r, min(left, rg.c0+j), max(right, rg.c0+j)
			}
		}
	}
	resp := &sheets.AppendValuesResponse{SpreadsheetId: c.id}
	at := rng{sh: sh, r0: rg.r0, c0: rg.c0, r1: open, c1: open}
	if top >= 0 {
		resp.TableRange = fmtRange(sh, top, left, bottom, right)
		at.r0, at.c0 = bottom+1, left
	}
	p, err := prepare(at, &vr, userEntered)
	if err != nil {
		return nil, err
	}
	if mode == "INSERT_ROWS" {
		sh.insertRows(at.r0, len(p.cells))
	}
	resp.Updates = p.apply(c.id)
	return resp, nil
}

// clearValues serves clear (range in the path) and batchClear (ranges in the body).
func (b *book) clearValues(c *call) (any, error) {
	req := sheets.BatchClearValuesRequest{Ranges: []string{c.rng}}
	if c.op == "batchClear" {
		if err := decode(c.body, &req); err != nil {
			return nil, err
		}
	}
	var rgs []rng
	for _, s := range req.Ranges {
		rg, err := b.gridRange(s)
		if err != nil {
			return nil, err
		}
		rgs = append(rgs, rg)
	}
	resp := &sheets.BatchClearValuesResponse{SpreadsheetId: c.id}
	for _, rg := range rgs {
		r1, _ := rg.bounds()
		for r := rg.r0; r <= r1 && r < len(rg.sh.rows); r++ {
			clear(rg.cells(r))
		}
		resp.ClearedRanges = append(resp.ClearedRanges, rg.String())
	}
	if c.op == "clear" {
		return &sheets.ClearValuesResponse{SpreadsheetId: c.id, ClearedRange: resp.ClearedRanges[0]}, nil
	}
	return resp, nil
}

func (b *book) props(i int) *sheets.SheetProperties {
	sh := b.sheets[i]
	return &sheets.SheetProperties{
		SheetId: sh.id, Title: sh.title, Index: int64(i), SheetType: "GRID",
		GridProperties: &sheets.GridProperties{RowCount: int64(sh.nRows), ColumnCount: int64(sh.nCols)},
		// The real API sends 0 for the first sheet's id and index.
		ForceSendFields: []string{"SheetId", "Index"},
	}
}

func (b *book) spreadsheet(c *call) (any, error) {
	ss := &sheets.Spreadsheet{
		SpreadsheetId:  c.id,
		SpreadsheetUrl: "https://docs.google.com/spreadsheets/d/" + c.id + "/edit",
		Properties:     &sheets.SpreadsheetProperties{Title: b.title, Locale: "en_US", TimeZone: "Etc/GMT", AutoRecalc: "ON_CHANGE"},
	}
	for i := range b.sheets {
		ss.Sheets = append(ss.Sheets, &sheets.Sheet{Properties: b.props(i)})
	}
	return ss, nil
}

// addSheets is spreadsheets.batchUpdate for addSheet, deleteDimension and
// insertDimension requests (ROWS only; new tabs go last). The whole batch is
// checked first, as the real API applies all requests or none; requests
// then apply in order, each seeing the effect of the ones before.
func (b *book) addSheets(c *call) (any, error) {
	var req sheets.BatchUpdateSpreadsheetRequest
	if err := decode(c.body, &req); err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, sh := range b.sheets {
		taken[strings.ToLower(sh.title)] = true
	}
	byID := func(id int64) *sheet {
		for _, sh := range b.sheets {
			if sh.id == id {
				return sh
			}
		}
		return nil
	}
	var steps []func() *sheets.Response
	for i, r := range req.Requests {
		switch {
		case r.AddSheet != nil:
			p := cmp.Or(r.AddSheet.Properties, &sheets.SheetProperties{})
			for n := len(b.sheets) + len(steps) + 1; p.Title == ""; n++ {
				if t := fmt.Sprintf("Sheet%d", n); !taken[strings.ToLower(t)] {
					p.Title = t
				}
			}
			if taken[strings.ToLower(p.Title)] {
				return nil, apiErr(400, fmt.Sprintf("Invalid requests[%d].addSheet: A sheet with the name \"%s\" already exists. Please enter another name.", i, p.Title))
			}
			taken[strings.ToLower(p.Title)] = true
			steps = append(steps, func() *sheets.Response {
				g := cmp.Or(p.GridProperties, &sheets.GridProperties{})
				b.add(p.Title, cmp.Or(int(g.RowCount), defaultRows), cmp.Or(int(g.ColumnCount), defaultCols))
				return &sheets.Response{AddSheet: &sheets.AddSheetResponse{Properties: b.props(len(b.sheets) - 1)}}
			})
		case r.DeleteDimension != nil || r.InsertDimension != nil:
			dr, kind := (*sheets.DimensionRange)(nil), "deleteDimension"
			if r.DeleteDimension != nil {
				dr = r.DeleteDimension.Range
			} else {
				dr, kind = r.InsertDimension.Range, "insertDimension"
			}
			if dr == nil || dr.Dimension != "ROWS" || dr.EndIndex <= dr.StartIndex || dr.StartIndex < 0 {
				return nil, apiErr(400, fmt.Sprintf("Invalid requests[%d].%s: the emulator supports ROWS ranges with startIndex < endIndex", i, kind))
			}
			sh := byID(dr.SheetId)
			if sh == nil {
				return nil, apiErr(400, fmt.Sprintf("Invalid requests[%d].%s: No grid with id: %d", i, kind, dr.SheetId))
			}
			from, to := int(dr.StartIndex), int(dr.EndIndex)
			if kind == "deleteDimension" {
				steps = append(steps, func() *sheets.Response { sh.deleteRows(from, to); return &sheets.Response{} })
			} else {
				steps = append(steps, func() *sheets.Response { sh.insertRows(from, to-from); return &sheets.Response{} })
			}
		default:
			return nil, apiErr(400, fmt.Sprintf("Invalid requests[%d]: only addSheet, deleteDimension and insertDimension are supported by the emulator", i))
		}
	}
	resp := &sheets.BatchUpdateSpreadsheetResponse{SpreadsheetId: c.id}
	for _, step := range steps {
		resp.Replies = append(resp.Replies, step())
	}
	return resp, nil
}
