package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"
)

// jqFilter is a compiled --jq expression.
type jqFilter struct {
	expr string
	code *gojq.Code
}

// compileFilter compiles expr before any request is made: a typo must not
// cost a request that sends a message.
func compileFilter(expr string) (*jqFilter, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, usageError("--jq %q: %v", expr, err)
	}
	// Without an environment loader, $ENV and env are empty: the
	// environment holds the IB_* credentials. Without a module loader,
	// import and include read no file.
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, usageError("--jq %q: %v", expr, err)
	}
	return &jqFilter{expr: expr, code: code}, nil
}

// run applies the filter to body, a JSON answer, and writes each result
// to w as jq -r does: a string as it is, any other value as JSON, indented
// if tty. An empty body has no results.
func (f *jqFilter) run(ctx context.Context, w io.Writer, body []byte, contentType string, tty bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !json.Valid(body) {
		return fmt.Errorf("--jq: %w", notJSON(contentType))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // every digit of an ID kept
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("--jq: reading the answer: %v", err)
	}
	out := bufio.NewWriter(w)
	defer out.Flush()
	iter := f.code.RunWithContext(ctx, v)
	for {
		r, ok := iter.Next()
		if !ok {
			return out.Flush()
		}
		if err, ok := r.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return out.Flush() // halt: stop, successfully
			}
			return fmt.Errorf("--jq %q: %v", f.expr, err)
		}
		if s, ok := r.(string); ok {
			out.WriteString(s)
		} else {
			b, err := gojq.Marshal(r)
			if err != nil {
				return fmt.Errorf("--jq %q: %v", f.expr, err)
			}
			var ind bytes.Buffer
			if tty && json.Indent(&ind, b, "", "  ") == nil {
				b = ind.Bytes()
			}
			out.Write(b)
		}
		if err := out.WriteByte('\n'); err != nil {
			return err
		}
	}
}
