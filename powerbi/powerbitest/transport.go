package powerbitest

import (
	"net/http"
	"net/http/httptest"

	"github.com/starinsight/starinsight/internal/fakehttp"
)

// Transport returns an http.RoundTripper that calls the service's
// handler in-process: no socket, no goroutine. It serves any URL (use
// the real base, "https://api.powerbi.com/v1.0/myorg"). Because nothing
// waits on the network, it works inside a testing/synctest bubble, where
// a real connection would stall the fake clock.
//
// The request's context is honoured: a context already done, or done
// while a [Fault] delays the request, makes RoundTrip return its error
// and the request store nothing. A dropped request ([Fault.Drop]) is a
// *net.OpError wrapping [ErrDropped].
func (s *Service) Transport() http.RoundTripper {
	return fakehttp.Transport(http.HandlerFunc(s.serveHTTP), ErrDropped)
}

// Client returns an http.Client that uses [Service.Transport].
func (s *Service) Client() *http.Client { return &http.Client{Transport: s.Transport()} }

// Server is a [Service] behind a real HTTP server on a loopback port, in
// the manner of httptest.Server: for tests that need a URL (another
// process, a client that insists on dialling). Inside a testing/synctest
// bubble use [Service.Transport] instead.
type Server struct {
	*Service
	// URL is the server's base URL, "http://127.0.0.1:port", without a
	// trailing slash. The API is at URL + "/v1.0/myorg".
	URL string

	srv *httptest.Server
}

// NewServer starts a server around a new [Service]. The caller must
// Close it.
func NewServer(opts ...Option) *Server {
	s := New(opts...)
	ts := httptest.NewServer(s.Handler())
	return &Server{Service: s, URL: ts.URL, srv: ts}
}

// BaseURL is the API's base for the signed-in user: URL + "/v1.0/myorg".
func (s *Server) BaseURL() string { return s.URL + "/v1.0/myorg" }

// Client returns an http.Client that dials the server over the network
// (it shadows [Service.Client], which does not).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }
