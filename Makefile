# The two commands of the README. Each sets up what it needs first (Debian packages, .venv, extras).
.PHONY: demo test test-fast bench clean

OUT ?= demo_twin
PYTEST_ARGS ?=

demo:
	@scripts/setup.sh usd,report
	OMP_WAIT_POLICY=PASSIVE .venv/bin/twin demo --out $(OUT)

test:
	@scripts/setup.sh dev
	OMP_WAIT_POLICY=PASSIVE .venv/bin/python -m pytest $(PYTEST_ARGS)

# Without the slow and real-data cases (CI runs everything through `make test`).
test-fast:
	@scripts/setup.sh dev
	.venv/bin/python -m pytest -m "not slow and not realdata" $(PYTEST_ARGS)

bench:
	@scripts/setup.sh dev
	.venv/bin/python -m bench

clean:
	rm -rf demo_twin .pytest_cache
