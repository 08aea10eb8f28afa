package sheetsemu

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// call is one parsed API request.
type call struct {
	op   string // "" if no operation matches
	id   string // spreadsheet id
	rng  string // decoded A1 range of single-range value operations
	q    url.Values
	body []byte
}

// apiError is answered with Google's JSON error envelope.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func apiErr(code int, msg string) error { return &apiError{code, msg} }

// route maps a request to an operation. It reads the escaped path because
// the client percent-encodes '/', ':' and '!' inside the range: only an
// unescaped ':' separates a custom verb such as ":append".
func route(r *http.Request) call {
	c := call{q: r.URL.Query()}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v4/spreadsheets/")
	idPart, sub, hasSub := strings.Cut(rest, "/")
	idEsc, verb, _ := strings.Cut(idPart, ":")
	id, err := url.PathUnescape(idEsc)
	if !ok || err != nil || id == "" {
		return c
	}
	key := r.Method + " " + verb
	if rangeEsc, ok := strings.CutPrefix(sub, "values/"); ok && verb == "" {
		// Hand-written clients may leave ':' in the range unescaped, so
		// only a known verb after the last ':' counts as one.
		key = r.Method + " values/"
		if i := strings.LastIndex(rangeEsc, ":"); i >= 0 && (rangeEsc[i:] == ":append" || rangeEsc[i:] == ":clear") {
			key, rangeEsc = key+rangeEsc[i:], rangeEsc[:i]
		}
		if c.rng, err = url.PathUnescape(rangeEsc); err != nil || c.rng == "" {
			return c
		}
	} else if hasSub {
		key = r.Method + " " + sub
	}
	c.id = id
	c.op = map[string]string{
		"GET ":                    "spreadsheets.get",
		"POST batchUpdate":        "spreadsheets.batchUpdate",
		"GET values/":             "get",
		"PUT values/":             "update",
		"POST values/:append":     "append",
		"POST values/:clear":      "clear",
		"GET values:batchGet":     "batchGet",
		"POST values:batchUpdate": "batchUpdate",
		"POST values:batchClear":  "batchClear",
	}[key]
	return c
}

// ServeHTTP serves the Sheets v4 REST API. Order matters: every request is
// counted, authentication comes before faults (a 401 does not use one up),
// and a dropped response is decided only after the request was applied.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := route(r)
	op := cmp.Or(c.op, "unknown")
	if bearer := s.arrive(op); bearer != "" && r.Header.Get("Authorization") != "Bearer "+bearer {
		msg := "" // default: invalid credentials
		if r.Header.Get("Authorization") == "" {
			msg = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
		writeError(w, c.q, 401, msg)
		return
	}
	f := s.takeFault(op)
	var err error
	if c.body, err = io.ReadAll(r.Body); err != nil {
		return
	}
	if f.Before != nil {
		f.Before()
	}
	if f.Hold != nil {
		<-f.Hold // applied late, for a client that may be gone
	} else if !sleep(r, f.Latency) {
		return // the client went away; nobody is listening
	}
	switch {
	case f.Status != 0:
		writeError(w, c.q, f.Status, "")
		return
	case c.op == "":
		writeError(w, c.q, 404, "Method not found.")
		return
	}
	res, err := s.handle(&c)
	var ae *apiError
	switch {
	case f.DropResponse:
		dropConnection(w)
	case errors.As(err, &ae):
		writeError(w, c.q, ae.code, ae.msg)
	default:
		writeJSON(w, c.q, 200, res)
	}
}

func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// dropConnection closes the connection without a response, so the client
// sees a transport error rather than an HTTP status.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // e.g. HTTP/2: resets the stream instead
	}
	conn.Close()
}

func writeJSON(w http.ResponseWriter, q url.Values, code int, v any) {
	var data []byte
	if q.Get("prettyPrint") == "false" {
		data, _ = json.Marshal(v)
	} else {
		data, _ = json.MarshalIndent(v, "", "  ") // Google pretty-prints unless told not to
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(append(data, '\n'))
}

// errorKinds gives the google.rpc status name, legacy reason and usual
// message for each HTTP code.
var errorKinds = map[int][3]string{
	400: {"INVALID_ARGUMENT", "badRequest", "Request contains an invalid argument."},
	401: {"UNAUTHENTICATED", "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."},
	403: {"PERMISSION_DENIED", "forbidden", "The caller does not have permission"},
	404: {"NOT_FOUND", "notFound", "Requested entity was not found."},
	409: {"ABORTED", "aborted", "The operation was aborted."},
	429: {"RESOURCE_EXHAUSTED", "rateLimitExceeded", "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' of service 'sheets.googleapis.com'."},
	500: {"INTERNAL", "backendError", "Internal error encountered."},
	503: {"UNAVAILABLE", "backendError", "The service is currently unavailable."},
	504: {"DEADLINE_EXCEEDED", "backendError", "Deadline exceeded."},
}

// writeError answers with Google's error envelope; msg "" means the usual
// message for code.
func writeError(w http.ResponseWriter, q url.Values, code int, msg string) {
	k, ok := errorKinds[code]
	if !ok && code >= 500 {
		k = [3]string{"INTERNAL", "backendError", http.StatusText(code)}
	} else if !ok {
		k = [3]string{"FAILED_PRECONDITION", "failedPrecondition", http.StatusText(code)}
	}
	msg = cmp.Or(msg, k[2])
	writeJSON(w, q, code, map[string]any{"error": map[string]any{
		"code": code, "message": msg, "status": k[0],
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": k[1]}},
	}})
}

// TokenHandler returns an OAuth2 token endpoint for service-account grants
// (grant_type jwt-bearer with a three-part JWT assertion; the signature is
// not checked) that always issues token. Calls count as op "token", and
// faults with Op "token" apply to it.
func (s *Server) TokenHandler(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.arrive("token")
		f := s.takeFault("token")
		if !sleep(r, f.Latency) {
			return
		}
		reply := func(code int, v map[string]any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(v)
		}
		oauthErr := func(code int, kind, desc string) {
			reply(code, map[string]any{"error": kind, "error_description": desc})
		}
		jwtParts := strings.Split(r.PostFormValue("assertion"), ".")
		switch {
		case f.Status != 0:
			oauthErr(f.Status, "server_error", "injected fault")
		case r.Method != http.MethodPost:
			oauthErr(405, "invalid_request", "token requests must be POSTed")
		case r.PostFormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
			oauthErr(400, "unsupported_grant_type", "Invalid grant_type: "+r.PostFormValue("grant_type"))
		case len(jwtParts) != 3 || slices.Contains(jwtParts, ""):
			oauthErr(400, "invalid_grant", "Invalid JWT: the assertion is not a signed JWT")
		case f.DropResponse:
			dropConnection(w)
		default:
			reply(200, map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600})
		}
	})
}
