package authtest

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// oversize is the length of the body of an Oversize [Fault]: more than the
// 1 MiB limit clients read error bodies through, plus 1 KiB.
const oversize = 1<<20 + 1<<10 + 64

// Fault describes a misbehaviour the server shows on a route instead of, or
// before, its normal handling. Install one with [Server.Fail].
//
// The kinds apply in this order: Header, then Delay, then the first of Hang,
// Reset, Oversize and Status that is set. With none of those four, the
// route's normal handling follows the Delay (with the extra Header).
type Fault struct {
	// Status is the status to answer with Body. Zero means the route's
	// normal handling (after Delay), or 200 for Reset and Oversize.
	Status int
	// Body is the raw body answered with Status: valid or malformed JSON,
	// HTML, anything. Its Content-Type is application/json if it starts
	// with '{' or '[', else sniffed; set it in Header to override.
	Body string
	// Header holds extra response headers, such as Retry-After. They
	// replace headers of the same name the route would set.
	Header http.Header
	// Delay is a real-time delay before answering. It ends early, and no
	// answer is sent, if the client gives up or the server closes.
	Delay time.Duration
	// Hang makes the server never answer: the request is held until the
	// client gives up or the server closes.
	Hang bool
	// Reset makes the server write the status line, headers and part of a
	// body, then drop the connection.
	Reset bool
	// Oversize makes the server answer Status (200 if zero) with a
	// JSON-looking body longer than 1 MiB + 1 KiB.
	Oversize bool
	// Times is how many requests the fault applies to; 0 means every
	// request until [Server.ClearFaults].
	Times int
}

// Fail installs a fault on route, which is one of the Route constants or a
// pattern given to [Server.HandleFunc]; Fail panics on any other route and
// on a negative Times. Faults apply before a route's normal handling and
// the requests they answer are counted and recorded as usual.
//
// Faults on one route queue up in the order installed: each request gets
// the first fault in the queue, which leaves the queue once its Times are
// used up. A fault with Times 0 stays, hiding any installed after it.
func (s *Server) Fail(route string, f Fault) {
	if f.Times < 0 {
		panic(fmt.Sprintf("authtest: Fail: negative Times %d", f.Times))
	}
	f.Header = f.Header.Clone()
	s.mu.Lock()
	known := s.routes[route]
	if known {
		s.faults[route] = append(s.faults[route], &f)
	}
	s.mu.Unlock()
	if !known {
		panic(unknownRoute("Fail", route))
	}
}

// ClearFaults removes every fault from every route. Requests already held
// by a fault are not released.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault returns a copy of the fault due for a request on route, if
// any, and uses up one of its Times. s.mu must be held.
func (s *Server) takeFault(route string) (Fault, bool) {
	q := s.faults[route]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			q[0] = nil
			s.faults[route] = q[1:]
		}
	}
	return *f, true
}

// applyFault acts out f on a request. It reports whether the request has
// been dealt with; if not, the route's normal handling follows.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		case <-s.closing:
			panic(http.ErrAbortHandler) // drop the connection unanswered
		}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
			panic(http.ErrAbortHandler)
		}
	case f.Reset:
		resetConn(w, status)
	case f.Oversize:
		body := make([]byte, oversize)
		n := copy(body, `{"padding":"`)
		for i := n; i < len(body)-2; i++ {
			body[i] = 'x'
		}
		copy(body[len(body)-2:], `"}`)
		setDefault(w.Header(), "Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	case f.Status != 0:
		setDefault(w.Header(), "Content-Type", contentType(f.Body))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
	default:
		return false
	}
	return true
}

// resetConn writes the status line, headers and part of a JSON body that
// announces more, then drops the connection.
func resetConn(w http.ResponseWriter, status int) {
	const partial = `{"requestError":{"serviceException":{"messageId":"GENERAL_`
	h := w.Header()
	setDefault(h, "Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(4*len(partial)))
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 cannot hijack: send what we can, then abort the stream.
		w.WriteHeader(status)
		_, _ = w.Write([]byte(partial))
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.Write(buf)
	_, _ = buf.WriteString("\r\n" + partial)
	_ = buf.Flush()
}

// setDefault sets header key to v unless it is already set.
func setDefault(h http.Header, key, v string) {
	if h.Get(key) == "" {
		h.Set(key, v)
	}
}

// contentType picks the Content-Type of a fault's raw body.
func contentType(body string) string {
	b := bytes.TrimSpace([]byte(body))
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return "application/json"
	}
	return http.DetectContentType(b)
}
