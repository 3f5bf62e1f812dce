def double(x):
    """TODO: a correct answer written differently."""
    return x + x
