package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Infobip pages a list with the query parameters page (from 0) and size,
// and says in the answer's paging object which page it is (page, the page
// asked for) and how many there are (totalPages): see PageInfo in
// Infobip's OpenAPI specification.

// firstPage returns the page the query asks for: 0 when it does not say.
func firstPage(rawQuery string) (int, error) {
	q, _ := url.ParseQuery(rawQuery)
	switch vs := q["page"]; len(vs) {
	case 0:
		return 0, nil
	case 1:
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < 0 {
			return 0, usageError("--paginate: the query's page %q is not a page number (0, 1, …)", vs[0])
		}
		return n, nil
	default:
		return 0, usageError("--paginate: the query gives page twice")
	}
}

// withPage returns rawQuery asking for page n, the rest of it as it is.
func withPage(rawQuery string, n int) string {
	var parts []string
	for part := range strings.SplitSeq(rawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); part == "" || err == nil && key == "page" {
			continue
		}
		parts = append(parts, part)
	}
	return strings.Join(append(parts, "page="+strconv.Itoa(n)), "&")
}

// pagingOf reads the paging of body, the answer for page, and returns
// the number of pages there are.
func pagingOf(body []byte, page int, contentType string) (int, error) {
	if !json.Valid(body) {
		return 0, notJSON(contentType)
	}
	var answer struct {
		Paging *struct {
			Page       *int `json:"page"`
			TotalPages *int `json:"totalPages"`
		} `json:"paging"`
	}
	if json.Unmarshal(body, &answer) != nil || answer.Paging == nil || answer.Paging.TotalPages == nil || *answer.Paging.TotalPages < 0 {
		return 0, errors.New("the answer has no paging.totalPages; this endpoint does not page as --paginate reads")
	}
	// An endpoint that ignores page would answer the same page for
	// every request up to totalPages.
	if p := answer.Paging.Page; p != nil && *p != page {
		return 0, fmt.Errorf("asked for page %d, the answer is page %d; this endpoint does not page with the query's page", page, *p)
	}
	return *answer.Paging.TotalPages, nil
}

// notJSON is the error for an answer --jq or --paginate cannot read.
func notJSON(contentType string) error {
	if contentType == "" {
		return errors.New("the answer is not JSON (it has no Content-Type)")
	}
	return fmt.Errorf("the answer is not JSON (Content-Type: %s)", printable(contentType))
}
