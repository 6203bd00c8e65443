"""``python -m metacascade``: the same command-line interface as the ``metacascade`` script."""

from metacascade.cli import main

if __name__ == "__main__":
    main()
