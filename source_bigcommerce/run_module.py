"""`python -m source_bigcommerce.run_module ...`: the console script as a module (for profilers)."""

from .run import run

run()
