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
// /sms/3/messages, SmsRequestEnvelope): see answerSMS.
func (s *Server) sendSMS(w http.ResponseWriter, r *http.Request) { answerSMS(w, r, 3) }

// sendSMSAdvanced serves [RouteSendSMSAdvanced] like version 2 of Infobip's
// "Send SMS message" (POST /sms/2/text/advanced,
// SMSAdvancedTextualRequest): see answerSMS.
func (s *Server) sendSMSAdvanced(w http.ResponseWriter, r *http.Request) { answerSMS(w, r, 2) }

// sentSMS is one message of the answer to a request to send SMS.
type sentSMS struct {
	MessageID   string    `json:"messageId"`
	Status      smsStatus `json:"status"`
	Destination string    `json:"destination,omitempty"` // version 3
	To          string    `json:"to,omitempty"`          // version 2 (SMSResponse)
}

// answerSMS answers a request to send SMS as the given version (3 or 2)
// of Infobip's SMS API does: for each destination of each message in
// {"messages":[{"destinations":[{"to":"…"}],…}]} one message with the
// status PENDING_ACCEPTED, under the messageId sent or a new one, in
// {"bulkId","messages"}. Version 2 keeps the bulkId sent and names a
// message's destination "to", not "destination". A request without
// messages, destinations or a "to" gets 400 with violations, in the newer
// body (ApiError) in version 3 and the older (ApiException) in version 2,
// as the specification documents.
func answerSMS(w http.ResponseWriter, r *http.Request, version int) {
	v2, errs := version == 2, newer
	if v2 {
		errs = older
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r.Body)
	bulkID, dests, vs := readSMS(buf.Bytes())
	if len(vs) > 0 {
		errs.badRequest(w, vs)
		return
	}
	if !v2 {
		bulkID = "" // not a field of version 3: always a new one
	}
	out := make([]sentSMS, len(dests))
	for i, d := range dests {
		out[i] = sentSMS{MessageID: cmpOr(d.messageID, newUUID), Status: pendingAccepted}
		if v2 {
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
