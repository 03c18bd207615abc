"""Strict reader of the Prometheus text exposition format (0.0.4).

Checks what node_exporter's textfile collector needs:
- every line is a comment, a HELP or TYPE line, or a sample;
- a family's HELP and TYPE come once each, before its samples, which are
  contiguous;
- names and label names are valid, label values are quoted with valid
  escapes, and values are numbers;
- no series repeats, and counters end in _total and are not negative.
promtool checks this too, but Debian ships it in the prometheus package,
whose installation starts a Prometheus server.

Usage: promparse.py FILE   prints "NAME{LABELS} VALUE" per sample, sorted,
with labels in file order, or an error and exit status 1.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
LABELS = rf"\{{(?:{LABEL}={LABEL_VALUE}(?:,{LABEL}={LABEL_VALUE})*,?)?\}}"
NUMBER = r"[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN)"
SAMPLE = re.compile(rf"^({NAME})({LABELS})? ({NUMBER})(?: -?[0-9]+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


class FormatError(Exception):
    pass


def parse(text):
    if text and not text.endswith("\n"):
        raise FormatError("the last line has no newline")
    helps, types, done, series = {}, {}, set(), {}
    current = None
    for number, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {number}"
        m = HELP.match(line)
        if m:
            name = m.group(1)
            if name in helps:
                raise FormatError(f"{where}: second HELP for {name}")
            helps[name] = m.group(2)
            continue
        m = TYPE.match(line)
        if m:
            name = m.group(1)
            if name in types:
                raise FormatError(f"{where}: second TYPE for {name}")
            if name in done or name == current:
                raise FormatError(f"{where}: TYPE for {name} after its samples")
            types[name] = m.group(2)
            continue
        if line.startswith("#"):
            if line.startswith("# HELP") or line.startswith("# TYPE"):
                raise FormatError(f"{where}: malformed: {line!r}")
            continue
        if not line:
            raise FormatError(f"{where}: empty line")
        m = SAMPLE.match(line)
        if not m:
            raise FormatError(f"{where}: not a sample: {line!r}")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if name != current:
            if name in done:
                raise FormatError(f"{where}: samples of {name} not together")
            if current:
                done.add(current)
            current = name
        if name not in types or name not in helps:
            raise FormatError(f"{where}: {name} has no HELP or TYPE before it")
        if types[name] == "counter":
            if not name.endswith("_total"):
                raise FormatError(f"{where}: counter {name} lacks _total")
            if float(value) < 0:
                raise FormatError(f"{where}: counter {name} is negative")
        key = name + labels
        if key in series:
            raise FormatError(f"{where}: series {key} repeated")
        series[key] = float(value)
    return series


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        series = parse(text)
    except FormatError as e:
        print(f"{sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    for key in sorted(series):
        print(f"{key} {series[key]:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
