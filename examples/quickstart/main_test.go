package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOfflineQuickstart runs the README's first command in-process and
// checks that every scheme got through.
func TestOfflineQuickstart(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	err = offline()
	os.Stdout = stdout
	w.Close()
	out := <-done
	if err != nil {
		t.Fatalf("offline: %v\n%s", err, out)
	}
	for _, want := range []string{
		"[IBSSO initial fetch", "[IBSSO idle fetch", "[IBSSO renew fetch",
		"sessions created 3, destroy requests 3, alive after Close 0",
		"[Bearer initial fetch", "[Bearer proactive fetch", "token requests: 2",
		"auth.APIKey{[redacted]}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `200 OK {"balance":42.5,"currency":"EUR"}`); n != 9 {
		t.Errorf("%d successful calls, want 9:\n%s", n, out)
	}
	if strings.Contains(out, "error:") {
		t.Errorf("a call failed:\n%s", out)
	}
}
