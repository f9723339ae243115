package apikeys

// The wire formats: what travels in request and response bodies, dates
// included.

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"
)

// ceilSecond rounds t up to the next whole second, if it has a fraction of
// one: dates travel in whole seconds, and a validFrom must never be sent
// earlier than asked.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// sendable returns links without their read-only Key.
func sendable(ps []Platform) []Platform {
	if ps == nil {
		return nil
	}
	out := slices.Clone(ps)
	for i := range out {
		out[i].Key = ""
	}
	return out
}

// scopeList is scopeGuids on the wire, where an empty list and an absent
// one differ: [] is a key that reaches no endpoint, an absent list one
// never scoped, which may reach every endpoint. Only nil is zero, so that
// every body leaves out a nil list and sends an empty one as [].
type scopeList []string

// IsZero reports whether s is nil: an empty list is not, and goes out as [].
func (s scopeList) IsZero() bool { return s == nil }

// createWire leaves out empty lists but scopeGuids (see [scopeList]).
type createWire struct {
	AccountID   string       `json:"accountId,omitempty"`
	Name        string       `json:"name"`
	AllowedIPs  []string     `json:"allowedIPs,omitempty"`
	ValidFrom   wireTime     `json:"validFrom,omitzero"`
	ValidTo     wireTime     `json:"validTo,omitzero"`
	Permissions []Permission `json:"permissions,omitempty"`
	Platform    []Platform   `json:"platform,omitempty"`
	ScopeGUIDs  scopeList    `json:"scopeGuids,omitzero"`
}

// updateWire sends nil slices not at all and empty ones as [].
type updateWire struct {
	AccountID   string       `json:"accountId,omitempty"`
	Name        string       `json:"name,omitempty"`
	AllowedIPs  []string     `json:"allowedIPs,omitzero"`
	ValidFrom   wireTime     `json:"validFrom,omitzero"`
	ValidTo     wireTime     `json:"validTo,omitzero"`
	Enabled     *bool        `json:"enabled,omitempty"`
	Permissions []Permission `json:"permissions,omitzero"`
	Platform    []Platform   `json:"platform,omitzero"`
	ScopeGUIDs  scopeList    `json:"scopeGuids,omitzero"`
}

// keyWire is a Key on the wire. Its scopeGuids is written as read (see
// [scopeList]).
type keyWire struct {
	ID           string       `json:"id"`
	APIKeySecret string       `json:"apiKeySecret,omitempty"`
	AccountID    string       `json:"accountId,omitempty"`
	Name         string       `json:"name"`
	AllowedIPs   []string     `json:"allowedIPs,omitempty"`
	ValidFrom    wireTime     `json:"validFrom,omitzero"`
	ValidTo      wireTime     `json:"validTo,omitzero"`
	Enabled      bool         `json:"enabled"`
	Permissions  []Permission `json:"permissions,omitempty"`
	Platform     []Platform   `json:"platform,omitempty"`
	ScopeGUIDs   scopeList    `json:"scopeGuids,omitzero"`
}

// MarshalJSON encodes k in Infobip's format, leaving the secret out.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(keyWire{
		ID:          k.ID,
		AccountID:   k.AccountID,
		Name:        k.Name,
		AllowedIPs:  k.AllowedIPs,
		ValidFrom:   wireTime(k.ValidFrom),
		ValidTo:     wireTime(k.ValidTo),
		Enabled:     k.Enabled,
		Permissions: k.Permissions,
		Platform:    k.Platform,
		ScopeGUIDs:  k.ScopeGUIDs,
	})
}

// UnmarshalJSON decodes k from Infobip's format, the secret included.
func (k *Key) UnmarshalJSON(b []byte) error {
	var w keyWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*k = Key{
		ID:          w.ID,
		Secret:      newSecret(w.APIKeySecret),
		AccountID:   w.AccountID,
		Name:        w.Name,
		AllowedIPs:  w.AllowedIPs,
		ValidFrom:   time.Time(w.ValidFrom),
		ValidTo:     time.Time(w.ValidTo),
		Enabled:     w.Enabled,
		Permissions: w.Permissions,
		Platform:    w.Platform,
		ScopeGUIDs:  w.ScopeGUIDs,
	}
	return nil
}

// wireTime is a date in Infobip's format.
type wireTime time.Time

func (t wireTime) IsZero() bool { return time.Time(t).IsZero() }

func (t wireTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(dateLayout) + `"`), nil
}

// dateLayouts are the forms a received date may take; without a zone it is
// UTC.
var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
}

func (t *wireTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = wireTime{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil || len(b) == 0 || b[0] != '"' {
		return errors.New("apikeys: a date is not a JSON string")
	}
	for _, layout := range dateLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			*t = wireTime(v.UTC())
			return nil
		}
	}
	return errors.New("apikeys: a date is not in a known form (such as 2026-01-02T15:04:05)")
}
