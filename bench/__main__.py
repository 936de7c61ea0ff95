"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from bench import assets, foundation, sysid

if __name__ == "__main__":
    foundation.main()
    assets.main()
    sysid.main()
