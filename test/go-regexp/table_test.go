package goregexp

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

// row mirrors one entry of table.json (see test/core/go-regexp-table.test.ts, which holds sigil to it).
type row struct {
	Syntax  string   `json:"syntax"`
	Pattern string   `json:"pattern"`
	Refused bool     `json:"refused"`
	Match   []string `json:"match"`
	NoMatch []string `json:"noMatch"`
	Find    []struct {
		Input  string    `json:"input"`
		Groups []*string `json:"groups"`
	} `json:"find"`
	FindAll []struct {
		Input   string   `json:"input"`
		Limit   int      `json:"limit"`
		Matches []string `json:"matches"`
	} `json:"findAll"`
	Replace []struct {
		Input    string `json:"input"`
		Template string `json:"template"`
		Output   string `json:"output"`
		Literal  bool   `json:"literal"`
	} `json:"replace"`
}

func TestTable(t *testing.T) {
	data, err := os.ReadFile("table.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		re, err := regexp.Compile(r.Pattern)
		if r.Refused {
			if err == nil {
				t.Errorf("%s: %q compiles in Go, the table says refused", r.Syntax, r.Pattern)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %q refused by Go (%v), the table says it compiles", r.Syntax, r.Pattern, err)
			continue
		}
		for _, in := range r.Match {
			if !re.MatchString(in) {
				t.Errorf("%s: %q does not match %q in Go", r.Syntax, r.Pattern, in)
			}
		}
		for _, in := range r.NoMatch {
			if re.MatchString(in) {
				t.Errorf("%s: %q matches %q in Go", r.Syntax, r.Pattern, in)
			}
		}
		for _, f := range r.Find {
			got := groups(f.Input, re.FindStringSubmatchIndex(f.Input))
			if !sameGroups(got, f.Groups) {
				t.Errorf("%s: %q on %q: Go finds %s, the table says %s", r.Syntax, r.Pattern, f.Input, show(got), show(f.Groups))
			}
		}
		for _, f := range r.FindAll {
			got := re.FindAllString(f.Input, f.Limit)
			if len(got) != len(f.Matches) || (len(got) > 0 && !equal(got, f.Matches)) {
				t.Errorf("%s: %q on %q (limit %d): Go finds %q, the table says %q", r.Syntax, r.Pattern, f.Input, f.Limit, got, f.Matches)
			}
		}
		for _, rep := range r.Replace {
			var got string
			if rep.Literal {
				got = re.ReplaceAllLiteralString(rep.Input, rep.Template)
			} else {
				got = re.ReplaceAllString(rep.Input, rep.Template)
			}
			if got != rep.Output {
				t.Errorf("%s: %q on %q with %q: Go gives %q, the table says %q", r.Syntax, r.Pattern, rep.Input, rep.Template, got, rep.Output)
			}
		}
	}
	t.Logf("%d rows checked against Go's regexp", len(rows))
}

// groups is the whole match and each group as text, nil where a group took no part; nil for no match.
func groups(input string, index []int) []*string {
	if index == nil {
		return nil
	}
	out := make([]*string, len(index)/2)
	for i := range out {
		if index[2*i] >= 0 {
			text := input[index[2*i]:index[2*i+1]]
			out[i] = &text
		}
	}
	return out
}

func sameGroups(a, b []*string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || (a[i] != nil && *a[i] != *b[i]) {
			return false
		}
	}
	return true
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func show(g []*string) string {
	if g == nil {
		return "no match"
	}
	out, _ := json.Marshal(g)
	return string(out)
}
