def cube(x):
    """TODO: a correct answer written differently."""
    return x ** 3
