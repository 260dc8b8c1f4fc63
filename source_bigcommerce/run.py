import sys
from typing import List

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from .source import SourceBigCommerce


def _source(args: List[str]) -> SourceBigCommerce:
    # The concurrent framework sizes its worker pool at construction, so config, catalog and state are read first.
    config_path = AirbyteEntrypoint.extract_config(args)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    return SourceBigCommerce(
        catalog=SourceBigCommerce.read_catalog(catalog_path) if catalog_path else None,
        config=SourceBigCommerce.read_config(config_path) if config_path else None,
        state=SourceBigCommerce.read_state(state_path) if state_path else None,
    )


def run() -> None:
    args = sys.argv[1:]
    launch(_source(args), args)
