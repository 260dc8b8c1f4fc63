import sys

from airbyte_cdk.entrypoint import launch

from .source import SourceBigCommerce


def run() -> None:
    launch(SourceBigCommerce(), sys.argv[1:])
