"""A VMX file read as ESXi reads it: open-vm-tools' dictionary line reader
(lib/dict/dictll.c, DictLL_UnmarshalLine) and its value unescaping (lib/misc/escape.c,
Escape_Undo with '|'), ported line for line. Shared by the oracle scripts."""

HEX = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}


def escape_undo(raw):
    """Escape_Undo('|'): `|` + two hex digits is one byte; anything else, including a `|`
    that is not followed by two hex digits, stays as it is, and the byte that broke an
    escape off does not start one."""
    out, start, state, h = bytearray(), 0, 0, 0
    for i, b in enumerate(raw):
        c = chr(b)
        if state == 0:
            state = 1 if c == "|" else 0
        elif state == 1:
            state, h = (2, HEX[c]) if c in HEX else (0, 0)
        else:
            if c in HEX:
                out += raw[start:i - 2] + bytes([h << 4 | HEX[c]])
                start = i + 1
            state = 0
    out += raw[start:]
    return bytes(out)


def dictll_lines(data):
    """DictLL_UnmarshalLine over a whole file: (name, value) per well-formed line. A line
    that is not well-formed (ESXi keeps it but gives it no name) raises, since guestnet never
    means to write one."""
    ws = b" \t"
    entries = []
    for n, line in enumerate(data.split(b"\n"), 1):
        i = 0
        while i < len(line) and line[i] in ws:
            i += 1
        if i == len(line) or line[i:i + 1] == b"#":
            continue  # blank or comment
        start = i
        while i < len(line) and line[i] not in b" \t#=\0":
            i += 1
        name = line[start:i]
        while i < len(line) and line[i] in ws:
            i += 1
        if not name or line[i:i + 1] != b"=":
            raise ValueError(f"VMX line {n} is not well-formed: {line[:80]!r}")
        i += 1
        while i < len(line) and line[i] in ws:
            i += 1
        if line[i:i + 1] == b'"':
            i += 1
            vstart = i
            while i < len(line) and line[i] not in b'"\0':
                i += 1
            if line[i:i + 1] != b'"':
                raise ValueError(f"VMX line {n}: unterminated quoted value")
            value = line[vstart:i]
            i += 1
        else:
            vstart = i
            while i < len(line) and line[i] not in b' \t#"\0':
                i += 1
            value = line[vstart:i]
        while i < len(line) and line[i] in ws:
            i += 1
        if i < len(line) and line[i:i + 1] != b"#":
            raise ValueError(f"VMX line {n}: text after the value: {line[:80]!r}")
        entries.append((name.decode("utf-8"), escape_undo(value).decode("utf-8")))
    return entries


def read(path):
    """(keys in file order, {key: value}); a key set twice raises."""
    with open(path, "rb") as f:
        entries = dictll_lines(f.read())
    keys = [k for k, _ in entries]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"VMX keys set twice: {dup}")
    return keys, dict(entries)
