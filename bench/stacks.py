"""Summaries of py-spy's raw (collapsed) stacks: where a worker spends its time, by
function (inclusive and self share of samples) and by area (WSGI server, Flask/Werkzeug,
Authlib, SQLAlchemy, database driver, PKCS#11, ...).

    .venv/bin/python bench/stacks.py bench/results/profile-bawaba-sqlite-code_flow.txt
"""

import re
import sys
from collections import Counter

# Area of a frame, by the file it runs in; first match wins. Order: most specific first.
AREAS = [
    ("pkcs11 (SoftHSM)", ("pkcs11/", "hsm.py")),
    ("database driver", ("psycopg/", "sqlite3/", "<built-in method execute",
                         "<built-in method commit")),
    ("SQLAlchemy", ("sqlalchemy/", "flask_sqlalchemy/")),
    ("rate limits", ("flask_limiter/", "limits/", "redis/")),
    ("Authlib", ("authlib/",)),
    ("joserfc/cryptography", ("joserfc/", "cryptography/")),
    ("Jinja/Babel", ("jinja2/", "babel/", "flask_babel/")),
    ("Flask/Werkzeug", ("flask/", "werkzeug/", "flask_wtf/", "itsdangerous/")),
    ("Bawaba", ("idp/",)),
    ("WSGI server", ("gunicorn/", "granian/", "socketserver", "selectors")),
    ("logging", ("logging/",)),
]
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def parse(path):
    """(stack as a list of (function, file), samples) for each line of a raw profile."""
    stacks = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            frames, _, count = line.rpartition(" ")
            parsed = []
            for frame in frames.split(";"):
                match = FRAME.match(frame)
                parsed.append((match["func"], match["file"]) if match else (frame, ""))
            stacks.append((parsed, int(count)))
    return stacks


def area(frame):
    func, file = frame
    text = f"{file} {func}"
    for name, needles in AREAS:
        if any(n in text for n in needles):
            return name
    return "other"


def summarize(path, top=25):
    stacks = parse(path)
    total = sum(n for _, n in stacks) or 1
    inclusive, own, areas = Counter(), Counter(), Counter()
    for frames, n in stacks:
        # Idle WSGI-server frames (waiting for a connection) are not request work.
        if frames and frames[-1][0] in ("select", "poll", "accept", "_worker_loop"):
            areas["idle (server waiting)"] += n
            own[frames[-1]] += n
            continue
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
        # The area of a sample is that of its innermost frame outside the standard library.
        areas[next((area(f) for f in reversed(frames) if area(f) != "other"), "other")] += n
    lines = [f"{path}: {total} samples", "", "by area (innermost known frame):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in areas.most_common()]
    lines += ["", "inclusive (function, file):"]
    lines += [f"  {100 * n / total:5.1f}%  {f} ({file})" for (f, file), n in
              inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"  {100 * n / total:5.1f}%  {f} ({file})" for (f, file), n in own.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(summarize(name))
