// Command yamldocs says what go-yaml v3 (the YAML reader of Butane, whose
// semantics hostform.yamlpos follows) makes of the documents of a YAML stream.
// Standard input is a JSON array of strings; for each, it prints one line:
//
//	"unmarshal error <text>"  yaml.Unmarshal fails
//	"one"                     it reads one document, and nothing follows it
//	"second at <line>:<col>"  yaml.Unmarshal reads the first document and ignores
//	                          a second one, which a Decoder reads, starting there
//	"second error <text>"     yaml.Unmarshal reads the first document and ignores
//	                          what follows, which is not even a document
//
// tests/host/test_yaml_raw.py compares hostform's second-document check with it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

func main() {
	var texts []string
	if err := json.NewDecoder(os.Stdin).Decode(&texts); err != nil {
		fmt.Fprintf(os.Stderr, "yamldocs: input is not a JSON array of strings: %v\n", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, t := range texts {
		var v yaml.Node // the document as parsed (a mapping key given twice is the decoder's error, not the parser's)
		if err := yaml.Unmarshal([]byte(t), &v); err != nil {
			fmt.Fprintf(out, "unmarshal error %s\n", oneLine(err))
			continue
		}
		d := yaml.NewDecoder(strings.NewReader(t))
		var first, second yaml.Node
		if err := d.Decode(&first); err == io.EOF {
			fmt.Fprintln(out, "one") // no document at all
			continue
		} else if err != nil {
			fmt.Fprintf(out, "unmarshal error %s\n", oneLine(err))
			continue
		}
		switch err := d.Decode(&second); {
		case err == io.EOF:
			fmt.Fprintln(out, "one")
		case err != nil:
			fmt.Fprintf(out, "second error %s\n", oneLine(err))
		default:
			fmt.Fprintf(out, "second at %d:%d\n", second.Line, second.Column)
		}
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
