"""Run every benchmark: ``python -m bench`` (``make bench``)."""

from bench import assets, build, foundation, sysid

if __name__ == "__main__":
    foundation.main()
    assets.main()
    sysid.main()
    build.main()
