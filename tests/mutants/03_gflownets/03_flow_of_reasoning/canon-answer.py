# %% mutant: no-sorting
def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    return f"({canonical(left)}{op}{canonical(right)})"

# %% mutant: sorts-every-operator
def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    a, b = sorted([canonical(left), canonical(right)])
    return f"({a}{op}{b})"

# %% mutant: top-level-only
def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    def plain(e):
        return str(e) if isinstance(e, int) else f"({plain(e[1])}{e[0]}{plain(e[2])})"
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    a, b = plain(left), plain(right)
    if op in "+*" and b < a:
        a, b = b, a
    return f"({a}{op}{b})"

# %% mutant: no-parentheses
def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    a, b = canonical(left), canonical(right)
    if op in "+*" and b < a:
        a, b = b, a
    return f"{a}{op}{b}"

# %% mutant: sort-by-value-length
def canonical(expr) -> str:
    """Canonical string of an expression tree, up to commutativity of + and *."""
    if isinstance(expr, int):
        return str(expr)
    op, left, right = expr
    a, b = canonical(left), canonical(right)
    if op in "+*" and len(b) < len(a):
        a, b = b, a
    return f"({a}{op}{b})"
