"""Which cores a `taskset` list names (the --server-cpu and --load-cpu options)."""


def cores(spec):
    """The cores of a taskset list such as 0 or 0,2-3."""
    chosen = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        chosen.update(range(int(first), int(last or first) + 1))
    return chosen
