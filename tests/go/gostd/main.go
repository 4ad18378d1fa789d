// Command gostd prints what Go's standard library makes of strings, for
// tests/test_gostd.py to compare with hostform.gostd. Each line of standard
// input is an operation name and its arguments, separated by single spaces;
// string arguments are hex encoded (so that any bytes, invalid UTF-8, line
// breaks and NUL included, get through), rune arguments are decimal. For each
// line it prints one line: the hex encoding of the result (a bool as "true"
// or "false").
//
//	quote HEX        strconv.Quote
//	quoterune INT    strconv.QuoteRune
//	clean HEX        path.Clean
//	join HEX...      path.Join
//	ext HEX          path.Ext
//	trimspace HEX    strings.TrimSpace
//	timequote HEX    time's quote, as time.ParseDuration("!"+s) shows it
//	urlparse HEX     url.Parse: "err", or scheme, opaque and raw query (hex, space-separated)
//	sortslice INT... sort.Slice of the decimal keys by "<": the original positions in the order
//	                 sort.Slice leaves them (decimal, space-separated; not hex)
//
// Two tables are printed whole instead: "isprint" prints the ranges "LO HI"
// (decimal, inclusive) of the runes strconv.IsPrint accepts, "isspace" the
// runes unicode.IsSpace accepts, one per line, then an empty line.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "gostd: "+format+"\n", a...)
	os.Exit(2)
}

func str(arg string) string {
	raw, err := hex.DecodeString(arg)
	if err != nil {
		fail("argument is not hex: %v", err)
	}
	return string(raw)
}

func one(args []string) string {
	if len(args) != 1 {
		fail("want one argument, got %d", len(args))
	}
	return str(args[0])
}

func timeQuote(s string) string {
	const prefix = `time: invalid duration "!`
	_, err := time.ParseDuration("!" + s)
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		fail("unexpected time.ParseDuration error %q", msg)
	}
	return `"` + msg[len(prefix):]
}

func run(op string, args []string) string {
	enc := hex.EncodeToString
	switch op {
	case "quote":
		return enc([]byte(strconv.Quote(one(args))))
	case "quoterune":
		if len(args) != 1 {
			fail("quoterune wants one argument")
		}
		r, err := strconv.ParseInt(args[0], 10, 32)
		if err != nil {
			fail("quoterune: %v", err)
		}
		return enc([]byte(strconv.QuoteRune(rune(r))))
	case "clean":
		return enc([]byte(path.Clean(one(args))))
	case "join":
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = str(a)
		}
		return enc([]byte(path.Join(parts...)))
	case "ext":
		return enc([]byte(path.Ext(one(args))))
	case "trimspace":
		return enc([]byte(strings.TrimSpace(one(args))))
	case "timequote":
		return enc([]byte(timeQuote(one(args))))
	case "sortslice":
		keys := make([]int, len(args))
		pos := make([]int, len(args))
		for i, a := range args {
			k, err := strconv.Atoi(a)
			if err != nil {
				fail("sortslice: %v", err)
			}
			keys[i], pos[i] = k, i
		}
		sort.Slice(pos, func(i, j int) bool { return keys[pos[i]] < keys[pos[j]] })
		out := make([]string, len(pos))
		for i, p := range pos {
			out[i] = strconv.Itoa(p)
		}
		return strings.Join(out, " ")
	case "urlparse":
		u, err := url.Parse(one(args))
		if err != nil {
			return "err"
		}
		return enc([]byte(u.Scheme)) + " " + enc([]byte(u.Opaque)) + " " + enc([]byte(u.RawQuery))
	}
	fail("unknown operation %q", op)
	return ""
}

func table(out *bufio.Writer, op string) {
	switch op {
	case "isprint":
		lo := rune(-1)
		for r := rune(0); r <= unicode.MaxRune+1; r++ {
			if r <= unicode.MaxRune && strconv.IsPrint(r) {
				if lo < 0 {
					lo = r
				}
			} else if lo >= 0 {
				fmt.Fprintf(out, "%d %d\n", lo, r-1)
				lo = -1
			}
		}
	case "isspace":
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if unicode.IsSpace(r) {
				fmt.Fprintf(out, "%d\n", r)
			}
		}
	}
	fmt.Fprintln(out)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 64*1024*1024)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		fields := strings.Split(in.Text(), " ")
		if fields[0] == "isprint" || fields[0] == "isspace" {
			table(out, fields[0])
			continue
		}
		fmt.Fprintln(out, run(fields[0], fields[1:]))
	}
	if err := in.Err(); err != nil {
		fail("reading standard input: %v", err)
	}
	if err := out.Flush(); err != nil {
		os.Exit(2)
	}
}
