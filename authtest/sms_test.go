package authtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ibkit/auth"
	"github.com/ibkit/auth/authtest"
)

func TestSendSMS(t *testing.T) {
	s := newServer(t)
	const msg = `{"messages":[{"destinations":[{"to":"41793026727"},{"to":"41793026834","messageId":"mine-1"}],` +
		`"content":{"text":"hi"}}]}`
	r := call(t, s, http.MethodPost, "/sms/3/messages", "App "+authtest.APIKey, "application/json", msg)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var out struct {
		BulkID   string
		Messages []struct {
			MessageID   string
			Destination string
			Status      struct{ GroupName, Name string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &out))
	require.NotEmpty(t, out.BulkID)
	require.Len(t, out.Messages, 2)
	require.Regexp(t, uuidV4, out.Messages[0].MessageID)
	require.Equal(t, "41793026727", out.Messages[0].Destination)
	require.Equal(t, "mine-1", out.Messages[1].MessageID, "a messageId sent is kept")
	require.NotContains(t, r.body, `"to"`, "v3 names the field destination")
	require.Equal(t, "PENDING", out.Messages[0].Status.GroupName)
	require.Equal(t, "PENDING_ACCEPTED", out.Messages[0].Status.Name)

	reqs := s.Requests(authtest.RouteSendSMS)
	require.Len(t, reqs, 1)
	require.Equal(t, msg, string(reqs[0].Body))
}

// smsClient returns a client of s for the App key key, through the
// library.
func smsClient(t *testing.T, s *authtest.Server, key string) *http.Client {
	t.Helper()
	c, err := auth.NewClient(s.URL, mustAPIKey(t, key), s.Client())
	require.NoError(t, err)
	return c
}

// post sends body to path with c and returns the answer as the library
// parses an error, with the body read.
func post(t *testing.T, c *http.Client, s *authtest.Server, path, body string) (*auth.Error, string) {
	t.Helper()
	resp, err := c.Post(s.URL+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return nil, string(b)
	}
	return auth.ParseError(resp), ""
}

// TestSendSMSErrorsInTheNewerBody: POST /sms/3/messages answers 400 with
// violations and 401 in the newer body (ApiError), as the SMS
// specification documents, read so by the library; the balance keeps the
// older body.
func TestSendSMSErrorsInTheNewerBody(t *testing.T) {
	s := newServer(t)
	good := smsClient(t, s, authtest.APIKey)

	e, _ := post(t, smsClient(t, s, "not-a-key"), s, "/sms/3/messages", `{}`)
	require.Equal(t, http.StatusUnauthorized, e.StatusCode)
	require.Equal(t, "E401", e.Code)
	require.Empty(t, e.MessageID, "the newer body has no messageId")
	require.Equal(t, "The request lacks valid authentication credentials for the requested resource.", e.Description)
	require.Equal(t, "Check the resources and adjust authentication credentials.", e.Action)
	require.Equal(t, []auth.Resource{{Name: "API Authentication", URL: "https://www.infobip.com/docs/essentials/api-authentication"}}, e.Resources)

	for body, want := range map[string][]auth.Violation{
		`{"messages":`: {{Property: "body", Violation: "must be a JSON object"}},
		`[]`:           {{Property: "body", Violation: "must be a JSON object"}},
		`{}`:           {{Property: "messages", Violation: "must not be empty"}},
		`{"messages":[{"content":{"text":"hi"}},{"destinations":[{"to":"41793026727"},{"to":" "},{}]}]}`: {
			{Property: "messages[0].destinations", Violation: "must not be empty"},
			{Property: "messages[1].destinations[1].to", Violation: "must not be blank"},
			{Property: "messages[1].destinations[2].to", Violation: "must not be blank"},
		},
		`{"messages":[{"destinations":[{"to":41793026727}]}]}`: {{Property: "body", Violation: "must be a JSON object"}},
	} {
		e, _ := post(t, good, s, "/sms/3/messages", body)
		require.Equal(t, http.StatusBadRequest, e.StatusCode, body)
		require.Equal(t, "E400", e.Code, body)
		require.Empty(t, e.MessageID, body)
		require.Equal(t, "Request cannot be processed.", e.Description, body)
		require.Equal(t, "Check the syntax, violations and adjust the request.", e.Action, body)
		require.Equal(t, want, e.Violations, body)
	}

	// The balance answers in the older body, as its specification says.
	resp, err := smsClient(t, s, "not-a-key").Get(s.URL + "/account/1/balance")
	require.NoError(t, err)
	defer resp.Body.Close()
	e = auth.ParseError(resp)
	require.Equal(t, "E401", e.Code)
	require.Equal(t, "UNAUTHORIZED", e.MessageID)
}

// TestSendSMSAdvanced: POST /sms/2/text/advanced, where Infobip's Node SDK
// (@infobip-api/sdk 0.3.2, sms.send) posts, answers in its own shape
// (SMSResponse: "to", and the bulkId sent), and its errors in the older
// body, as the SMS specification documents for that route.
func TestSendSMSAdvanced(t *testing.T) {
	s := newServer(t)
	good := smsClient(t, s, authtest.APIKey)
	// The Node SDK sends the message type along in the body.
	const msg = `{"type":"text","bulkId":"BULK-1","messages":[{"from":"InfoSMS","text":"hi",` +
		`"destinations":[{"to":"41793026727"},{"to":"41793026834","messageId":"mine-1"}]}]}`
	e, body := post(t, good, s, "/sms/2/text/advanced", msg)
	require.Nil(t, e)
	var out struct {
		BulkID   string `json:"bulkId"`
		Messages []struct {
			MessageID string `json:"messageId"`
			To        string `json:"to"`
			Status    struct {
				GroupID   int    `json:"groupId"`
				GroupName string `json:"groupName"`
				ID        int    `json:"id"`
				Name      string `json:"name"`
			} `json:"status"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	require.Equal(t, "BULK-1", out.BulkID)
	require.Len(t, out.Messages, 2)
	require.Equal(t, "41793026727", out.Messages[0].To)
	require.Regexp(t, uuidV4, out.Messages[0].MessageID)
	require.Equal(t, "mine-1", out.Messages[1].MessageID)
	require.Equal(t, 1, out.Messages[0].Status.GroupID)
	require.Equal(t, "PENDING", out.Messages[0].Status.GroupName)
	require.Equal(t, 26, out.Messages[0].Status.ID)
	require.Equal(t, "PENDING_ACCEPTED", out.Messages[0].Status.Name)
	require.NotContains(t, body, `"destination"`, "v2 names the field to")

	_, body = post(t, good, s, "/sms/2/text/advanced", `{"messages":[{"destinations":[{"to":"41793026727"}]}]}`)
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	require.Regexp(t, uuidV4, out.BulkID, "a bulkId is made when none is sent")

	// Errors are in the older body.
	e, _ = post(t, smsClient(t, s, "not-a-key"), s, "/sms/2/text/advanced", msg)
	require.Equal(t, http.StatusUnauthorized, e.StatusCode)
	require.Equal(t, "UNAUTHORIZED", e.MessageID)
	e, _ = post(t, good, s, "/sms/2/text/advanced", `{"messages":[{"destinations":[{"to":""}]},{}]}`)
	require.Equal(t, http.StatusBadRequest, e.StatusCode)
	require.Equal(t, "BAD_REQUEST", e.MessageID)
	require.Equal(t, []auth.Violation{
		{Property: "messages[0].destinations[0].to", Violation: "must not be blank"},
		{Property: "messages[1].destinations", Violation: "must not be empty"},
	}, e.Violations)

	require.Equal(t, 4, s.Count(authtest.RouteSendSMSAdvanced))
	require.Equal(t, msg, string(s.Requests(authtest.RouteSendSMSAdvanced)[0].Body))
}
