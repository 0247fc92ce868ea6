"""``python -m ontomed``: the command line, as the ``ontomed`` script runs it."""

from .cli import main

if __name__ == "__main__":
    main()
