def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    # Written differently: an explicit stack instead of recursion.
    out: dict[int, str] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, int):
            continue
        if not ready:
            stack.append((node, True))
            stack.extend([(node[1], False), (node[2], False)])
            continue
        a = str(node[1]) if isinstance(node[1], int) else out[id(node[1])]
        b = str(node[2]) if isinstance(node[2], int) else out[id(node[2])]
        if node[0] in "+*":
            a, b = sorted((a, b))
        out[id(node)] = "(" + a + node[0] + b + ")"
    return str(expr) if isinstance(expr, int) else out[id(expr)]
