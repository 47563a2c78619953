"""Benchmarks of fleetplan: a seeded instance generator (``generate``) and a timed runner (``run``).

``python -m benchmarks.generate --size M --seed 1 -o DIR`` writes an instance folder that
``plan solve DIR`` reruns; ``python -m benchmarks.run --sizes S,M`` times every stage and writes
``docs/benchmarks.md`` (its workers are ``worker``, timing solver calls with ``probe``; the machine
and versions come from ``environment``).
"""
