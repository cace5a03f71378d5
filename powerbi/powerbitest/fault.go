package powerbitest

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure the fake acts out on the next matching requests, in
// the order faults were injected. A fault applies after authentication,
// routing and reading the body (a 401, an unknown path or an unreadable
// body consumes none) and, for PostRows, after the dataset lookup and
// the pending-request check, so a delayed PostRows counts as pending.
//
// A "long throttle" is Fault{Status: 429, RetryAfter: time.Hour}. A pure
// Delay (Status 0, no Drop) answers normally after the delay: that is
// how a test keeps requests pending.
type Fault struct {
	// Op is the operation the fault applies to (an Op constant); ""
	// applies it to any.
	Op string
	// Times is how many matching requests the fault acts on; 0 means
	// once, a negative value every one until [Service.ClearFaults].
	Times int
	// Status, when not 0, is the status answered instead of serving the
	// request; nothing is stored. An out-of-range status becomes 500.
	Status int
	// RetryAfter, when positive, is sent as a Retry-After header (whole
	// seconds, rounded up) with Status.
	RetryAfter time.Duration
	// Delay is waited before answering (on the request's context: a
	// cancelled request stops waiting and stores nothing). It uses the
	// runtime's timers, so inside a testing/synctest bubble it takes no
	// real time.
	Delay time.Duration
	// Body, when not "", is sent verbatim as the body with Status;
	// otherwise the body is a Power BI error.
	Body string
	// Drop fails the request at the network level without serving it:
	// through [Service.Transport] a network error wrapping
	// [ErrDropped]; through a server the connection is closed without a
	// response.
	Drop bool
	// DropAfter serves the request (rows are stored) and then drops the
	// response like Drop: the "did my POST land?" case that makes a
	// retry duplicate rows.
	DropAfter bool
}

// ErrDropped is the cause of the network error [Service.Transport]
// returns for a request dropped by a [Fault].
var ErrDropped = errors.New("powerbitest: connection dropped by an injected fault")

// activeFault is an injected fault and how many more requests it acts
// on (negative: unlimited).
type activeFault struct {
	f    Fault
	left int
}

// Inject adds a fault. See [Fault].
func (s *Service) Inject(f Fault) {
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		s.log.Warn("powerbitest: fault status out of range, using 500", "status", f.Status)
		f.Status = http.StatusInternalServerError
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{f: f, left: left})
}

// ClearFaults removes every injected fault that has not run out.
func (s *Service) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first injected fault matching op and uses it up
// once.
func (s *Service) takeFault(op string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, af := range s.faults {
		if af.f.Op != "" && af.f.Op != op {
			continue
		}
		if af.left > 0 {
			af.left--
			if af.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return af.f, true
	}
	return Fault{}, false
}

// writeFault answers with the fault's status.
func writeFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(f.RetryAfter)))
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	code := strings.ReplaceAll(http.StatusText(f.Status), " ", "")
	if code == "" {
		code = "Error"
	}
	writeError(w, f.Status, code, "injected fault: "+strconv.Itoa(f.Status)+" "+http.StatusText(f.Status))
}
