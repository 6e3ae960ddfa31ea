"""A strict reader of the Prometheus text exposition format (0.0.4).

parse(text) -> {family name: Family}; raises ValueError on anything the
format does not allow, so tests fail on malformed output rather than
silently skip it.
"""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class Sample:
    __slots__ = ("name", "labels", "value")

    def __init__(self, name, labels, value):
        self.name, self.labels, self.value = name, labels, value


class Family:
    def __init__(self, name):
        self.name, self.type, self.help, self.samples = name, None, None, []

    def value(self, **labels):
        for s in self.samples:
            if all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        raise KeyError(labels)


def _value(text):
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return {"NaN": math.nan, "-Inf": -math.inf}.get(text, math.inf)
    return float(text)


def _labels(s, i):
    """Parse {a="b",...} starting after '{'; return (dict, index after '}')."""
    labels = {}
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m or s[m.end():m.end() + 2] != '="':
            raise ValueError(f"bad label at {i}: {s}")
        key, i = m.group(0), m.end() + 2
        val = []
        while s[i] != '"':
            if s[i] == "\\":
                nxt = s[i + 1]
                val.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt))
                if val[-1] is None:
                    raise ValueError(f"bad escape in {s}")
                i += 2
            else:
                val.append(s[i])
                i += 1
        if key in labels:
            raise ValueError(f"label {key} twice: {s}")
        labels[key] = "".join(val)
        i += 1
        if s[i] == ",":
            i += 1


def parse(text):
    fams, current, order = {}, None, []
    for line in text.split("\n"):
        if line == "":
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, rest = line[2:6], line[7:]
            name, _, arg = rest.partition(" ")
            fam = fams.get(name)
            if fam is None:
                if name in order:
                    raise ValueError(f"{name} interleaved")
                fam = fams[name] = Family(name)
                order.append(name)
            elif fam.samples:
                raise ValueError(f"{kind} after samples of {name}")
            if kind == "TYPE":
                if fam.type is not None:
                    raise ValueError(f"two TYPE lines for {name}")
                fam.type = arg
            else:
                if fam.help is not None:
                    raise ValueError(f"two HELP lines for {name}")
                fam.help = arg
            current = fam
            continue
        if line.startswith("#"):
            continue
        m = NAME.match(line)
        if not m:
            raise ValueError(f"bad sample line: {line}")
        name, i, labels = m.group(0), m.end(), {}
        if i < len(line) and line[i] == "{":
            labels, i = _labels(line, i + 1)
        if line[i] != " ":
            raise ValueError(f"no value: {line}")
        parts = line[i + 1:].split(" ")
        if len(parts) > 2:
            raise ValueError(f"trailing junk: {line}")
        fam = current if current is not None and (
            name == current.name or name.startswith(current.name + "_")
        ) else None
        if fam is None:
            if name in fams:
                raise ValueError(f"samples of {name} not together")
            fam = fams[name] = Family(name)
            order.append(name)
            current = fam
        fam.samples.append(Sample(name, labels, _value(parts[0])))
    return fams
