// Package fakehttp holds what the SDK's fake services (powerbitest,
// starfacetest) share: an in-process transport that works inside
// testing/synctest bubbles, and the injected dropped connection.
package fakehttp

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"time"
)

// Transport returns an http.RoundTripper that calls h in-process: no
// socket, no goroutine, so nothing waits on the network and a
// testing/synctest bubble's clock keeps moving. It serves any URL. The
// request's context is honoured: a context already done, or done while
// the handler waits, makes RoundTrip return its error. A request the
// handler dropped (Drop) fails with a *net.OpError wrapping dropped.
func Transport(h http.Handler, dropped error) http.RoundTripper {
	return transport{h: h, dropped: dropped}
}

type transport struct {
	h       http.Handler
	dropped error
}

// writer is the handler's response writer under the Transport.
type writer struct {
	*httptest.ResponseRecorder
	dropped bool
}

func (w *writer) drop() { w.dropped = true }

// RoundTrip implements http.RoundTripper.
func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close() // a RoundTripper closes the body, even on errors
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// What a server would hand the handler.
	sreq := req.Clone(ctx)
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "192.0.2.1:50000" // TEST-NET-1
	w := &writer{ResponseRecorder: httptest.NewRecorder()}
	t.h.ServeHTTP(w, sreq)
	if w.dropped {
		// Shaped like a connection reset by the peer.
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: t.dropped}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp := w.Result()
	resp.Request = req
	return resp, nil
}

// dropper is the Transport's response writer: it turns a drop into a
// network error.
type dropper interface{ drop() }

// Drop ends the exchange without an answer: under Transport, RoundTrip
// returns a network error; under a server, the connection is hijacked and
// closed; anything else is aborted with http.ErrAbortHandler, which
// net/http's servers (HTTP/2 included) recover from by resetting the
// stream.
func Drop(w http.ResponseWriter) {
	for u := w; u != nil; {
		if d, ok := u.(dropper); ok {
			d.drop()
			return
		}
		uw, ok := u.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		u = uw.Unwrap()
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// Sleep waits d or until ctx is done, and reports whether d passed. It
// uses a timer, so a synctest bubble fakes it.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// StatusWriter records the status a handler sends (200 when it writes a
// body without one), for the fakes' request logs.
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records code and sends it.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200 if no status was sent yet, and writes b.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the underlying writer (for http.ResponseController and
// Drop).
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
