// Package sheets owns the Google Sheets API and nothing else: service-account
// auth, the few calls the sync engine makes, and retries within a per-cycle
// budget (SPEC §3). What cells mean is the sync engine's business; this
// package links no database.
package sheets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"
)

// Defaults for Config.
const (
	DefaultTimeout = 15 * time.Second
	// Google's guidance: retry 429 and 5xx with exponential backoff and
	// jitter. A cycle gives up after these, so that a failing cycle ends well
	// inside systemd's 30 s stop timeout; the next cycle tries again.
	DefaultRetries    = 3
	DefaultMaxBackoff = 20 * time.Second
)

// Config says where the spreadsheet is and how to reach it.
type Config struct {
	SpreadsheetID string
	Endpoint      string // SHEETS_ENDPOINT; "" for Google's
	KeyFile       string // GOOGLE_SA_JSON
	Timeout       time.Duration
	Logger        *slog.Logger
	// BackoffUnit scales the retry waits (2^n units plus up to one unit of
	// jitter); one second in production, milliseconds in tests.
	BackoffUnit time.Duration
}

// Client is a Sheets API client for one spreadsheet.
type Client struct {
	mu       sync.Mutex
	missing  map[string]time.Time // tabs found missing, and when
	svc      *sheetsapi.Service
	id       string
	timeout  time.Duration
	log      *slog.Logger
	requests atomic.Int64
	unit     time.Duration
}

// New builds a client. With a key file it authenticates as the service
// account (the key's token_uri is honoured); with an emulator endpoint and no
// key file it sends no credentials.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.BackoffUnit == 0 {
		cfg.BackoffUnit = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The client's own HTTP client: the service account's token on every
	// request (oauth2.Transport, as option.WithTokenSource would add), and
	// under it the transport that recognises an unchanged response.
	var base http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	key, err := os.ReadFile(cfg.KeyFile)
	switch {
	case err == nil:
		conf, err := google.JWTConfigFromJSON(key, sheetsapi.SpreadsheetsScope)
		if err != nil {
			return nil, fmt.Errorf("GOOGLE_SA_JSON %s: not a service-account key: %w", cfg.KeyFile, err)
		}
		base = &oauth2.Transport{Source: conf.TokenSource(context.WithoutCancel(ctx)), Base: base}
	case errors.Is(err, os.ErrNotExist) && cfg.Endpoint != "":
		// An emulator: no credentials.
	default:
		return nil, fmt.Errorf("GOOGLE_SA_JSON %s: %w", cfg.KeyFile, err)
	}
	opts := []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: digestTransport{base}})}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	svc, err := sheetsapi.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("create Sheets client: %w", err)
	}
	return &Client{svc: svc, id: cfg.SpreadsheetID, timeout: cfg.Timeout, log: cfg.Logger, unit: cfg.BackoffUnit}, nil
}

// Requests is how many HTTP requests the client has sent, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Budget bounds the retries of one sync cycle: its requests share it.
type Budget struct {
	mu      sync.Mutex
	retries int
	backoff time.Duration
}

// NewBudget is the budget of one cycle.
func NewBudget() *Budget { return &Budget{retries: DefaultRetries, backoff: DefaultMaxBackoff} }

func (b *Budget) take(d time.Duration) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.retries <= 0 || b.backoff <= 0 {
		return 0, false
	}
	b.retries--
	d = min(d, b.backoff)
	b.backoff -= d
	return d, true
}

type budgetKey struct{}

// WithBudget makes every request made with ctx share b.
func WithBudget(ctx context.Context, b *Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

func budgetOf(ctx context.Context) *Budget {
	if b, ok := ctx.Value(budgetKey{}).(*Budget); ok {
		return b
	}
	return NewBudget()
}

// retryable reports whether err is worth another try: quota (429), server
// errors and timeouts or dropped connections.
func retryable(err error) bool {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return gerr.Code == http.StatusTooManyRequests || gerr.Code >= 500
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset")
}

// Refused reports whether Google answered err with an error status: the
// request was not applied, unlike a timeout or a dropped connection, after
// which Google may still apply it.
func Refused(err error) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr)
}

// do runs one API call with a per-request timeout. Idempotent calls are
// retried per the cycle's budget; an append never is (SPEC §3).
func (c *Client) do(ctx context.Context, op string, idempotent bool, call func(context.Context) error) error {
	budget := budgetOf(ctx)
	for attempt := 0; ; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, c.timeout)
		c.requests.Add(1)
		err := call(rctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !idempotent || !retryable(err) {
			return fmt.Errorf("sheets %s: %w", op, err)
		}
		wait := backoff(attempt, err, c.unit)
		wait, ok := budget.take(wait)
		if !ok {
			return fmt.Errorf("sheets %s: giving up after retries: %w", op, err)
		}
		c.log.Warn("Sheets request failed, backing off", "op", op, "attempt", attempt+1, "wait", wait.Round(time.Millisecond).String(), "err", err)
		if err := sleepCtx(ctx, wait); err != nil {
			return fmt.Errorf("sheets %s: %w", op, err)
		}
	}
}

// backoff is 2^n units plus up to one unit of jitter, or the server's
// Retry-After.
func backoff(attempt int, err error, unit time.Duration) time.Duration {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		if s, err := strconv.Atoi(gerr.Header.Get("Retry-After")); err == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	return time.Duration(1<<attempt)*unit + rand.N(unit)
}

// quote makes a tab name an A1 range: 'It”s' for It's.
func quote(tab string) string { return "'" + strings.ReplaceAll(tab, "'", "''") + "'" }

// A1 names one cell: row 1-based, col 0-based.
func A1(tab string, row, col int) string {
	return fmt.Sprintf("%s!%s%d", quote(tab), ColumnName(col), row)
}

// Span names a block of cells: rows 1-based and inclusive, columns 0-based
// and inclusive; lastRow 0 leaves the rows open to the end of the tab.
func Span(tab string, firstRow, firstCol, lastRow, lastCol int) string {
	end := ColumnName(lastCol)
	if lastRow > 0 {
		end += strconv.Itoa(lastRow)
	}
	return fmt.Sprintf("%s!%s%d:%s", quote(tab), ColumnName(firstCol), firstRow, end)
}

// WholeRow names one whole row (1-based) of a tab.
func WholeRow(tab string, row int) string { return fmt.Sprintf("%s!%d:%d", quote(tab), row, row) }

// Whole names a whole tab.
func Whole(tab string) string { return quote(tab) }

// ColumnName turns a 0-based column index into letters: 0 → A, 26 → AA.
func ColumnName(col int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name
}

// BatchGet reads whole tabs in one request, as rows of text (Row):
// unformatted values, date-times as formatted strings; a tab's first row is
// its header. Tabs that do not exist are returned in missing (that
// costs one spreadsheets.get and a second batchGet, only when it happens).
// digest identifies the response; when it equals unless (not 0) the
// response is the same as the one unless was taken from, and values is nil:
// the caller has nothing to do, and the response is not even decoded.
//
// A tab found missing is left out of the next requests for MissingRecheck
// (and reported missing meanwhile): one absent tab would otherwise cost
// those two extra requests every cycle.
func (c *Client) BatchGet(ctx context.Context, tabs []string, unless uint64) (values map[string][]Row, missing []string, digest uint64, err error) {
	ask, known := c.leaveOutMissing(tabs)
	values, digest, err = c.batchGet(ctx, ask, unless)
	var gerr *googleapi.Error
	if err == nil || !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest {
		return values, known, digest, err
	}
	existing, terr := c.TabNames(ctx)
	if terr != nil {
		return nil, nil, 0, errors.Join(err, terr)
	}
	have := make(map[string]bool, len(existing))
	for _, t := range existing {
		have[t] = true
	}
	var present []string
	for _, t := range ask {
		if have[t] {
			present = append(present, t)
		} else {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil, nil, 0, err
	}
	c.noteMissing(missing)
	values, digest, err = c.batchGet(ctx, present, unless)
	return values, append(known, missing...), digest, err
}

// MissingRecheck is how long a tab found missing is not asked for again.
const MissingRecheck = 10 * time.Minute

func (c *Client) leaveOutMissing(tabs []string) (ask, missing []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range tabs {
		if at, ok := c.missing[t]; ok && time.Since(at) < MissingRecheck {
			missing = append(missing, t)
		} else {
			ask = append(ask, t)
		}
	}
	return ask, missing
}

func (c *Client) noteMissing(tabs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.missing == nil {
		c.missing = map[string]time.Time{}
	}
	for _, t := range tabs {
		c.missing[t] = time.Now()
	}
}

func (c *Client) batchGet(ctx context.Context, tabs []string, unless uint64) (map[string][]Row, uint64, error) {
	ranges := make([]string, len(tabs))
	for i, t := range tabs {
		ranges[i] = quote(t)
	}
	got, digest, err := c.getRanges(ctx, ranges, false, unless)
	if err != nil || got == nil {
		return nil, digest, err
	}
	out := make(map[string][]Row, len(tabs))
	for i, t := range tabs {
		out[t] = got[i]
	}
	return out, digest, nil
}

// bodyDigest asks digestTransport for the body of a response, and its
// digest.
type bodyDigest struct {
	unless uint64 // the digest that means "unchanged"
	digest uint64
	same   bool
	body   []byte
}

type bodyDigestKey struct{}

// digestTransport takes the body of successful responses to requests that
// ask for it (bodyDigestKey), and its digest, and hands the library an empty
// object to decode: the caller reads the rows as text (Row). Most pulls find
// a spreadsheet nobody touched, recognised by the same bytes; the others
// decode only the rows that changed. Decoding 50,000 rows into values, and
// collecting that garbage, is otherwise the largest cost of a pull on a
// throttled Pi.
type digestTransport struct{ base http.RoundTripper }

func (t digestTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	bd, ok := req.Context().Value(bodyDigestKey{}).(*bodyDigest)
	if err != nil || !ok || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	bd.digest, bd.body = xxhash.Sum64(body), body
	bd.same = bd.unless != 0 && bd.digest == bd.unless
	resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader("{}")), 2
	return resp, nil
}

// ValueRange is a block of cells to write. A nil cell is sent as JSON null,
// which the API skips ("Null values will be skipped", ValueRange in the
// Sheets API reference), so one range can span a row's cells while leaving
// the ones between alone; "" clears a cell.
type ValueRange struct {
	Range  string
	Values [][]any
}

// Row is one row of a values response as the API sent it: a JSON array of
// the row's cells up to its last non-empty one. Reading a large tab keeps
// its rows as text, which the garbage collector never scans: a pull decodes
// only the rows whose text changed since the last one (Cells), and tells the
// others by their Digest.
type Row []byte

// Cells decodes the row: strings, float64 numbers, bools, nil for empty.
// Cells are scalars, so each is read directly; only a string with escapes
// goes through encoding/json. A pull decodes every new row this way.
func (r Row) Cells() ([]any, error) {
	var cells []any
	j := 0
	for j < len(r) && r[j] != '[' {
		j++
	}
	for j++; j < len(r); {
		j = skipSpace(r, j)
		if j >= len(r) || r[j] == ']' {
			return cells, nil
		}
		end, err := elementEnd(r, j)
		if err != nil {
			return nil, err
		}
		v, err := scalar(r[j:end])
		if err != nil {
			return nil, err
		}
		cells = append(cells, v)
		if j = skipSpace(r, end); j < len(r) && r[j] == ',' {
			j++
		}
	}
	return cells, nil
}

// scalar decodes one JSON scalar.
func scalar(b []byte) (any, error) {
	switch {
	case len(b) == 0:
		return nil, errors.New("sheets: a cell of the response: empty")
	case b[0] == '"':
		if bytes.IndexByte(b, '\\') < 0 {
			return string(b[1 : len(b)-1]), nil
		}
	case string(b) == "true":
		return true, nil
	case string(b) == "false":
		return false, nil
	case string(b) == "null":
		return nil, nil
	default:
		if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			return f, nil
		}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("sheets: a cell of the response: %w", err)
	}
	return v, nil
}

// Cell decodes cell i alone (nil if the row is shorter), scanning the text
// only that far: how a pull that skips unchanged rows still finds each
// row's key.
func (r Row) Cell(i int) (any, error) {
	j := 0
	for j < len(r) && r[j] != '[' {
		j++
	}
	j++
	for n := 0; j < len(r); n++ {
		j = skipSpace(r, j)
		if j >= len(r) || r[j] == ']' {
			return nil, nil
		}
		end, err := elementEnd(r, j)
		if err != nil {
			return nil, err
		}
		if n == i {
			return scalar(r[j:end])
		}
		j = skipSpace(r, end)
		if j < len(r) && r[j] == ',' {
			j++
		}
	}
	return nil, nil
}

func skipSpace(r Row, j int) int {
	for j < len(r) && (r[j] == ' ' || r[j] == '\n' || r[j] == '\r' || r[j] == '\t') {
		j++
	}
	return j
}

// elementEnd is the end of the scalar JSON value starting at j: a cell is a
// string, a number, true, false or null.
func elementEnd(r Row, j int) (int, error) {
	if r[j] == '"' {
		for k := j + 1; k < len(r); k++ {
			switch r[k] {
			case '\\':
				k++
			case '"':
				return k + 1, nil
			}
		}
		return 0, errors.New("sheets: a cell of the response: unterminated string")
	}
	k := j
	for k < len(r) && r[k] != ',' && r[k] != ']' && r[k] != ' ' && r[k] != '\n' {
		k++
	}
	return k, nil
}

// Digest identifies the row's text: the API writes the same cells the same
// way, so the same digest means the same cells.
func (r Row) Digest() uint64 { return xxhash.Sum64(r) }

// GetRanges reads A1 ranges in one values.batchGet: unformatted values, or
// as Sheets displays them (formatted); date-times always as formatted
// strings. Idempotent, so retried.
func (c *Client) GetRanges(ctx context.Context, ranges []string, formatted bool) ([][]Row, error) {
	got, _, err := c.getRanges(ctx, ranges, formatted, 0)
	return got, err
}

// getRanges is GetRanges that also returns the digest of the whole response;
// when it equals unless (not 0), nothing is decoded and the rows are nil.
func (c *Client) getRanges(ctx context.Context, ranges []string, formatted bool, unless uint64) ([][]Row, uint64, error) {
	if len(ranges) == 0 {
		return nil, 0, nil
	}
	render := "UNFORMATTED_VALUE"
	if formatted {
		render = "FORMATTED_VALUE"
	}
	bd := &bodyDigest{unless: unless}
	ctx = context.WithValue(ctx, bodyDigestKey{}, bd)
	err := c.do(ctx, "values.batchGet", true, func(ctx context.Context) error {
		_, err := c.svc.Spreadsheets.Values.BatchGet(c.id).Ranges(ranges...).
			ValueRenderOption(render).DateTimeRenderOption("FORMATTED_STRING").
			MajorDimension("ROWS").Context(ctx).Do()
		return err
	})
	if err != nil || bd.same {
		return nil, bd.digest, err
	}
	var resp struct {
		ValueRanges []struct {
			Values []json.RawMessage `json:"values"`
		} `json:"valueRanges"`
	}
	if err := json.Unmarshal(bd.body, &resp); err != nil {
		return nil, 0, fmt.Errorf("sheets values.batchGet: response: %w", err)
	}
	if len(resp.ValueRanges) != len(ranges) {
		return nil, 0, fmt.Errorf("sheets values.batchGet: asked for %d ranges, got %d", len(ranges), len(resp.ValueRanges))
	}
	out := make([][]Row, len(ranges))
	for i, vr := range resp.ValueRanges {
		out[i] = make([]Row, len(vr.Values))
		for j, r := range vr.Values {
			out[i][j] = Row(r)
		}
	}
	return out, bd.digest, nil
}

// BatchUpdate writes ranges in one values.batchUpdate, RAW. prepare builds
// the ranges before each attempt, so a retry can first look again where the
// rows are: Sheets addresses cells by row number and has no conditional
// write, and rows move while a request waits to be retried. A write is
// idempotent, so it is retried within the cycle's budget.
func (c *Client) BatchUpdate(ctx context.Context, prepare func(context.Context) ([]ValueRange, error)) error {
	return c.do(ctx, "values.batchUpdate", true, func(ctx context.Context) error {
		data, err := prepare(ctx)
		if err != nil || len(data) == 0 {
			return err
		}
		req := &sheetsapi.BatchUpdateValuesRequest{ValueInputOption: "RAW"}
		for _, d := range data {
			req.Data = append(req.Data, &sheetsapi.ValueRange{Range: d.Range, Values: d.Values, MajorDimension: "ROWS"})
		}
		_, err = c.svc.Spreadsheets.Values.BatchUpdate(c.id, req).Context(ctx).Do()
		return err
	})
}

// DeleteRows deletes whole rows (1-based row numbers) of tab in one
// spreadsheets.batchUpdate, bottom first so the numbers stay valid. Never
// retried: deleting a row twice deletes two rows.
func (c *Client) DeleteRows(ctx context.Context, tab string, rows []int) error {
	if len(rows) == 0 {
		return nil
	}
	id, err := c.sheetID(ctx, tab)
	if err != nil {
		return err
	}
	sorted := slices.Sorted(slices.Values(rows))
	req := &sheetsapi.BatchUpdateSpreadsheetRequest{}
	for i := len(sorted) - 1; i >= 0; i-- {
		req.Requests = append(req.Requests, &sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{
			Range: &sheetsapi.DimensionRange{SheetId: id, Dimension: "ROWS", StartIndex: int64(sorted[i] - 1),
				EndIndex: int64(sorted[i]), ForceSendFields: []string{"SheetId", "StartIndex"}}}})
	}
	return c.do(ctx, "spreadsheets.batchUpdate", false, func(ctx context.Context) error {
		_, err := c.svc.Spreadsheets.BatchUpdate(c.id, req).Context(ctx).Do()
		return err
	})
}

// sheetID finds a tab's numeric id, which row deletions need.
func (c *Client) sheetID(ctx context.Context, tab string) (int64, error) {
	var resp *sheetsapi.Spreadsheet
	err := c.do(ctx, "spreadsheets.get", true, func(ctx context.Context) (err error) {
		resp, err = c.svc.Spreadsheets.Get(c.id).Fields("sheets.properties(sheetId,title)").Context(ctx).Do()
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, s := range resp.Sheets {
		if s.Properties != nil && strings.EqualFold(s.Properties.Title, tab) {
			return s.Properties.SheetId, nil
		}
	}
	return 0, fmt.Errorf("sheets: no tab %q", tab)
}

// Append inserts rows after the last row of tab, RAW. Never retried: a
// retry after a lost response would append twice (SPEC §3).
func (c *Client) Append(ctx context.Context, tab string, rows [][]any) (updatedRange string, err error) {
	vr := &sheetsapi.ValueRange{Values: rows, MajorDimension: "ROWS"}
	err = c.do(ctx, "values.append", false, func(ctx context.Context) error {
		resp, err := c.svc.Spreadsheets.Values.Append(c.id, quote(tab)+"!A1", vr).
			ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Context(ctx).Do()
		if err == nil && resp.Updates != nil {
			updatedRange = resp.Updates.UpdatedRange
		}
		return err
	})
	return updatedRange, err
}

// TabNames lists the spreadsheet's tabs.
func (c *Client) TabNames(ctx context.Context) ([]string, error) {
	var resp *sheetsapi.Spreadsheet
	err := c.do(ctx, "spreadsheets.get", true, func(ctx context.Context) (err error) {
		resp, err = c.svc.Spreadsheets.Get(c.id).Fields("sheets.properties.title").Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(resp.Sheets))
	for _, s := range resp.Sheets {
		if s.Properties != nil {
			names = append(names, s.Properties.Title)
		}
	}
	return names, nil
}

// AddTabs creates tabs in one request.
func (c *Client) AddTabs(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	c.mu.Lock()
	for _, n := range names {
		delete(c.missing, n)
	}
	c.mu.Unlock()
	req := &sheetsapi.BatchUpdateSpreadsheetRequest{}
	for _, n := range names {
		req.Requests = append(req.Requests, &sheetsapi.Request{AddSheet: &sheetsapi.AddSheetRequest{
			Properties: &sheetsapi.SheetProperties{Title: n}}})
	}
	return c.do(ctx, "spreadsheets.batchUpdate", false, func(ctx context.Context) error {
		_, err := c.svc.Spreadsheets.BatchUpdate(c.id, req).Context(ctx).Do()
		return err
	})
}
