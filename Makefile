# The two commands of the README are `make run` and `make test`; the rest serve them.
.PHONY: setup build run test bench fuzz clean

setup:
	@bash scripts/setup.sh

build: setup
	@swift build -c release

run: setup
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

bench:
	@bash scripts/bench.sh

fuzz:
	@bash scripts/fuzz.sh

clean:
	@rm -rf .build run test-output
