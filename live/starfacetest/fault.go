package starfacetest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/starinsight/starinsight/internal/fakehttp"
)

// Fault is a failure the PBX acts out on the next matching requests, in
// the order faults were injected. It acts before authentication and
// routing.
//
// A fault does, in this order: wait Delay; drop the connection (Drop);
// answer Status (with Body, or a small error body); answer an XML-RPC
// fault (FaultCode, FaultString); answer Body with 200. A fault with
// only a Delay then serves the request normally.
type Fault struct {
	// Method is the HTTP method it applies to; "" any.
	Method string
	// Path is the URL path it applies to ("/rest/users", "/xml-rpc"); a
	// path ending in "/" applies to every path below it; "" any.
	Path string
	// RPCMethod is the XML-RPC method it applies to
	// ("ucp.v30.requests.call.getCallIds"); "" any.
	RPCMethod string
	// Times is how many matching requests it acts on; 0 means once, a
	// negative value every one until [PBX.ClearFaults].
	Times int
	// Delay is waited before answering, on the request's context. It
	// uses the runtime's timers, so inside a testing/synctest bubble it
	// takes no real time.
	Delay time.Duration
	// Drop fails the request at the network level: through
	// [PBX.Transport] a *net.OpError wrapping [ErrDropped]; through a
	// server the connection is closed without an answer.
	Drop bool
	// Status, when not 0, is answered instead of serving the request.
	Status int
	// Body is sent verbatim, with Status or else 200, as ContentType
	// (default text/xml for a fault with an RPCMethod or a Path outside
	// /rest, application/json otherwise).
	Body        string
	ContentType string
	// FaultCode and FaultString, when either is set, answer an XML-RPC
	// fault.
	FaultCode   int
	FaultString string
}

// ErrDropped is the cause of the network error [PBX.Transport] returns
// for a request dropped by a [Fault].
var ErrDropped = errors.New("starfacetest: connection dropped by an injected fault")

type activeFault struct {
	f    Fault
	left int // negative: unlimited
}

// InjectFault adds a fault. See [Fault].
func (p *PBX) InjectFault(f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &activeFault{f: f, left: left})
}

// ClearFaults removes every injected fault that has not run out.
func (p *PBX) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

func (f Fault) matches(method, path, rpc string) bool {
	if f.Method != "" && f.Method != method {
		return false
	}
	if f.RPCMethod != "" && f.RPCMethod != rpc {
		return false
	}
	switch {
	case f.Path == "":
		return true
	case strings.HasSuffix(f.Path, "/"):
		return strings.HasPrefix(path, f.Path)
	}
	return f.Path == path
}

// takeFault returns the first fault matching the request and uses it up
// once.
func (p *PBX) takeFault(method, path, rpc string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, af := range p.faults {
		if !af.f.matches(method, path, rpc) {
			continue
		}
		if af.left > 0 {
			af.left--
			if af.left == 0 {
				p.faults = append(p.faults[:i:i], p.faults[i+1:]...)
			}
		}
		return af.f, true
	}
	return Fault{}, false
}

// act answers the fault, if it answers anything; it reports whether it
// did.
func (f Fault) act(w http.ResponseWriter) bool {
	ct := f.ContentType
	if ct == "" {
		ct = "text/xml; charset=UTF-8"
		if f.RPCMethod == "" && (f.Path == "" || strings.HasPrefix(f.Path, "/rest")) {
			ct = "application/json"
		}
	}
	switch {
	case f.Status != 0:
		if f.Body == "" {
			writeError(w, f.Status, "injected fault")
			return true
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return true
	case f.FaultCode != 0 || f.FaultString != "":
		writeRPCFault(w, f.FaultCode, f.FaultString)
		return true
	case f.Body != "":
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	return false
}

// Transport returns an http.RoundTripper that calls the PBX's handler
// in-process: no socket, no goroutine, so it works inside a
// testing/synctest bubble. It serves any URL ("https://pbx.test").
//
// The request's context is honoured: a context already done, or done
// while a [Fault] delays the request, makes RoundTrip return its error.
// A dropped request is a *net.OpError wrapping [ErrDropped].
func (p *PBX) Transport() http.RoundTripper {
	return fakehttp.Transport(http.HandlerFunc(p.serveHTTP), ErrDropped)
}

// Client returns an http.Client that uses [PBX.Transport].
func (p *PBX) Client() *http.Client { return &http.Client{Transport: p.Transport()} }

// Server is a [PBX] behind a real HTTP server on a loopback port, in the
// manner of httptest.Server. Inside a testing/synctest bubble use
// [PBX.Transport] instead.
type Server struct {
	*PBX
	// URL is the server's base URL, "http://127.0.0.1:port", without a
	// trailing slash: the REST API is at URL + "/rest".
	URL string

	srv *httptest.Server
}

// NewServer starts a server around the PBX. The caller must Close it.
func (p *PBX) NewServer() *Server {
	ts := httptest.NewServer(p.Handler())
	return &Server{PBX: p, URL: ts.URL, srv: ts}
}

// Client returns an http.Client that dials the server (it shadows
// [PBX.Client], which does not).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }
