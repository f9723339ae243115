package testkit

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Proc is a child process of a test whose standard output the test reads
// line by line.
type Proc struct {
	Cmd   *exec.Cmd
	lines chan string
}

// StartProc starts cmd with its standard error on the test's and its
// standard output read by [Proc.Next]; it is killed when the test ends.
func StartProc(tb testing.TB, cmd *exec.Cmd) *Proc {
	tb.Helper()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &Proc{Cmd: cmd, lines: make(chan string, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
	})
	return p
}

// Next returns the process's next output line, failing after 30 s.
func (p *Proc) Next(tb testing.TB) string {
	tb.Helper()
	name := filepath.Base(p.Cmd.Path)
	select {
	case l, ok := <-p.lines:
		if !ok {
			tb.Fatalf("%s exited without output", name)
		}
		return l
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s printed nothing in 30 s", name)
		return ""
	}
}
