# The two commands a newcomer needs (see README):
#   make demo   build everything and run the collector with the demo pages
#   make test   install what is missing and run every test
.PHONY: demo test build dist server bench

ADDR ?= 127.0.0.1:8080
DATA ?= insp-data

demo: build
	./target/release/insp serve --demo --addr $(ADDR) --data $(DATA) --examples examples

test:
	bash scripts/test.sh

build:
	bash scripts/setup.sh build
	bash scripts/build-dist.sh
	cargo build --release -p insp-server

dist:
	bash scripts/build-dist.sh

server:
	cargo build --release -p insp-server
