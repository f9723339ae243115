package testkit

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// RequireRedacted renders each value every way fmt, slog and
// encoding/json can, and fails tb unless every fmt and slog text rendering
// says "redacted" and no rendering holds key raw, in hex or in Base64
// (encoding/json's form of a []byte).
func RequireRedacted(tb testing.TB, key []byte, values ...any) {
	tb.Helper()
	var text, js strings.Builder
	logs := []*slog.Logger{slog.New(slog.NewTextHandler(&text, nil)), slog.New(slog.NewJSONHandler(&js, nil))}
	var printed, encoded []string
	for _, v := range values {
		printed = append(printed, fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", v, v, v, v, v, v))
		b, err := json.Marshal(v)
		require.NoError(tb, err)
		encoded = append(encoded, string(b))
		for _, l := range logs {
			l.Info("x", "v", v)
		}
	}
	printed = append(printed, text.String())
	for _, s := range printed {
		require.Contains(tb, s, "redacted")
	}
	for _, s := range append(printed, append(encoded, js.String())...) {
		require.NotContains(tb, s, string(key))
		require.NotContains(tb, s, hex.EncodeToString(key))
		require.NotContains(tb, s, base64.StdEncoding.EncodeToString(key))
	}
}
