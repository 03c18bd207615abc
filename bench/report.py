#!/usr/bin/python3
"""Write BENCHMARKS.md from the results of one bench/run.sh run.

Usage: report.py WORK_DIR OUTPUT.md

WORK_DIR contains machine.txt (key=value lines), results.jsonl (one JSON
object per measurement, with its "kind"), the perf script text of the
profiled classes (perf-CLASS.txt), the perf reports of the loader and of
tlsfp -r, and the map table of tlsfp -s (map-table.txt).  Every verdict
and finding is computed from those numbers, and a finding is printed only
when the numbers show it.
"""

import collections
import json
import os
import re
import sys

# The targets that BENCHMARKS.md reports against.
NON_TLS_MAX_RATIO = 1.15
HELLO_MAX_RATIO = 3.0
MD5_MAX_NS = 2000
OFFLINE_MIN_RATIO = 50
LIVE_MIN_RATE = 100000
RSS_MAX_KIB = 16 * 1024

NON_TLS_CLASSES = ["syn", "ack_data", "udp", "ipv6_data"]
HELLO_CLASSES = ["hello_small", "hello_large"]
# XDP attach modes as ip link prints them.
XDP_MODES = {"xdp": "xdp, native", "xdpgeneric": "xdpgeneric, generic",
             "xdpoffload": "xdpoffload, offloaded"}

# Classes that run.sh samples with perf, into perf-CLASS.txt.
PROFILED_CLASSES = ["hello_small", "hello_small_wakeup", "ack_data"]

# Kernel functions of the tlsfp -r profile, as labels and symbol patterns.
REPLAY_KERNEL_SYMBOLS = [
    ("bpf() syscalls, all", r"^__x64_sys_bpf$"),
    ("BPF_PROG_TEST_RUN of XDP (frame copies and the program)",
     r"^bpf_prog_test_run_xdp$"),
    ("tlsfp_xdp, wakeups included", r"^bpf_prog_[0-9a-f]+_tlsfp_xdp$"),
    ("ring buffer wakeups (irq_work_queue)", r"^irq_work_queue$"),
    ("verifier, at load (bpf_check)", r"^bpf_check$"),
    ("write() of the output", r"^ksys_write$"),
]

# Causes of the loader's CPU time, shown when their functions take more
# than 5% of it.  Each is a symbol pattern and a sentence with one %.0f for
# the share.
LOADER_CAUSES = [
    (r"^__GI___snprintf|^__vsnprintf_internal$",
     "snprintf() takes %.0f%%: the JA3 string and the JA4 lists format "
     "each number with its own snprintf() call, where a small hand-written "
     "decimal and hex routine would do."),
    (r"^print_json$",
     "JSON output takes %.0f%%: it builds json-c objects for each event; "
     "writing the line directly would be cheaper."),
    (r"^tlsfp_md5_hex$",
     "The OpenSSL MD5 of the JA3 string takes %.0f%%: every event is "
     "checked against the MD5 that the datapath sent with it, where a "
     "sample of the events would keep the check."),
    (r"_IO_fflush",
     "fflush() takes %.0f%%: stdout is flushed after every event, one "
     "write() each; one flush per ring_buffer__poll() batch would keep "
     "pipes prompt at a fraction of the calls."),
]

# Causes of the non-TLS path's time, shown when their functions take more
# than 5% of its samples.  Each is a list of functions and a sentence with
# one %.0f for the share.
NON_TLS_CAUSES = [
    (["htab_map_hash", "lookup_nulls_elem_raw", "__htab_map_lookup_elem"],
     "Hash map lookups take %.0f%%: every TCP segment with payload looks up "
     "the partials and conns maps before anything shows that it is TLS. "
     "Skipping them while those maps are empty (a global count, as "
     "nr_blocked_flows does for blocked_flows), or checking the head bytes "
     "for a TLS record or a known stream first, would spare most packets."),
    (["read_tsc", "ktime_get_mono_fast_ns", "bpf_ktime_get_ns"],
     "Reading the clock takes %.0f%%: bpf_ktime_get_ns() runs for every "
     "parsed TCP packet; it is needed only when state is written."),
    (["bpf_xdp_load_bytes", "bpf_xdp_pointer", "bpf_skb_load_bytes",
      "__pi_memcpy"],
     "Copying the first payload bytes with a helper takes %.0f%%; direct "
     "packet access reads them in place when they are in the linear area."),
]

CLASS_NAMES = {
    "syn": "TCP SYN (the stream is tracked from here)",
    "ack_data": "TCP segment with an HTTP request, IPv4",
    "udp": "UDP datagram (DNS query)",
    "ipv6_data": "TCP segment with an HTTP request, IPv6",
    "hello_repeat": "ClientHello of a flow already fingerprinted",
    "hello_small": "ClientHello in one segment, new flow",
    "hello_small_wakeup": "the same, consumer waiting: a ring buffer "
                          "wakeup per event",
    "hello_large": "ClientHello in one segment (jumbo frame or TSO), "
                   "new flow",
    "split_first": "first segment of a split ClientHello (starts "
                   "reassembly)",
    "split_last": "last segment of a split ClientHello (completes it)",
    "hello_small_flows_full": "ClientHello, flows map full (LRU eviction)",
    "hello_small_blocklist_miss": "ClientHello, blocklist of one other JA3",
    "hello_small_blocked": "ClientHello on the blocklist (dropped)",
}


def read_machine(work):
    machine = {}
    with open(os.path.join(work, "machine.txt")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            machine[key] = value
    return machine


def read_results(work):
    by_kind = collections.defaultdict(list)
    with open(os.path.join(work, "results.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                row = json.loads(line)
                by_kind[row["kind"]].append(row)
    return by_kind


def read_text(work, name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


def fmt_ns(ns):
    return "%.0f" % ns


def fmt_ratio(r):
    return "%.2f×" % r if r < 10 else "%.0f×" % r


def fmt_int(n):
    return "{:,}".format(int(n)).replace(",", " ")


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**missed**"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


class Report:
    """The measurements of one run and the page made from them."""

    def __init__(self, work):
        self.work = work
        self.machine = read_machine(work)
        self.res = read_results(work)
        self.classes = {(r["hook"], r["class"]): r for r in self.res["class"]}
        self.leaf = {cls: self.leaf_profile(cls)
                     for cls in PROFILED_CLASSES}

    # ----------------------------------------------------------------
    # Derived numbers

    def ratio(self, hook, cls):
        r = self.classes.get((hook, cls))
        return r["ns"] / r["empty_ns"] if r and r["empty_ns"] else None

    def worst(self, classes):
        """Return (ratio, hook, class) of the largest ratio among classes."""
        best = None
        for (hook, cls), r in self.classes.items():
            if cls in classes and r["empty_ns"]:
                ratio = r["ns"] / r["empty_ns"]
                if best is None or ratio > best[0]:
                    best = (ratio, hook, cls)
        return best

    def md5_ns(self, what):
        rows = [r for r in self.res["ja3"] if r["what"] == what]
        return max(r["ns"] - r["empty_ns"] for r in rows) if rows else None

    def offline(self, tool_prefix):
        for r in self.res["offline"]:
            if r["tool"].startswith(tool_prefix):
                return r
        return None

    def offline_ratio(self, per_cpu=False):
        """Return tlsfp -r's frame rate over tshark's, by wall or CPU time."""
        tlsfp, tshark = self.offline("tlsfp -r (text)"), self.offline("tshark")
        if not tlsfp or not tshark:
            return None
        field = "cpu_s" if per_cpu else "wall_s"
        return tshark[field] / tlsfp[field]

    def live_rows(self):
        return self.res["live"]

    @staticmethod
    def lost(r):
        return max(0, r["sent"] - r["printed"])

    def live_best(self):
        """Return the live step with zero loss and the highest sent rate."""
        ok = [r for r in self.live_rows() if self.lost(r) == 0 and r["sent"]]
        return max(ok, key=lambda r: r["achieved_pps"]) if ok else None

    def live_verdict(self):
        rows = self.live_rows()
        if not rows:
            return None, "no live run"
        best = self.live_best()
        if best and best["achieved_pps"] >= LIVE_MIN_RATE:
            return True, "zero loss at %s hellos/s" % fmt_int(
                best["achieved_pps"])
        lossy = [r for r in rows if self.lost(r)]
        if lossy:
            first = min(lossy, key=lambda r: r["achieved_pps"])
            return False, "loss from %s hellos/s (%s of %s lost)" % (
                fmt_int(first["achieved_pps"]), fmt_int(self.lost(first)),
                fmt_int(first["sent"]))
        top = max(r["achieved_pps"] for r in rows)
        return None, ("zero loss at every rate, but tcpreplay reached only "
                      "%s hellos/s" % fmt_int(top))

    def max_rss(self):
        rows = self.res["live_rss"]
        return max(r["vm_hwm_kb"] for r in rows) if rows else None

    def loader_us_per_event(self):
        rows = [r for r in self.live_rows() if r["printed"]]
        if not rows:
            return None
        top = max(rows, key=lambda r: r["printed"] / max(r["loader_cpu_s"],
                                                         1e-9))
        return 1e6 * top["loader_cpu_s"] / top["printed"]

    # ----------------------------------------------------------------
    # Profiles

    def leaf_profile(self, cls):
        """Return {symbol: samples} of the samples inside tlsfp_xdp."""
        text = read_text(self.work, "perf-%s.txt" % cls)
        counts = collections.Counter()
        for sample in text.split("\n\n"):
            frames = [line.split(None, 1)[1] for line in sample.strip()
                      .splitlines() if len(line.split(None, 1)) == 2]
            if not any(re.search(r"_tlsfp_xdp$", f) for f in frames):
                continue
            counts[re.sub(r"^bpf_prog_[0-9a-f]+_", "", frames[0])] += 1
        return counts

    def profile_share(self, cls, symbols):
        counts = self.leaf[cls]
        total = sum(counts.values())
        return sum(counts[s] for s in symbols) / total if total else 0

    def perf_children(self, name, with_dso):
        """Return [(inclusive %, dso, symbol, kernel)] of a perf report.

        perf report --children prints the inclusive and self shares, the
        shared object when sorted by it, "[k]" or "[.]", the symbol, and
        IPC columns after two or more spaces.
        """
        rows = []
        dso = r"(\S+)\s+" if with_dso else r"()"
        for line in read_text(self.work, name).splitlines():
            m = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+" + dso +
                         r"\[([k.])\]\s+(.+?)(\s{2,}.*)?$", line)
            if m:
                rows.append((float(m.group(1)), m.group(2), m.group(4),
                             m.group(3) == "k"))
        return rows

    def loader_profile(self):
        """Return [(inclusive %, dso, symbol)] of the loader's user code."""
        return [(p, dso, sym) for p, dso, sym, kernel in
                self.perf_children("perf-loader.txt", True) if not kernel]

    def loader_share(self, pattern):
        shares = [p for p, _, sym in self.loader_profile()
                  if re.search(pattern, sym)]
        return max(shares) if shares else 0

    # ----------------------------------------------------------------
    # Sections

    def header(self):
        m = self.machine
        minutes = int(m.get("runtime_s", "0")) / 60
        return "\n".join([
            "# tlsfp benchmarks",
            "",
            "Written by `make bench` (bench/run.sh) on %s. Every figure on "
            "this page comes from that one run on the machine below, and "
            "`make bench` (as root, about %.0f minutes here) measures them "
            "again and rewrites the page. BPF_PROG_TEST_RUN times are the "
            "best of several rounds, because other load on a machine only "
            "ever adds time, and their ratios compare with an empty program "
            "measured the same way in the same run." % (
                m.get("date", "?"), max(minutes, 1)),
        ])

    def machine_section(self):
        m = self.machine
        rows = [
            ("CPU", "%s, %s cores%s" % (
                m.get("cpu", "?"), m.get("cores", "?"),
                ", virtual machine" if m.get("hypervisor") == "yes" else "")),
            ("Memory", "%s MiB" % m.get("memory_mib", "?")),
            ("Kernel", m.get("kernel", "?")),
            ("Compiler", m.get("clang", "?")),
            ("libbpf", m.get("libbpf", "?")),
            ("bpftool", m.get("bpftool", "?")),
            ("tshark", m.get("tshark", "?")),
            ("tcpreplay", m.get("tcpreplay", "?")),
            ("perf", m.get("perf", "?")),
            ("perf event sources", m.get("pmu", "?")),
            ("tlsfp", m.get("commit", "?")),
            ("Load average (1, 5, 15 min) at start, at end",
             "%s; %s" % (m.get("loadavg_start", "?"),
                         m.get("loadavg_end", "?"))),
            ("Run time", "%s s" % m.get("runtime_s", "?")),
        ]
        return "## Machine\n\n" + table(("", ""), rows) + "\n\n" + (
            "The load average counts other processes too: with a load near "
            "or above the number of cores, the live and offline figures "
            "share the CPUs with them.")

    def targets_section(self):
        rows = []
        w = self.worst(NON_TLS_CLASSES)
        if w:
            each = ", ".join("%s %s" % (cls, fmt_ratio(self.worst([cls])[0]))
                             for cls in NON_TLS_CLASSES if self.worst([cls]))
            rows.append(("Packets without TLS ≤ %s× the empty program"
                         % NON_TLS_MAX_RATIO,
                         "worst of XDP and TC: %s" % each,
                         verdict(w[0] <= NON_TLS_MAX_RATIO)))

        w = self.worst(HELLO_CLASSES)
        if w:
            rows.append(("Single-segment ClientHello, full parse and event, "
                         "≤ %.0f× the empty program" % HELLO_MAX_RATIO,
                         "worst %s (%s, %s; %s ns)" % (
                             fmt_ratio(w[0]), w[2], w[1],
                             fmt_ns(self.classes[(w[1], w[2])]["ns"])),
                         verdict(w[0] <= HELLO_MAX_RATIO)))

        md5 = self.md5_ns("md5")
        if md5 is not None:
            rows.append(("In-kernel MD5 ≤ %.0f µs per hello" %
                         (MD5_MAX_NS / 1000),
                         "%.2f µs (JA3 string and MD5: %.2f µs)" % (
                             md5 / 1000, self.md5_ns("ja3_md5") / 1000),
                         verdict(md5 <= MD5_MAX_NS)))

        ratio = self.offline_ratio()
        if ratio is not None:
            rows.append(("Offline ≥ %d× tshark" % OFFLINE_MIN_RATIO,
                         "%s in frames per second (%s in frames per CPU "
                         "second)" % (fmt_ratio(ratio),
                                      fmt_ratio(self.offline_ratio(True))),
                         verdict(ratio >= OFFLINE_MIN_RATIO)))

        ok, text = self.live_verdict()
        rows.append(("Zero loss at ≥ %s hellos/s" % fmt_int(LIVE_MIN_RATE),
                     text, verdict(ok)))

        rss = self.max_rss()
        if rss is not None:
            rows.append(("Loader resident memory ≤ 16 MiB",
                         "%.1f MiB (%s KiB, max over the live steps)" % (
                             rss / 1024, fmt_int(rss)),
                         verdict(rss <= RSS_MAX_KIB)))
        return "## Targets\n\n" + table(("Target", "Measured", "Result"),
                                         rows)

    def test_run_section(self):
        parts = ["## 1. BPF_PROG_TEST_RUN time per packet", "", (
            "bench/bench_prog.c loads tlsfp's BPF object as tlsfp does, "
            "with its default map sizes, and bench/bench.bpf.c's empty XDP "
            "(`xdp.frags`, like tlsfp_xdp) and TC programs. Frames come "
            "from bench/gen_traffic.py. The kernel times each run itself "
            "(`duration` of BPF_PROG_TEST_RUN), so no syscall or frame copy "
            "is counted. Two methods:"), "", (
            "- **repeat**: one test run of %s runs of the same frame, best "
            "of 7 rounds. Only for classes whose path does not depend on "
            "earlier runs." % fmt_int(self.first("class", "runs", "repeat")
                                       or 0)), (
            "- **per flow**: a ClientHello changes the maps (the flows map "
            "sends a repeated hello of a flow down the short 'already "
            "seen' path), so each of %s flows (source ports differ) sends "
            "the frame once, in a test run with repeat 1, and the kernel's "
            "times are averaged; best of 7 rounds, with the maps emptied "
            "between rounds outside the timing. A repeat-1 time includes "
            "the kernel's clock reads around the run, so the empty program "
            "runs call for call on the same frames, and its time is the "
            "floor of that method. The ring buffer is read at the end of "
            "each round (a consumer that is behind), except in the "
            "'consumer waiting' row, where it is read after every flow." %
            fmt_int(self.first("class", "runs", "per flow") or 0)), "", (
            "Every row checks that the program took the intended path: its "
            "verdict, the tlsfp counters it must move (for example "
            "`hellos`, `reassembled`, `blocked`), one ring buffer event per "
            "hello and no `ringbuf_full`. The check column says `ok` or "
            "what differed."), ""]
        for hook in ("xdp", "tc"):
            rows = []
            for (h, cls), r in self.classes.items():
                if h != hook:
                    continue
                rows.append((CLASS_NAMES.get(cls, cls), r["frame_len"],
                             r["method"], fmt_ns(r["ns"]),
                             fmt_ns(r["empty_ns"]),
                             fmt_ratio(r["ns"] / r["empty_ns"]),
                             fmt_ns(r["ns"] - r["empty_ns"]), r["check"]))
            name = "tlsfp_xdp against empty_xdp" if hook == "xdp" else \
                "tlsfp_tc against empty_tc"
            parts += ["### %s" % name, "", table(
                ("Packet", "Frame bytes", "Method", "tlsfp ns", "empty ns",
                 "Ratio", "Difference ns", "Check"), rows), ""]
        parts += [self.ja3_table(), "", self.prog_table(), "",
                  self.profile_section()]
        return "\n".join(parts)

    def first(self, kind, field, method):
        for r in self.res[kind]:
            if r.get("method") == method:
                return r[field]
        return None

    def ja3_table(self):
        rows = []
        for r in self.res["ja3"]:
            rows.append((r["class"], r["ja3_len"],
                         "MD5" if r["what"] == "md5" else
                         "JA3 string and MD5",
                         fmt_ns(r["ns"]), fmt_ns(r["empty_ns"]),
                         fmt_ns(r["ns"] - r["empty_ns"])))
        return "\n".join([
            "### JA3 string and MD5 in the kernel", "",
            "bench.bpf.c runs bpf/md5.h and bpf/ja3_build.h on their own: "
            "`md5_xdp` hashes the JA3 string of the hello, `ja3_md5_xdp` "
            "builds the string from the parsed hello (taken from a "
            "tlsfp_xdp event) and hashes it, as tlsfp_sub_ja3_md5() does. "
            "Repeat method; the digests are checked against the datapath's "
            "and OpenSSL's.", "",
            table(("Hello", "JA3 bytes", "Work", "ns", "empty ns",
                   "Difference ns"), rows)])

    def prog_table(self):
        rows = []
        for r in self.res["prog"]:
            rows.append((r["object"], r["name"], r["section"],
                         fmt_int(r["processed_insns"]),
                         fmt_int(r["peak_states"]),
                         "%.0f" % (r["verification_us"] / 1000),
                         fmt_int(r["xlated"]), fmt_int(r["jited"]),
                         r["funcs"]))
        funcs = [(f["name"], fmt_int(f["jited"])) for f in self.res["func"]
                 if f["prog"] == "tlsfp_xdp"]
        return "\n".join([
            "### Verifier and JIT", "",
            "From the verifier's statistics (log level 4) at load and "
            "bpf_prog_info: instructions processed (the limit is 1 000 000), "
            "peak states, verification time, and the translated and JIT "
            "image sizes, all functions included.", "",
            table(("Object", "Program", "Section", "Processed insns",
                   "Peak states", "Verification ms", "Xlated bytes",
                   "JIT bytes", "Functions"), rows), "",
            "JIT size of each function of tlsfp_xdp:", "",
            table(("Function", "JIT bytes"), funcs)])

    def profile_section(self):
        parts = ["### Where the time goes", ""]
        if not any(self.leaf.values()):
            return "\n".join(parts + [
                "perf could not sample here, so there is no profile. "
                "`bpftool prog profile` gave: %s" % self.prog_profile()])
        parts.append(
            "perf samples the CPU clock (`-e cpu-clock -g`, 10 kHz) while "
            "bench_prog runs one class through tlsfp_xdp for a few seconds, "
            "by the method of its row above. Each table lists the "
            "functions that the samples inside tlsfp_xdp landed in (self "
            "time): BPF functions of tlsfp by name, kernel functions by "
            "theirs. The ns column applies the share to the row's time, an "
            "estimate. `bpftool prog profile`, which needs hardware "
            "counters, gave: %s" % self.prog_profile())
        for cls in PROFILED_CLASSES:
            counts = self.leaf[cls]
            total = sum(counts.values())
            if not total:
                continue
            r = self.classes.get(("xdp", cls))
            rows = []
            for sym, n in counts.most_common(12):
                rows.append((sym, "%.1f%%" % (100 * n / total),
                             fmt_ns(r["ns"] * n / total) if r else ""))
            parts += ["", "%s (%s, %s samples):" % (
                CLASS_NAMES[cls], cls, fmt_int(total)), "",
                table(("Function", "Share", "ns"), rows)]
        return "\n".join(parts)

    def prog_profile(self):
        rows = self.res["prog_profile"]
        if not rows:
            return "not run."
        text = rows[0]["output"].strip() or "no output"
        return "`%s`" % text.replace("|", "/")

    def offline_section(self):
        rows = []
        for r in self.res["offline"]:
            rows.append((r["tool"], fmt_int(r["frames"]), "%.2f" % r["wall_s"],
                         fmt_int(r["frames"] / r["wall_s"]),
                         "%.2f" % r["cpu_s"],
                         fmt_int(r["frames"] / r["cpu_s"]),
                         fmt_int(r["fingerprints"]),
                         "%.1f" % (r["rss_kb"] / 1024), r["runs"]))
        ratio = self.offline_ratio()
        tlsfp = self.offline("tlsfp -r (text)")
        parts = [
            "## 2. Offline: tlsfp -r against tshark", "",
            "bench/gen_traffic.py writes one capture of %s TLS flows (SYN, "
            "SYN-ACK, ACK, the ClientHello, a ServerHello; 1 in 5 hellos is "
            "1.8 KB and split over two segments, 1 in 10 flows is IPv6), "
            "with 3 HTTP flows and 5 DNS exchanges per 10 TLS flows, "
            "interleaved 16 flows at a time. `tlsfp -r FILE` (text "
            "output, best of 3 runs, and JSON output, 1 run) and `tshark -n "
            "-r FILE -T fields -e tls.handshake.ja3` (1 run) read it, "
            "output to a file. Frames per second is frames over wall time; "
            "tlsfp's time includes loading its BPF object. The CPU time "
            "(user and system) shows what other load on the machine took "
            "from the wall time."
            % fmt_int(tlsfp["fingerprints"] if tlsfp else 0), "",
            table(("Tool", "Frames", "Wall s", "Frames/s", "CPU s",
                   "Frames/CPU s", "Fingerprints", "Max RSS MiB", "Runs"),
                  rows), "",
            "tlsfp -r is %s as fast as tshark by wall time, %s by CPU "
            "time." % (fmt_ratio(ratio) if ratio else "?",
                       fmt_ratio(self.offline_ratio(True)) if ratio else "?")]
        rows = self.replay_profile()
        if rows:
            parts += ["", "Where `tlsfp -r`'s time goes: perf samples one "
                      "more text run, not timed (`-e cpu-clock -g`, 1 kHz). "
                      "The shares are of all its samples, and a kernel "
                      "function's share includes what it calls. The "
                      "loader is built without frame pointers, so its own "
                      "code is shown by library, self time only:", "",
                      table(("Where", "Share"), rows)]
        return "\n".join(parts)

    def replay_profile(self):
        """Return [(label, share)] of the replay's perf reports."""
        rows = []
        children = self.perf_children("perf-replay-sym.txt", False)
        for label, pattern in REPLAY_KERNEL_SYMBOLS:
            shares = [p for p, _, sym, _ in children
                      if re.search(pattern, sym)]
            if shares:
                rows.append((label, "%.1f%%" % max(shares)))
        for line in read_text(self.work, "perf-replay-dso.txt").splitlines():
            m = re.match(r"\s+([\d.]+)%\s+(\S+)\s*$", line)
            if m and not re.match(r"\[|bpf_prog_", m.group(2)):
                rows.append(("user space: %s" % m.group(2),
                             "%s%%" % m.group(1)))
        return rows

    def live_section(self):
        rows = []
        for r in self.live_rows():
            per_event = (1e6 * r["loader_cpu_s"] / r["printed"]
                         if r["printed"] else 0)
            bpf_ns = (r["bpf_run_time_ns"] / r["bpf_run_cnt"]
                      if r.get("bpf_run_cnt") else 0)
            rate = r["rate"]
            rows.append((fmt_int(rate) if isinstance(rate, (int, float))
                         else rate, fmt_int(r["achieved_pps"]),
                         fmt_int(r["sent"]), fmt_int(r["xdp_packets"]),
                         fmt_int(r["hellos"]), fmt_int(r["ringbuf_full"]),
                         fmt_int(r["printed"]), fmt_int(self.lost(r)),
                         fmt_int(r["veth_tx_dropped"] + r["veth_rx_dropped"]),
                         "%.1f" % per_event, fmt_ns(bpf_ns)))
        best = self.live_best()
        modes = sorted({r.get("xdp_mode", "?") for r in self.live_rows()})
        conf = (self.res["live_config"] or [{}])[0]
        parts = [
            "## 3. Live: ClientHellos replayed onto a veth", "",
            "tests/lib/testbed.sh makes two network namespaces joined by a "
            "veth pair. `tlsfp -j -s -d in vs0` runs in the server "
            "namespace (XDP attach mode as `ip link` shows it: %s), and "
            "`tcpreplay --pps=RATE --pps-multi=10` (or "
            "`--topspeed`) sends a capture of one-frame ClientHellos "
            "(571-byte frames, each one a new flow from 198.19.0.0/16) from "
            "the client namespace. The frames' destination MAC is not "
            "vs0's, so after XDP the server's stack drops them and sends no "
            "reply. tlsfp starts afresh for each step, and a step sends "
            "%s s of traffic at its rate (%s to %s hellos). Lost = sent - "
            "printed. The loader's CPU time is read from /proc during the "
            "step; the XDP time per packet is the kernel's own "
            "(`kernel.bpf_stats_enabled`, run_time_ns / run_cnt), ring "
            "buffer wakeups included. Steps stop after two lossy ones or "
            "when tcpreplay falls short of the rate; the top-speed step "
            "runs in any case." % (
                ", ".join(XDP_MODES.get(m, m) for m in modes),
                conf.get("seconds", "?"),
                fmt_int(conf.get("min_hellos", 0)),
                fmt_int(conf.get("max_hellos", 0))), "",
            table(("Rate asked", "Sent/s", "Sent", "Reached XDP",
                   "Parsed", "ringbuf_full", "Printed", "Lost",
                   "veth drops", "Loader CPU µs/hello", "XDP ns/packet"),
                  rows), "",
            "Highest rate with zero loss among the steps: %s." % (
                "%s hellos/s" % fmt_int(best["achieved_pps"]) if best
                else "none")]
        rows = [("%.1f%%" % p, dso, sym) for p, dso, sym in
                self.loader_profile() if p < 95 and not
                re.match(r"0x[0-9a-f]+$", sym)][:14]
        if rows:
            events = (self.res["loader_profile"] or [{}])[0].get("events")
            parts += ["", "Where the loader's CPU time goes: perf "
                      "(`--call-graph dwarf`, 1 kHz, 3 s) on tlsfp while "
                      "tcpreplay sends %s hellos at 10 000 hellos/s; "
                      "inclusive shares of the loader's samples, its "
                      "user-space functions only:" % fmt_int(events or 0), "",
                      table(("Share", "Object", "Function"), rows)]
        return "\n".join(parts)

    def memory_section(self):
        maps = sorted(self.res["map"], key=lambda m: -m["bytes_memlock"])
        rows = [(m["name"], m["type"], fmt_int(m["max_entries"]),
                 m["bytes_key"], m["bytes_value"],
                 fmt_int(m["bytes_memlock"])) for m in maps]
        total = sum(m["bytes_memlock"] for m in maps)
        progs = {p["id"]: p for p in self.res["prog_mem"]}.values()
        smaps = [(s["name"], fmt_int(s["rss_kb"])) for s in self.res["smaps"]]
        rss = self.max_rss()
        table_text = read_text(self.work, "map-table.txt").strip()
        parts = [
            "## 4. Memory", "",
            "Loader: the largest VmHWM of the live steps is %s KiB (%.1f "
            "MiB). At top speed /proc/PID/status reads: %s. Its largest "
            "resident mappings then, from /proc/PID/smaps (the ring buffer "
            "and the global data sections are bpf-map mappings):" % (
                fmt_int(rss or 0), (rss or 0) / 1024, self.rss_status()),
            "",
            table(("Mapping", "Rss KiB"), smaps), "",
            "BPF maps of a running tlsfp (found through its file "
            "descriptors; memlock as `bpftool map show` reports it):", "",
            table(("Map", "Type", "Max entries", "Key bytes", "Value bytes",
                   "memlock bytes"), rows), "",
            "Total map memlock: %s bytes (%.1f MiB); programs: %s bytes." % (
                fmt_int(total), total / 2**20,
                fmt_int(sum(p["bytes_memlock"] for p in progs)))]
        if table_text:
            parts += ["", "tlsfp -s prints its own estimate at exit:", "",
                      "```", table_text, "```"]
        return "\n".join(parts)

    def rss_status(self):
        rows = self.res["rss_status"]
        if not rows:
            return "?"
        return ", ".join(p.strip() for p in rows[0]["pid_status"].split(";")
                         if p.strip())

    # ----------------------------------------------------------------
    # Findings: each is printed only when the run's numbers show it.

    def findings(self):
        out = []
        self.finding_wakeup(out)
        self.finding_hello_path(out)
        self.finding_non_tls(out)
        self.finding_loader(out)
        self.finding_ring(out)
        self.finding_rss(out)
        self.finding_verifier(out)
        self.finding_map_table(out)
        if not out:
            return ""
        return "## Findings and suggestions\n\n" + (
            "Computed from the figures above; each names its evidence. "
            "They are suggestions: the benchmark changes nothing.\n\n") + \
            "\n\n".join("%d. %s" % (i + 1, text)
                        for i, text in enumerate(out))

    def finding_wakeup(self, out):
        waiting = self.classes.get(("xdp", "hello_small_wakeup"))
        behind = self.classes.get(("xdp", "hello_small"))
        if not waiting or not behind:
            return
        cost = waiting["ns"] - behind["ns"]
        if cost < 500:
            return
        text = ("**Ring buffer wakeups.** With the consumer waiting, a new "
                "hello costs %s ns in tlsfp_xdp, against %s ns with the "
                "consumer behind: the wakeup adds %.1f µs per event. "
                "bpf_ringbuf_output() with flags 0 queues an irq_work "
                "whenever the consumer has caught up, and the irq_work "
                "raises a self-IPI" % (fmt_ns(waiting["ns"]),
                                       fmt_ns(behind["ns"]), cost / 1000))

        msr = self.profile_share("hello_small_wakeup", ["native_write_msr"])
        if msr > 0.1:
            text += ("; in this virtual machine the IPI is an APIC register "
                     "write that exits to the hypervisor, and "
                     "`native_write_msr` takes %.0f%% of the samples of "
                     "that row" % (100 * msr))
        text += "."

        low = min(self.live_rows(), key=lambda r: r["achieved_pps"],
                  default=None)
        if low and low.get("bpf_run_cnt"):
            text += (" Live at %s hellos/s, where the loader keeps up, the "
                     "kernel counts %s ns per XDP run." % (
                         fmt_int(low["achieved_pps"]),
                         fmt_ns(low["bpf_run_time_ns"] / low["bpf_run_cnt"])))

        replay = [p for p, _, sym, _ in
                  self.perf_children("perf-replay-sym.txt", False)
                  if sym == "irq_work_queue"]
        if replay:
            text += (" `tlsfp -r` reads the ring buffer after every frame, "
                     "so each of its hellos wakes it: irq_work_queue is "
                     "%.0f%% of its samples." % max(replay))
        out.append(text + (
            " Suggestion: pass BPF_RB_NO_WAKEUP, and BPF_RB_FORCE_WAKEUP "
            "only once bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) passes "
            "a threshold; the loader's poll timeout bounds the delay of the "
            "others, and replay, which reads the ring buffer itself after "
            "each frame, needs no wakeup at all."))

    def finding_hello_path(self, out):
        r = self.classes.get(("xdp", "hello_small"))
        counts = self.leaf["hello_small"]
        total = sum(counts.values())
        if not r or not total or r["ns"] / r["empty_ns"] <= HELLO_MAX_RATIO:
            return
        zero = counts["zero_word"] / total
        ja3 = self.md5_ns("ja3_md5") or 0
        maps = sum(counts[s] for s in counts
                   if re.search(r"memcpy|memset|lru|htab", s)) / total
        text = ("**ClientHello path.** A new single-segment hello takes %s "
                "ns in tlsfp_xdp (%s the empty program). The JA3 string "
                "and its MD5 take about %s ns of it (measured alone "
                "above)." % (fmt_ns(r["ns"]), fmt_ratio(r["ns"] / r[
                    "empty_ns"]), fmt_ns(ja3)))
        if zero > 0.05:
            text += (" zero_word(), the bpf_loop callback with which "
                     "zero_hello() clears struct tlsfp_hello (%s bytes) 8 "
                     "bytes per call, takes %.0f%% of the samples, about %s "
                     "ns: clearing 64 bytes per call, or copying from a "
                     "zeroed map value with one bpf_probe_read_kernel(), "
                     "would save most of it." % (
                         self.size("hello"), 100 * zero,
                         fmt_ns(zero * r["ns"])))
        if maps > 0.05:
            text += (" Hash map and copy functions (LRU insert, memcpy, "
                     "memset) take %.0f%%: the flows map stores a whole "
                     "event (%s bytes) per flow, where the datapath reads "
                     "back only its flags; a small value would do." % (
                         100 * maps, self.size("event")))
        out.append(text)

    def size(self, what):
        rows = self.res["sizes"]
        return fmt_int(rows[0][what]) if rows else "?"

    def map_value(self, name):
        for m in self.res["map"]:
            if m["name"] == name:
                return fmt_int(m["bytes_value"])
        return "?"

    def finding_non_tls(self, out):
        w = self.worst(NON_TLS_CLASSES)
        counts = self.leaf["ack_data"]
        total = sum(counts.values())
        r = self.classes.get(("xdp", "ack_data"))
        if not w or w[0] <= NON_TLS_MAX_RATIO or not total or not r:
            return
        top = ", ".join("%s %.0f%%" % (sym, 100 * n / total)
                        for sym, n in counts.most_common(6))
        causes = []
        for symbols, cause in NON_TLS_CAUSES:
            share = self.profile_share("ack_data", symbols)
            if share > 0.05:
                causes.append(cause % (100 * share))
        text = ("**Packets without TLS.** A TCP segment with an HTTP "
                "request costs %s ns in tlsfp_xdp against %s ns for the "
                "empty program (%s); the worst class without TLS is %s on "
                "%s at %s. Samples of the segment: %s." % (
                    fmt_ns(r["ns"]), fmt_ns(r["empty_ns"]),
                    fmt_ratio(r["ns"] / r["empty_ns"]), w[2], w[1],
                    fmt_ratio(w[0]), top))
        if causes:
            text += " " + " ".join(causes)
        out.append(text)

    def finding_loader(self, out):
        us = self.loader_us_per_event()
        if us is None or 1e6 / us >= LIVE_MIN_RATE:
            return
        text = ("**Loader cost per event.** The loader spends %.1f µs of "
                "CPU per printed hello (its best live step), so one core "
                "prints at most about %s hellos/s." % (us, fmt_int(1e6 / us)))
        causes = []
        for pattern, cause in LOADER_CAUSES:
            share = self.loader_share(pattern)
            if share > 5:
                causes.append(cause % share)
        if causes:
            text += (" perf on the loader at 10 000 hellos/s, inclusive "
                     "shares of its CPU time: " + " ".join(causes))
        out.append(text)

    def finding_ring(self, out):
        full = sum(r["ringbuf_full"] for r in self.live_rows())
        ring = next((m["max_entries"] for m in self.res["map"]
                     if m["name"] == "events"), None)
        sizes = self.res["sizes"]
        if not full or not ring or not sizes:
            return
        event = sizes[0]["event"]
        # Each record has an 8-byte header and is rounded up to 8 bytes.
        capacity = ring // ((event + 8 + 7) // 8 * 8)
        out.append(
            "**Events lost in the ring buffer.** %s events were lost with "
            "`ringbuf_full` over the live steps. Each event is a whole "
            "struct tlsfp_event of %s bytes, %s of them struct tlsfp_hello "
            "with its fixed-size lists, so the %.0f MiB ring holds %s events: "
            "a stall of the loader of %.0f ms fills it at 25 000 hellos/s. "
            "Suggestions: send only the used part of the lists "
            "(bpf_ringbuf_reserve() of the size needed, or a compact "
            "encoding), and size the ring from the expected rate." % (
                fmt_int(full), fmt_int(event), self.size("hello"),
                ring / 2**20, fmt_int(capacity), 1000 * capacity / 25000))

    def finding_rss(self, out):
        rss = self.max_rss()
        if rss is None or rss <= RSS_MAX_KIB:
            return
        ring = next((m["max_entries"] for m in self.res["map"]
                     if m["name"] == "events"), None)
        bpf_maps = sum(s["rss_kb"] for s in self.res["smaps"]
                       if "bpf-map" in s["name"])
        text = "**Loader memory.** VmHWM reaches %.1f MiB." % (rss / 1024)
        if ring and bpf_maps >= 2 * ring / 1024 * 0.9:
            text += (" Of the resident memory at top speed, %s KiB are BPF "
                     "map mappings: libbpf maps the %.0f MiB ring buffer's "
                     "data area twice in a row, so that a record that "
                     "wraps reads as one piece, and the kernel maps every "
                     "page at mmap() time, so RSS counts %.0f MiB from the "
                     "start for %.0f MiB of memory. The rest of the loader is "
                     "about %.1f MiB, so a ring of half the size would put "
                     "the loader near %.1f MiB (an estimate from these "
                     "figures); with smaller events (above) it would still "
                     "hold more hellos than now." % (
                         fmt_int(bpf_maps), ring / 2**20, 2 * ring / 2**20,
                         ring / 2**20, (rss - bpf_maps) / 1024,
                         (rss - bpf_maps / 2) / 1024))
        out.append(text)

    def finding_verifier(self, out):
        progs = {r["name"]: r for r in self.res["prog"]
                 if r["object"] == "tlsfp"}
        load = [p for p, _, sym, _ in
                self.perf_children("perf-replay-sym.txt", False)
                if sym == "bpf_check"]
        xdp = progs.get("tlsfp_xdp")
        if not xdp or not load or max(load) < 5:
            return
        others = [r for name, r in progs.items() if name != "tlsfp_xdp"]
        out.append(
            "**Load time in replay.** The verifier (bpf_check) takes %.0f%% "
            "of `tlsfp -r`'s samples. It processes %s instructions for "
            "tlsfp_xdp (%.1f s here) and checks %s as well, %.1f s in all, "
            "though replay runs only tlsfp_xdp (user/replay.c). Not "
            "loading the others in replay mode (bpf_program__set_autoload() "
            "before the load) would save that time on every replay." % (
                max(load), fmt_int(xdp["processed_insns"]),
                xdp["verification_us"] / 1e6,
                ", ".join(r["name"] for r in others),
                sum(r["verification_us"] for r in others) / 1e6))

    def finding_map_table(self, out):
        """Compare the map table of tlsfp -s with bpftool's memlock."""
        listed = {}
        for line in read_text(self.work, "map-table.txt").splitlines():
            m = re.match(r"\s+(\S+)\s+\d+ entries\s+(\d+) bytes", line)
            if m:
                listed[m.group(1)] = int(m.group(2))
        maps = [m for m in self.res["map"] if "." not in m["name"]]
        if not listed or not maps:
            return
        missing = [m["name"] for m in maps if m["name"] not in listed]
        memlock = sum(m["bytes_memlock"] for m in maps)
        table_total = sum(listed.values())
        if not missing and table_total >= 0.9 * memlock:
            return
        text = ("**The map table of `tlsfp -s`.** It totals %s bytes, "
                "where bpftool reports %s bytes of memlock for tlsfp's "
                "maps." % (fmt_int(table_total), fmt_int(memlock)))
        if missing:
            text += " It leaves out %s." % ", ".join(missing)
        worst = max((m for m in maps if m["name"] in listed),
                    key=lambda m: m["bytes_memlock"] / max(listed[m["name"]],
                                                           1))
        text += (" Key plus value per entry leaves out the kernel's own "
                 "cost of a hash map, its element headers and buckets: %s "
                 "is listed at %s bytes and takes %s." % (
                     worst["name"], fmt_int(listed[worst["name"]]),
                     fmt_int(worst["bytes_memlock"])))
        out.append(text + " The memlock line of each map's entry in "
                   "/proc/self/fdinfo gives the kernel's figure.")

    def render(self):
        sections = [self.header(), self.machine_section(),
                    self.targets_section(), self.test_run_section(),
                    self.offline_section(), self.live_section(),
                    self.memory_section(), self.findings()]
        return "\n\n".join(s for s in sections if s) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    text = Report(argv[1]).render()
    with open(argv[2], "w") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv)
