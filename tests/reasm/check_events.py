#!/usr/bin/python3
"""Check tlsfp's events for one capture of cases.tsv.

    check_events.py [--prefix P] [--tshark FILE] [--no-counters]
                    CASES CAPTURE EVENTS STATS

CASES is cases.tsv, CAPTURE the file column of the rows to check, EVENTS
tlsfp's --json output and STATS its standard error with -s.  --tshark
names the output of
`tshark -T fields -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport
-e tls.handshake.ja3` for the capture.  Prints "ok - NAME",
"not ok - NAME: why", "skip - NAME: why" and "# " lines, nothing else;
the shell script that runs it counts the results.
"""

import argparse
import csv
import json
import re
import sys

# Captures with more flows than this get one summary line for their rows.
MAX_ROW_LINES = 4
COUNTER_LINE = re.compile(r"^\s+([a-z0-9_]+)\s+(-?\d+)\s+\S")
CONDITION = re.compile(r"^([a-z0-9_]+)(=|>)(\d+)$")


class Results:
    def __init__(self, prefix):
        self.prefix = prefix

    def ok(self, name):
        print("ok - %s%s" % (self.prefix, name))

    def not_ok(self, name, reason):
        print("not ok - %s%s: %s" % (self.prefix, name, reason))

    def skip(self, name, reason):
        print("skip - %s%s: %s" % (self.prefix, name, reason))

    def check(self, name, failure):
        """Report name as passed if failure is empty, else as failed."""
        if failure:
            self.not_ok(name, failure)
        else:
            self.ok(name)


def load_rows(path, capture):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")
                if r["file"] == capture]
    if not rows:
        sys.exit("check_events.py: no row of %s has file %s"
                 % (path, capture))
    return rows


def load_events(path):
    """Return (events, lines that are not JSON objects)."""
    events, bad = [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            try:
                event = json.loads(line)
            except ValueError:
                bad.append(line)
                continue
            if isinstance(event, dict):
                events.append(event)
            else:
                bad.append(line)
    return events, bad


def load_counters(path):
    counters = {}
    with open(path) as f:
        for line in f:
            m = COUNTER_LINE.match(line)
            if m and m.group(1) not in counters:
                counters[m.group(1)] = int(m.group(2))
    return counters


def load_tshark(path):
    """Return {(ip, port): [JA3 of the first hello of each TCP stream]}."""
    first = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5 or not fields[4]:
                continue
            stream, ip4, ip6, port, ja3 = fields[:5]
            if stream not in first:
                first[stream] = ((ip4 or ip6, int(port)),
                                 ja3.split(",")[0])
    by_flow = {}
    for stream in sorted(first, key=int):
        flow, ja3 = first[stream]
        by_flow.setdefault(flow, []).append(ja3)
    return by_flow


def describe(event):
    if event is None:
        return "no event"
    tls = event.get("tls", {})
    if tls.get("truncated"):
        return "truncated (%s)" % tls.get("ja3_error", "no reason")
    if "ja3" in tls:
        return "JA3 %s" % tls["ja3"]["hash"]
    return "no JA3 (%s)" % tls.get("ja3_error", "no reason")


def row_mismatch(row, event):
    """Return the reason event does not satisfy row, or "" if it does."""
    expect = row["expect"]
    if expect == "none":
        return "" if event is None else "expected no event, got %s" % \
            describe(event)
    if event is None:
        return "expected %s, got no event" % (
            "JA3 " + row["ja3_md5"] if expect == "hello" else "truncated")
    tls = event.get("tls", {})
    if expect == "truncated":
        if tls.get("truncated") is not True or "ja3" in tls:
            return "expected truncated, got %s" % describe(event)
        # The reason is only in ja3_error's text (user/events.c).
        too_large = "too_large>0" in row["counters"].split(",")
        reason = "larger than" if too_large else "ended or idled out"
        if reason not in tls.get("ja3_error", ""):
            return "expected a ja3_error with '%s', got '%s'" % (
                reason, tls.get("ja3_error", ""))
        return ""
    got = tls.get("ja3", {}).get("hash")
    if got == row["ja3_md5"] and not tls.get("truncated"):
        return ""
    return "expected JA3 %s, got %s" % (row["ja3_md5"], describe(event))


def flow_of(row):
    return (row["client_ip"], int(row["client_port"]))


def row_names(rows, case, check):
    """Name one check of each row: the case and the check, then the flow
    and a connection number where the case has several."""
    flows = [flow_of(r) for r in rows]
    names = []
    for i, flow in enumerate(flows):
        if len(rows) == 1:
            names.append("%s %s" % (case, check))
            continue
        nth = flows[:i + 1].count(flow)
        names.append("%s %s %s:%d%s" % (case, check, flow[0], flow[1],
                                        " connection %d" % nth
                                        if flows.count(flow) > 1 else ""))
    return names


def check_rows(res, case, rows, events):
    by_flow = {}
    for event in events:
        flow = (event.get("src_ip"), event.get("src_port"))
        by_flow.setdefault(flow, []).append(event)
    used = {}
    failures = []
    names = row_names(rows, case, "event")
    for row, name in zip(rows, names):
        flow = flow_of(row)
        event = None
        if row["expect"] != "none":
            index = used.get(flow, 0)
            if index < len(by_flow.get(flow, [])):
                event = by_flow[flow][index]
            used[flow] = index + 1
        elif by_flow.get(flow):
            event = by_flow[flow][0]
            # Reported here, not again as an unexpected event.
            used[flow] = len(by_flow[flow])
        failure = row_mismatch(row, event)
        if len(rows) <= MAX_ROW_LINES:
            res.check(name, failure)
        elif failure:
            failures.append("%s: %s" % (name, failure))
    if len(rows) > MAX_ROW_LINES:
        res.check("%s event of all %d flows" % (case, len(rows)),
                  "%d of %d flows wrong, first: %s"
                  % (len(failures), len(rows), "; ".join(failures[:3]))
                  if failures else "")

    extra = []
    for flow, flow_events in by_flow.items():
        expected = used.get(flow, 0)
        if len(flow_events) > expected:
            extra.append("%s:%s %s" % (flow[0], flow[1],
                                       describe(flow_events[expected])))
    res.check("%s no other events" % case,
              "%d unexpected: %s" % (len(extra), "; ".join(extra[:3]))
              if extra else "")


def check_counters(res, case, rows, counters):
    conditions = []
    for row in rows:
        for cond in row["counters"].split(","):
            if cond != "-" and cond not in conditions:
                conditions.append(cond)
    for cond in conditions:
        m = CONDITION.match(cond)
        name = "%s counter %s" % (case, cond)
        if not m:
            res.not_ok(name, "cannot read the condition")
            continue
        counter, op, value = m.group(1), m.group(2), int(m.group(3))
        if counter not in counters:
            res.not_ok(name, "tlsfp -s printed no counter %s" % counter)
            continue
        got = counters[counter]
        good = got == value if op == "=" else got > value
        res.check(name, "" if good else "%s is %d" % (counter, got))


def check_tshark(res, case, rows, events, tshark):
    names = row_names(rows, case, "tshark JA3")
    seen = {}
    for row, name in zip(rows, names):
        flow = flow_of(row)
        nth = seen.get(flow, 0)
        seen[flow] = nth + 1
        hellos = tshark.get(flow, [])
        ja3 = hellos[nth] if nth < len(hellos) else None
        if row["expect"] == "hello":
            if ja3 is None:
                res.skip(name, "tshark decodes no ClientHello in this flow")
            else:
                res.check(name, "" if ja3 == row["ja3_md5"]
                          else "tshark JA3 %s, whole hello %s"
                          % (ja3, row["ja3_md5"]))
        elif ja3 is not None:
            print("# %s: %s, where the row expects %s from tlsfp"
                  % (name, ja3, row["expect"]))

    # Every JA3 tlsfp reports must be tshark's for the same connection.
    count = {}
    for event in events:
        flow = (event.get("src_ip"), event.get("src_port"))
        nth = count.get(flow, 0)
        count[flow] = nth + 1
        got = event.get("tls", {}).get("ja3", {}).get("hash")
        if got is None:
            continue
        hellos = tshark.get(flow, [])
        want = hellos[nth] if nth < len(hellos) else None
        if want is not None and got != want:
            res.not_ok("%s tlsfp JA3 equals tshark" % case,
                       "%s:%s tlsfp %s, tshark %s"
                       % (flow[0], flow[1], got, want))
            return
    res.ok("%s tlsfp JA3 equals tshark" % case)


def main():
    parser = argparse.ArgumentParser(
        description="check tlsfp's events for one capture of cases.tsv")
    parser.add_argument("--prefix", default="",
                        help="text put before every test name")
    parser.add_argument("--tshark", help="tshark fields output to compare")
    parser.add_argument("--no-counters", action="store_true",
                        help="skip the conditions of the counters column")
    parser.add_argument("cases")
    parser.add_argument("capture")
    parser.add_argument("events")
    parser.add_argument("stats")
    args = parser.parse_args()

    res = Results(args.prefix)
    rows = load_rows(args.cases, args.capture)
    case = rows[0]["name"]
    events, bad = load_events(args.events)
    res.check("%s output is JSON" % case,
              "%d lines are not JSON objects, first: %.80s"
              % (len(bad), bad[0]) if bad else "")
    check_rows(res, case, rows, events)
    if not args.no_counters:
        check_counters(res, case, rows, load_counters(args.stats))
    if args.tshark:
        check_tshark(res, case, rows, events, load_tshark(args.tshark))


if __name__ == "__main__":
    main()
