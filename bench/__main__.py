"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from bench import assets, foundation

if __name__ == "__main__":
    foundation.main()
    assets.main()
