package sheetsemu

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

const sid = "sheet-1"

// start serves a fresh emulator and returns it with a real client.
func start(t *testing.T) (*Server, *sheets.Service, string) {
	t.Helper()
	emu := New()
	emu.AddSpreadsheet(sid, "Payroll")
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	svc, err := sheets.NewService(context.Background(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return emu, svc, ts.URL
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func jsonText(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

func gerr(t *testing.T, err error) *googleapi.Error {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("want *googleapi.Error, got %T %v", err, err)
	}
	return ge
}

func TestBatchGetQuotedNamesAndOpenRanges(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "Shifts", [][]any{{"date", "hours", "rate", "note"}, {"2024-01-02", 8, 15.5}})
	emu.SetTab(sid, "My Tab", [][]any{{"h1", "h2"}, {"a", "b"}, {"c"}})
	emu.SetTab(sid, "It's!/?#", [][]any{{"x"}})

	resp := must[*sheets.BatchGetValuesResponse](t)(svc.Spreadsheets.Values.BatchGet(sid).
		Ranges("Shifts!A:C", "'My Tab'!A2:B", "'It''s!/?#'", "Shifts!2:2").Do())
	var got [][]string
	for _, vr := range resp.ValueRanges {
		got = append(got, []string{vr.Range, vr.MajorDimension, jsonText(vr.Values)})
	}
	eq(t, "ranges", got, [][]string{
		{"Shifts!A1:C1000", "ROWS", `[["date","hours","rate"],["2024-01-02","8","15.5"]]`},
		{"'My Tab'!A2:B1000", "ROWS", `[["a","b"],["c"]]`},
		{"'It''s!/?#'!A1:Z1000", "ROWS", `[["x"]]`},
		{"Shifts!A2:Z2", "ROWS", `[["2024-01-02","8","15.5"]]`},
	})

	// A single-range get puts the range in the path, where '/', '?', '#'
	// and '!' must survive percent-encoding.
	vr := must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "'It''s!/?#'!A1").Do())
	eq(t, "escaped get", []any{vr.Range, vr.Values}, []any{"'It''s!/?#'!A1", [][]any{{"x"}}})

	_, err := svc.Spreadsheets.Values.Get(sid, "Shifts!A1:B2").MajorDimension("COLUMNS").Do()
	eq(t, "COLUMNS is refused, not silently ignored", gerr(t, err).Code, 400)
}

func TestTrimmingAndEmptyRange(t *testing.T) {
	emu, svc, url := start(t)
	emu.SetTab(sid, "T", [][]any{{"a", nil, "c", "", nil}, {}, {nil, "x"}, {nil, nil}, {}})

	vr := must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "T").Do())
	eq(t, "trimmed", vr.Values, [][]any{{"a", "", "c"}, {}, {"", "x"}})
	eq(t, "Tab", emu.Tab(sid, "T"), [][]any{{"a", nil, "c"}, {}, {nil, "x"}})

	res, err := http.Get(url + "/v4/spreadsheets/" + sid + "/values/T!D1:E9?alt=json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	eq(t, "empty range", raw, map[string]any{"range": "T!D1:E9", "majorDimension": "ROWS"})
}

func TestRawVsUserEnteredAndRendering(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", nil)
	in := []any{"15.00", 15, true, "TRUE", "'007", "1,234.5", "2024-01-02", "-2.5"}
	for _, opt := range []string{"RAW", "USER_ENTERED"} {
		_ = must[*sheets.UpdateValuesResponse](t)(svc.Spreadsheets.Values.Update(sid, "T!A1",
			&sheets.ValueRange{Values: [][]any{in}}).ValueInputOption(opt).Do())
		want := map[string][]any{
			"RAW":          {"15.00", 15.0, true, "TRUE", "'007", "1,234.5", "2024-01-02", "-2.5"},
			"USER_ENTERED": {15.0, 15.0, true, true, "007", 1234.5, "2024-01-02", -2.5},
		}[opt]
		eq(t, opt, emu.Tab(sid, "T"), [][]any{want})
	}

	emu.SetTab(sid, "T", [][]any{{15, 1234.5, true, "text", 0.1 + 0.2, 1e20}})
	vr := must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "T").Do())
	eq(t, "FORMATTED_VALUE", vr.Values, [][]any{{"15", "1234.5", "TRUE", "text", "0.3", "1E+20"}})
	vr = must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "T").ValueRenderOption("UNFORMATTED_VALUE").Do())
	eq(t, "UNFORMATTED_VALUE", vr.Values, [][]any{{15.0, 1234.5, true, "text", 0.1 + 0.2, 1e20}})
	eq(t, "TabStrings", emu.TabStrings(sid, "T"), [][]string{{"15", "1234.5", "TRUE", "text", "0.3", "1E+20"}})

	_, err := svc.Spreadsheets.Values.Update(sid, "T!A1", &sheets.ValueRange{Values: [][]any{{"x"}}}).Do()
	eq(t, "missing valueInputOption", gerr(t, err).Code, 400)
}

func TestUpdateAndBatchUpdate(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", [][]any{{"keep", "old", "old"}})

	// null leaves a cell alone, "" clears it; writes grow the grid.
	up := must[*sheets.UpdateValuesResponse](t)(svc.Spreadsheets.Values.Update(sid, "T!A1:AB3000",
		&sheets.ValueRange{Values: [][]any{{nil, "new", ""}, {1, 2}}}).ValueInputOption("RAW").Do())
	eq(t, "update resp", []any{up.SpreadsheetId, up.UpdatedRange, up.UpdatedRows, up.UpdatedColumns, up.UpdatedCells},
		[]any{sid, "T!A1:C2", int64(2), int64(3), int64(4)})
	eq(t, "after update", emu.Tab(sid, "T"), [][]any{{"keep", "new"}, {1.0, 2.0}})

	_, err := svc.Spreadsheets.Values.Update(sid, "T!A1:B1",
		&sheets.ValueRange{Values: [][]any{{1, 2, 3}}}).ValueInputOption("RAW").Do()
	eq(t, "overflow", gerr(t, err).Message, "Requested writing within range [T!A1:B1], but tried writing to column [C]")

	up = must[*sheets.UpdateValuesResponse](t)(svc.Spreadsheets.Values.Update(sid, "T!AB1200",
		&sheets.ValueRange{Values: [][]any{{"far"}}}).ValueInputOption("RAW").Do())
	eq(t, "grown", up.UpdatedRange, "T!AB1200")
	ss := must[*sheets.Spreadsheet](t)(svc.Spreadsheets.Get(sid).Do())
	g := ss.Sheets[0].Properties.GridProperties
	eq(t, "grid", []int64{g.RowCount, g.ColumnCount}, []int64{1200, 28})

	emu.SetTab(sid, "U", nil)
	bu := must[*sheets.BatchUpdateValuesResponse](t)(svc.Spreadsheets.Values.BatchUpdate(sid, &sheets.BatchUpdateValuesRequest{
		ValueInputOption: "USER_ENTERED",
		Data: []*sheets.ValueRange{
			{Range: "T!A5", Values: [][]any{{"a", "b"}}},
			{Range: "U!B2:C3", Values: [][]any{{"1"}, {"2", "3"}}},
		},
	}).Do())
	eq(t, "batch totals", []int64{bu.TotalUpdatedRows, bu.TotalUpdatedColumns, bu.TotalUpdatedCells, bu.TotalUpdatedSheets},
		[]int64{3, 4, 5, 2})
	eq(t, "batch ranges", []string{bu.Responses[0].UpdatedRange, bu.Responses[1].UpdatedRange}, []string{"T!A5:B5", "U!B2:C3"})
	eq(t, "U", emu.Tab(sid, "U"), [][]any{{}, {nil, 1.0}, {nil, 2.0, 3.0}})

	// A batch with one bad range changes nothing.
	_, err = svc.Spreadsheets.Values.BatchUpdate(sid, &sheets.BatchUpdateValuesRequest{
		ValueInputOption: "RAW",
		Data: []*sheets.ValueRange{
			{Range: "U!A1", Values: [][]any{{"nope"}}},
			{Range: "Nope!A1", Values: [][]any{{"x"}}},
		},
	}).Do()
	eq(t, "bad batch", gerr(t, err).Code, 400)
	eq(t, "U unchanged", emu.Tab(sid, "U")[0], []any{})
}

func TestAppend(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "Shifts", [][]any{
		{"date", "hours", "rate"},
		{"d1", 8, 15},
		{},
		{"d3", 4, 15},
		{nil, nil, nil, nil, "note"}, // outside A:C, so not part of the table
	})
	vr := &sheets.ValueRange{Values: [][]any{{"d4", 5, 15}, {"d5", 6, 15}}}
	ap := must[*sheets.AppendValuesResponse](t)(svc.Spreadsheets.Values.Append(sid, "Shifts!A:C", vr).
		ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Do())
	eq(t, "append resp", []any{ap.SpreadsheetId, ap.TableRange, ap.Updates.UpdatedRange, ap.Updates.UpdatedRows, ap.Updates.UpdatedCells},
		[]any{sid, "Shifts!A1:C4", "Shifts!A5:C6", int64(2), int64(6)})
	eq(t, "rows shifted", emu.TabStrings(sid, "Shifts"), [][]string{
		{"date", "hours", "rate"}, {"d1", "8", "15"}, {}, {"d3", "4", "15"},
		{"d4", "5", "15"}, {"d5", "6", "15"}, {"", "", "", "", "note"},
	})
	ss := must[*sheets.Spreadsheet](t)(svc.Spreadsheets.Get(sid).Do())
	eq(t, "rows inserted into grid", ss.Sheets[0].Properties.GridProperties.RowCount, int64(1002))

	// OVERWRITE (the default) writes over what is below instead.
	ap = must[*sheets.AppendValuesResponse](t)(svc.Spreadsheets.Values.Append(sid, "Shifts!A1:C1",
		&sheets.ValueRange{Values: [][]any{{"d6"}}}).ValueInputOption("RAW").Do())
	eq(t, "overwrite", []string{ap.TableRange, ap.Updates.UpdatedRange}, []string{"Shifts!A1:C6", "Shifts!A7"})
	eq(t, "row 7", emu.TabStrings(sid, "Shifts")[6], []string{"d6", "", "", "", "note"})

	emu.SetTab(sid, "Empty", nil)
	ap = must[*sheets.AppendValuesResponse](t)(svc.Spreadsheets.Values.Append(sid, "'Empty'!B3", vr).
		ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Do())
	eq(t, "empty table", []string{ap.TableRange, ap.Updates.UpdatedRange}, []string{"", "Empty!B3:D4"})
}

func TestClear(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", [][]any{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}})
	cl := must[*sheets.ClearValuesResponse](t)(svc.Spreadsheets.Values.Clear(sid, "T!B2:C", &sheets.ClearValuesRequest{}).Do())
	eq(t, "cleared range", cl.ClearedRange, "T!B2:C1000")
	eq(t, "after clear", emu.TabStrings(sid, "T"), [][]string{{"1", "2", "3"}, {"4"}, {"7"}})
	bc := must[*sheets.BatchClearValuesResponse](t)(svc.Spreadsheets.Values.BatchClear(sid,
		&sheets.BatchClearValuesRequest{Ranges: []string{"T!A1", "T!A3:A3"}}).Do())
	eq(t, "batch cleared", bc.ClearedRanges, []string{"T!A1", "T!A3"})
	eq(t, "after batch clear", emu.TabStrings(sid, "T"), [][]string{{"", "2", "3"}, {"4"}})
}

func TestErrors(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", nil)

	_, err := svc.Spreadsheets.Values.Get(sid, "Foo!A1").Do()
	ge := gerr(t, err)
	eq(t, "unknown tab", []any{ge.Code, ge.Message, ge.Errors[0].Reason}, []any{400, "Unable to parse range: Foo!A1", "badRequest"})
	if !strings.Contains(ge.Body, `"status":"INVALID_ARGUMENT"`) {
		t.Errorf("body lacks status: %s", ge.Body)
	}

	_, err = svc.Spreadsheets.Values.Get("nope", "T!A1").Do()
	eq(t, "unknown spreadsheet", gerr(t, err).Code, 404)

	_, err = svc.Spreadsheets.Values.Get(sid, "T!A1:A1001").Do()
	eq(t, "outside grid", gerr(t, err).Message, "Range (T!A1:A1001) exceeds grid limits. Max rows: 1000, max columns: 26")
}

func TestSpreadsheetGetAndAddSheet(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "Shifts", nil)
	bu := must[*sheets.BatchUpdateSpreadsheetResponse](t)(svc.Spreadsheets.BatchUpdate(sid, &sheets.BatchUpdateSpreadsheetRequest{
		Requests: []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Log"}}}},
	}).Do())
	p := bu.Replies[0].AddSheet.Properties
	eq(t, "added", []any{p.Title, p.Index, p.SheetId, p.GridProperties.RowCount}, []any{"Log", int64(1), int64(1), int64(1000)})

	ss := must[*sheets.Spreadsheet](t)(svc.Spreadsheets.Get(sid).Do())
	eq(t, "title", ss.Properties.Title, "Payroll")
	var tabs []string
	for _, sh := range ss.Sheets {
		tabs = append(tabs, sh.Properties.Title)
	}
	eq(t, "tabs", tabs, []string{"Shifts", "Log"})
	eq(t, "Tabs", emu.Tabs(sid), tabs)

	_, err := svc.Spreadsheets.BatchUpdate(sid, &sheets.BatchUpdateSpreadsheetRequest{
		Requests: []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "log"}}}},
	}).Do()
	eq(t, "duplicate", gerr(t, err).Code, 400)
	_, err = svc.Spreadsheets.BatchUpdate(sid, &sheets.BatchUpdateSpreadsheetRequest{
		Requests: []*sheets.Request{{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 1}}},
	}).Do()
	eq(t, "unsupported", gerr(t, err).Code, 400)

	emu.DeleteTab(sid, "log")
	eq(t, "deleted", emu.Tabs(sid), []string{"Shifts"})
}

func TestFaultStatusThenSuccess(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", nil)
	emu.InjectFault(Fault{Op: "append", Times: 2, Status: 429})
	vr := &sheets.ValueRange{Values: [][]any{{"x"}}}
	for i := range 2 {
		_, err := svc.Spreadsheets.Values.Append(sid, "T", vr).ValueInputOption("RAW").Do()
		ge := gerr(t, err)
		eq(t, "fault", []any{i, ge.Code, strings.Contains(ge.Body, "RESOURCE_EXHAUSTED")}, []any{i, 429, true})
	}
	must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "T").Do()) // other ops unaffected
	must[*sheets.AppendValuesResponse](t)(svc.Spreadsheets.Values.Append(sid, "T", vr).ValueInputOption("RAW").Do())
	eq(t, "applied once", emu.Tab(sid, "T"), [][]any{{"x"}})
	eq(t, "counts", []int{emu.Count("append"), emu.Count("get"), emu.Count("")}, []int{3, 1, 4})
	emu.ResetCounts()
	eq(t, "reset", emu.Count(""), 0)
}

func TestFaultLatency(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", [][]any{{"x"}})
	emu.InjectFault(Fault{Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err := svc.Spreadsheets.Values.Get(sid, "T").Context(ctx).Do()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(begin) > 2*time.Second {
		t.Fatalf("want prompt deadline error, got %v after %v", err, time.Since(begin))
	}
	must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "T").Do())

	emu.InjectFault(Fault{Op: "get", Latency: 50 * time.Millisecond, Status: 500})
	_, err = svc.Spreadsheets.Values.Get(sid, "T").Do()
	eq(t, "latency+status", gerr(t, err).Code, 500)
	emu.InjectFault(Fault{Op: "get", Times: 5, Status: 503})
	emu.ClearFaults()
	must[*sheets.ValueRange](t)(svc.Spreadsheets.Values.Get(sid, "T").Do())
}

func TestDropResponseAppliesButClientErrors(t *testing.T) {
	emu, svc, _ := start(t)
	emu.SetTab(sid, "T", [][]any{{"h"}})
	emu.InjectFault(Fault{Op: "append", DropResponse: true})
	_, err := svc.Spreadsheets.Values.Append(sid, "T", &sheets.ValueRange{Values: [][]any{{"once"}}}).
		ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Do()
	var ge *googleapi.Error
	if err == nil || errors.As(err, &ge) {
		t.Fatalf("want transport error, got %v", err)
	}
	eq(t, "applied", emu.Tab(sid, "T"), [][]any{{"h"}, {"once"}})
	eq(t, "count", emu.Count("append"), 1)
}

func TestRequireBearerWithServiceAccount(t *testing.T) {
	emu, _, url := start(t)
	emu.SetTab(sid, "T", [][]any{{"secret"}})
	emu.RequireBearer("tok-123")
	tokenSrv := httptest.NewServer(emu.TokenHandler("tok-123"))
	defer tokenSrv.Close()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must[[]byte](t)(x509.MarshalPKCS8PrivateKey(key))})
	keyJSON := must[[]byte](t)(json.Marshal(map[string]string{
		"type": "service_account", "project_id": "demo", "private_key_id": "k1", "private_key": string(pemKey),
		"client_email": "bot@demo.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenSrv.URL,
	}))
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(keyFile, keyJSON, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	conf := must[*jwt.Config](t)(google.JWTConfigFromJSON(must[[]byte](t)(os.ReadFile(keyFile)), sheets.SpreadsheetsScope))
	authed := must[*sheets.Service](t)(sheets.NewService(ctx, option.WithEndpoint(url+"/"), option.WithHTTPClient(conf.Client(ctx))))
	for range 2 {
		vr := must[*sheets.ValueRange](t)(authed.Spreadsheets.Values.Get(sid, "T").Do())
		eq(t, "authed", vr.Values, [][]any{{"secret"}})
	}
	eq(t, "token fetched once and cached", emu.Count("token"), 1)

	anon := must[*sheets.Service](t)(sheets.NewService(ctx, option.WithEndpoint(url+"/"), option.WithoutAuthentication()))
	_, err = anon.Spreadsheets.Values.Get(sid, "T").Do()
	ge := gerr(t, err)
	eq(t, "anonymous", []any{ge.Code, strings.Contains(ge.Body, "UNAUTHENTICATED")}, []any{401, true})

	res, err := http.PostForm(tokenSrv.URL, map[string][]string{"grant_type": {"password"}, "assertion": {"a.b.c"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	eq(t, "bad grant", res.StatusCode, 400)
	res, err = http.PostForm(tokenSrv.URL, map[string][]string{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"not-a-jwt"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	eq(t, "bad assertion", res.StatusCode, 400)
}

func TestLoadSaveRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	emu := New()
	emu.AddSpreadsheet("a", "Alpha")
	emu.SetTab("a", "Zeta", [][]any{{"x", 1.5, true, nil, "y"}, {}, {"z"}})
	emu.SetTab("a", "Alpha tab", nil)
	emu.SetTab("b", "Only", [][]any{{"15.00"}})
	if err := emu.Save(path); err != nil {
		t.Fatal(err)
	}
	fi := must[os.FileInfo](t)(os.Stat(path))
	eq(t, "mode", fi.Mode().Perm(), os.FileMode(0o600))

	back := must[*Server](t)(Load(path))
	eq(t, "tab order", back.Tabs("a"), []string{"Zeta", "Alpha tab"})
	eq(t, "values", back.Tab("a", "Zeta"), [][]any{{"x", 1.5, true, nil, "y"}, {}, {"z"}})
	eq(t, "text stays text", back.Tab("b", "Only"), [][]any{{"15.00"}})
	eq(t, "missing tab", back.Tab("a", "nope"), [][]any(nil))
	entries := must[[]os.DirEntry](t)(os.ReadDir(filepath.Dir(path)))
	eq(t, "no temp files left", len(entries), 1)
}

func TestParseRange(t *testing.T) {
	b := &book{}
	for _, name := range []string{"Shifts", "My Tab", "It's", "a!b", "A1"} {
		b.add(name, defaultRows, defaultCols)
	}
	for in, want := range map[string]string{
		"Shifts":          "Shifts!A1:Z1000",
		"shifts!b2":       "Shifts!B2",
		"'My Tab'":        "'My Tab'!A1:Z1000",
		"'It''s'!A1:B2":   "'It''s'!A1:B2",
		"Shifts!A:C":      "Shifts!A1:C1000",
		"Shifts!2:5":      "Shifts!A2:Z5",
		"Shifts!A2:C":     "Shifts!A2:C1000",
		"Shifts!$B$2:C3":  "Shifts!B2:C3",
		"Shifts!C3:A1":    "Shifts!A1:C3",
		"B2:C3":           "Shifts!B2:C3", // no tab: the first one
		"a!b":             "'a!b'!A1:Z1000",
		"a!b!A1":          "'a!b'!A1",
		"A1":              "'A1'!A1:Z1000", // a tab name wins over a cell
		"Shifts!AA1:AB2":  "Shifts!AA1:AB2",
		"Shifts!A0":       "error",
		"Shifts!A":        "error",
		"Shifts!A:5":      "error",
		"Shifts!":         "error",
		"Nope!A1":         "error",
		"'Shifts":         "error",
		"Shifts!A1:B2:C3": "error",
	} {
		rg, err := b.parseRange(in)
		got := "error"
		if err == nil {
			got = rg.String()
		}
		eq(t, in, got, want)
	}
}
