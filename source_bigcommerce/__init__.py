from importlib.metadata import version

# Set by setup.py from metadata.yaml's dockerImageTag, the version's one source.
__version__ = version("source-bigcommerce")
