"""``python -m petbrowser``: the same entry point as the ``petbrowser`` script."""

from petbrowser.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
