// Command gotime prints what Go's time.ParseDuration makes of strings: for
// each line of standard input, the hex encoding of one string (so that any
// bytes, line breaks and NUL included, get through), it prints one line,
// "ok <nanoseconds>" or "err <Go's error text>". tests/test_timespec.py
// compares hostform.timespec.parse_go_duration with it.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64*1024), 64*1024*1024)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		raw, err := hex.DecodeString(in.Text())
		if err != nil {
			fmt.Fprintf(os.Stderr, "gotime: input line is not hex: %v\n", err)
			os.Exit(2)
		}
		d, err := time.ParseDuration(string(raw))
		if err != nil {
			fmt.Fprintf(out, "err %s\n", err)
		} else {
			fmt.Fprintf(out, "ok %d\n", int64(d))
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "gotime: reading standard input: %v\n", err)
		os.Exit(2)
	}
	if err := out.Flush(); err != nil {
		os.Exit(2)
	}
}
