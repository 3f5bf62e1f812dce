def square(x):
    """TODO: a correct answer written differently."""
    return x ** 2
