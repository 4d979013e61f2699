// A Go-FTL2 client of a state file, built from the seed's own state package: it loads the file,
// makes one change through the package's API (which saves the whole file, as Go-FTL2 does), or
// prints what it read.
//
//	client STATE dump
//	client STATE add-host NAME ADDRESS PORT USER GROUP [VARS_JSON]
//	client STATE add-resource KEY TYPE ID NAME DATA_JSON [TAGS_JSON]
//	client STATE remove-host NAME
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"goftl2client/state"
)

func main() {
	s, err := state.Load(os.Args[1])
	check(err)
	args := os.Args[3:]
	switch os.Args[2] {
	case "dump":
		out, err := json.MarshalIndent(s.Dump(), "", "  ")
		check(err)
		fmt.Println(string(out))
	case "add-host":
		port, err := strconv.Atoi(args[2])
		check(err)
		h := &state.HostState{Name: args[0], Address: args[1], Port: port, User: args[3], Group: args[4]}
		if len(args) > 5 {
			check(json.Unmarshal([]byte(args[5]), &h.Vars))
		}
		check(s.AddHost(h))
	case "add-resource":
		r := &state.ResourceState{Type: args[1], ID: args[2], Name: args[3]}
		check(json.Unmarshal([]byte(args[4]), &r.Data))
		if len(args) > 5 {
			check(json.Unmarshal([]byte(args[5]), &r.Tags))
		}
		check(s.AddResource(args[0], r))
	case "remove-host":
		check(s.RemoveHost(args[0]))
	default:
		check(fmt.Errorf("unknown command %q", os.Args[2]))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
