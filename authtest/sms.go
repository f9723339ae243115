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

// sendSMS serves [RouteSendSMS] like Infobip's "Send SMS message" (POST
// /sms/3/messages, SmsRequestEnvelope): for each destination of each
// message in {"messages":[{"destinations":[{"to":"…"}],…}]} one message
// with the status PENDING_ACCEPTED, under the messageId sent or a new one.
// A request without messages, destinations or a "to" gets 400 E400 with
// violations in the newer body (ApiError), as the specification documents.
func (s *Server) sendSMS(w http.ResponseWriter, r *http.Request) {
	_, dests, ok := readSMSRequest(w, r, newer)
	if !ok {
		return
	}
	type message struct {
		MessageID   string    `json:"messageId"`
		Status      smsStatus `json:"status"`
		Destination string    `json:"destination"`
	}
	out := make([]message, len(dests))
	for i, d := range dests {
		out[i] = message{cmpOr(d.messageID, newUUID), pendingAccepted, d.to}
	}
	writeJSON(w, http.StatusOK, struct {
		BulkID   string    `json:"bulkId"`
		Messages []message `json:"messages"`
	}{newUUID(), out})
}

// sendSMSAdvanced serves [RouteSendSMSAdvanced] like Infobip's "Send SMS
// message" of version 2 (POST /sms/2/text/advanced,
// SMSAdvancedTextualRequest): as sendSMS, but each message names its
// destination "to" (SMSResponse), the bulkId sent is kept, and errors are
// in the older body (ApiException), as the specification documents for
// this route.
func (s *Server) sendSMSAdvanced(w http.ResponseWriter, r *http.Request) {
	bulkID, dests, ok := readSMSRequest(w, r, older)
	if !ok {
		return
	}
	type message struct {
		MessageID string    `json:"messageId"`
		Status    smsStatus `json:"status"`
		To        string    `json:"to"`
	}
	out := make([]message, len(dests))
	for i, d := range dests {
		out[i] = message{cmpOr(d.messageID, newUUID), pendingAccepted, d.to}
	}
	writeJSON(w, http.StatusOK, struct {
		BulkID   string    `json:"bulkId"`
		Messages []message `json:"messages"`
	}{cmpOr(bulkID, newUUID), out})
}

// readSMSRequest reads the body of a request to send SMS with readSMS and
// answers 400 in the family's body if it is wrong.
func readSMSRequest(w http.ResponseWriter, r *http.Request, f family) (bulkID string, dests []smsDestination, ok bool) {
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r.Body)
	bulkID, dests, vs := readSMS(buf.Bytes())
	if len(vs) > 0 {
		f.badRequest(w, vs)
		return "", nil, false
	}
	return bulkID, dests, true
}

// cmpOr returns v, or a new value from f if v is empty.
func cmpOr(v string, f func() string) string {
	if v != "" {
		return v
	}
	return f()
}
