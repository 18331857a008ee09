"""Benchmark of the calendar and booking paths against a raw Starlette + asyncpg endpoint."""
