package authtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// smsIn is what the fake reads of a request to send SMS: the destinations
// and the bulk ID, the fields that shape its answer. Pointers tell absent
// fields from empty ones.
type smsIn struct {
	BulkID   string `json:"bulkId"` // v2 only
	Messages *[]struct {
		Destinations *[]struct {
			To        *string `json:"to"`
			MessageID string  `json:"messageId"`
		} `json:"destinations"`
	} `json:"messages"`
}

// smsDestination is one destination of an accepted request.
type smsDestination struct{ to, messageID string }

// readSMS reads a request to send SMS and reports what is wrong with it:
// the body must be a JSON object whose messages, each with destinations,
// each with a "to", are not empty. Other fields are not checked.
func readSMS(body []byte) (bulkID string, dests []smsDestination, vs []violation) {
	var in smsIn
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) || json.Unmarshal(body, &in) != nil {
		return "", nil, []violation{{Property: "body", Violation: "must be a JSON object"}}
	}
	if in.Messages == nil || len(*in.Messages) == 0 {
		return "", nil, []violation{{Property: "messages", Violation: "must not be empty"}}
	}
	for i, m := range *in.Messages {
		if m.Destinations == nil || len(*m.Destinations) == 0 {
			vs = append(vs, violation{Property: fmt.Sprintf("messages[%d].destinations", i), Violation: "must not be empty"})
			continue
		}
		for j, d := range *m.Destinations {
			if d.To == nil || strings.TrimSpace(*d.To) == "" {
				vs = append(vs, violation{Property: fmt.Sprintf("messages[%d].destinations[%d].to", i, j), Violation: "must not be blank"})
				continue
			}
			dests = append(dests, smsDestination{*d.To, d.MessageID})
		}
	}
	return in.BulkID, dests, vs
}

// smsStatus is the status of a message, as both SMS versions answer it.
type smsStatus struct {
	GroupID     int    `json:"groupId"`
	GroupName   string `json:"groupName"`
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// pendingAccepted is the status Infobip's examples show for a message just
// sent.
var pendingAccepted = smsStatus{1, "PENDING", 26, "PENDING_ACCEPTED", "Message sent to next instance"}

// smsAPI is a version of Infobip's "Send SMS message" as the fake serves
// it: version 3 (POST /sms/3/messages, SmsRequestEnvelope) or version 2
// (POST /sms/2/text/advanced, SMSAdvancedTextualRequest). Its error body is
// the one the specification documents for the route; it serves the route's
// refusals too (see [Server.handleSMS]).
type smsAPI struct {
	errs family
	// v2 keeps the bulkId sent and names a message's destination "to",
	// not "destination".
	v2 bool
}

var (
	smsV3 = smsAPI{errs: newer}
	smsV2 = smsAPI{errs: older, v2: true}
)

// handleSMS registers api on pattern, behind authentication refused in
// api's error body, for an App key holding one of the SMS scopes.
func (s *Server) handleSMS(pattern string, api smsAPI) {
	s.HandleFunc(pattern, s.protected(api.errs, api, smsSendScopes...))
}

// sentSMS is one message of the answer to a request to send SMS.
type sentSMS struct {
	MessageID   string    `json:"messageId"`
	Status      smsStatus `json:"status"`
	Destination string    `json:"destination,omitempty"` // version 3
	To          string    `json:"to,omitempty"`          // version 2 (SMSResponse)
}

// ServeHTTP answers a request to send SMS as api's version does: for each
// destination of each message in {"messages":[{"destinations":[{"to":"…"}],…}]}
// one message with the status PENDING_ACCEPTED, under the messageId sent
// or a new one, in {"bulkId","messages"}. A request without messages,
// destinations or a "to" gets 400 with violations, in api's error body.
func (api smsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r.Body)
	bulkID, dests, vs := readSMS(buf.Bytes())
	if len(vs) > 0 {
		api.errs.badRequest(w, vs)
		return
	}
	if !api.v2 {
		bulkID = "" // not a field of version 3: always a new one
	}
	out := make([]sentSMS, len(dests))
	for i, d := range dests {
		out[i] = sentSMS{MessageID: cmpOr(d.messageID, newUUID), Status: pendingAccepted}
		if api.v2 {
			out[i].To = d.to
		} else {
			out[i].Destination = d.to
		}
	}
	writeJSON(w, http.StatusOK, struct {
		BulkID   string    `json:"bulkId"`
		Messages []sentSMS `json:"messages"`
	}{cmpOr(bulkID, newUUID), out})
}

// cmpOr returns v, or a new value from f if v is empty.
func cmpOr(v string, f func() string) string {
	if v != "" {
		return v
	}
	return f()
}
