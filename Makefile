# Shortcuts for the two commands in README.md.
.PHONY: help bootstrap run test compose-config stop-db clean

help:
	@echo "make run              install what is missing, seed the demo, serve on http://127.0.0.1:8000"
	@echo "make test [ARGS=...]  install what is missing, run the test suite on PostGIS (ARGS go to pytest)"
	@echo "make bootstrap        only the installs (.venv, system packages)"
	@echo "make compose-config   validate docker-compose.yml"
	@echo "make stop-db          stop the demo's PostgreSQL cluster (var/pg); the next run starts it again"
	@echo "make clean            stop the demo database, remove .venv, var/ (the database, uploads) and static files"

bootstrap:
	bash scripts/bootstrap.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

# Docker's compose plugin, or the standalone docker-compose where that is all there is.
compose-config:
	@if docker compose version >/dev/null 2>&1; then compose="docker compose"; else compose=docker-compose; fi; \
	DJANGO_SECRET_KEY=check POSTGRES_PASSWORD=check $$compose config --quiet && echo "docker-compose.yml is valid"

stop-db:
	@bash -c 'source scripts/bootstrap.sh && source scripts/pg.sh && if cluster_running "$(CURDIR)/var/pg"; then stop_cluster "$(CURDIR)/var/pg" && echo "stopped"; else echo "not running"; fi'

clean: stop-db
	rm -rf .venv var staticfiles
