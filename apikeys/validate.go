package apikeys

// Local validation: requests are checked before they are sent. Messages
// name the field and never show a secret.

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

func (r CreateRequest) check() error {
	if err := checkName(r.Name); err != nil {
		return err
	}
	return checkCommon(r.AccountID, r.AllowedIPs, r.ValidFrom, r.ValidTo, r.Permissions, r.Platform, r.ScopeGUIDs)
}

func (r UpdateRequest) check() error {
	if r.AccountID == "" && r.Name == "" && r.AllowedIPs == nil && r.ValidFrom.IsZero() &&
		r.ValidTo.IsZero() && r.Enabled == nil && r.Permissions == nil && r.Platform == nil && r.ScopeGUIDs == nil {
		return errors.New("the update changes nothing (every field is zero)")
	}
	if r.Name != "" {
		if err := checkName(r.Name); err != nil {
			return err
		}
	}
	if len(r.ScopeGUIDs) > 0 && len(r.Platform) > 0 {
		return errors.New("scopeGuids and platform cannot be set together")
	}
	return checkCommon(r.AccountID, r.AllowedIPs, r.ValidFrom, r.ValidTo, r.Permissions, r.Platform, r.ScopeGUIDs)
}

func checkCommon(account string, ips []string, from, to time.Time, perms []Permission, platform []Platform, scopes []string) error {
	if err := checkText("accountId", account); err != nil {
		return err
	}
	for i, ip := range ips {
		if err := checkIP(ip); err != nil {
			return fmt.Errorf("allowedIPs[%d] %w", i, err)
		}
	}
	// Check the dates as they will be sent, in whole seconds.
	from, to = ceilSecond(from), to.Truncate(time.Second)
	for _, d := range []struct {
		field string
		t     time.Time
	}{{"validFrom", from}, {"validTo", to}} {
		if y := d.t.UTC().Year(); !d.t.IsZero() && (y < 1 || y > 9999) {
			return fmt.Errorf("%s is out of range (year %d)", d.field, y)
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return fmt.Errorf("validTo (%s) is before validFrom (%s)",
			to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	for i, p := range perms {
		switch p {
		case PermissionPublicAPI, Permission2FAClient, PermissionWebSDK:
		default:
			return fmt.Errorf("permissions[%d] %q is not a known permission (want %s, %s or %s)",
				i, clip(string(p)), PermissionPublicAPI, Permission2FAClient, PermissionWebSDK)
		}
		if slices.Contains(perms[:i], p) {
			return fmt.Errorf("permissions[%d] repeats %s", i, p)
		}
	}
	if slices.Contains(perms, PermissionPublicAPI) && slices.Contains(perms, PermissionWebSDK) {
		return errors.New("permissions cannot hold both PUBLIC_API and WEB_SDK")
	}
	if len(perms) > 0 && len(platform) > 0 {
		return errors.New("permissions and platform cannot be set together")
	}
	for i, p := range platform {
		if strings.TrimSpace(p.ApplicationID) == "" {
			return fmt.Errorf("platform[%d].applicationId is empty", i)
		}
		if err := checkText(fmt.Sprintf("platform[%d].applicationId", i), p.ApplicationID); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("platform[%d].entityId", i), p.EntityID); err != nil {
			return err
		}
		if p.Action != "" && p.Action != ActionFill && p.Action != ActionForce {
			return fmt.Errorf("platform[%d].action %q is not FILL or FORCE", i, clip(string(p.Action)))
		}
	}
	for i, s := range scopes {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("scopeGuids[%d] is empty", i)
		}
		if err := checkText(fmt.Sprintf("scopeGuids[%d]", i), s); err != nil {
			return err
		}
		if slices.Contains(scopes[:i], s) {
			return fmt.Errorf("scopeGuids[%d] repeats a scope", i)
		}
	}
	return nil
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("name is empty or blank")
	}
	return checkText("name", name)
}

// checkText refuses invalid UTF-8 and control characters.
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%s contains a control character", field)
	}
	return nil
}

// checkIP accepts an IP address or a CIDR range, without zone.
func checkIP(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return errors.New("contains whitespace or a character that is not printable ASCII")
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("%q has an IPv6 zone, which cannot be allowed", v)
		}
		return nil
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return nil
	}
	return fmt.Errorf("%q is not an IP address or a CIDR range (such as 203.0.113.7 or 203.0.113.0/24)", clip(v))
}

func checkID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New("id is empty")
	case id == "." || id == "..":
		return errors.New(`id cannot be "." or ".."`)
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return errors.New("id contains whitespace or a control character")
	case !utf8.ValidString(id):
		return errors.New("id is not valid UTF-8")
	}
	return nil
}

// query encodes f as the list endpoint's parameters.
func (f Filter) query() (url.Values, error) {
	if f.Page < 0 || f.Page > MaxPage {
		return nil, fmt.Errorf("page %d is out of range (0 to %d)", f.Page, MaxPage)
	}
	if f.Size < 0 || f.Size > MaxPageSize {
		return nil, fmt.Errorf("size %d is out of range (1 to %d, or 0 for the default)", f.Size, MaxPageSize)
	}
	for _, t := range []struct{ field, v string }{
		{"accountId", f.AccountID}, {"name", f.Name}, {"orderBy", f.OrderBy},
	} {
		if err := checkText(t.field, t.v); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("accountId", f.AccountID)
	set("name", f.Name)
	if f.Enabled != nil {
		q.Set("enabled", strconv.FormatBool(*f.Enabled))
	}
	set("orderBy", f.OrderBy)
	if f.Descending {
		q.Set("orderDirection", "desc")
	}
	if f.Page > 0 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	if f.Size > 0 {
		q.Set("size", strconv.Itoa(f.Size))
	}
	return q, nil
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
