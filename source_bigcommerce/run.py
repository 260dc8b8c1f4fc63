import ctypes
import sys
from typing import List

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch

from .source import SourceBigCommerce

# glibc's malloc tuning, set before any worker thread exists: one arena per thread and a moving mmap
# threshold keep freed page buffers (a page of 250 products is megabytes) fragmented in the heap,
# so peak RSS would creep up with the size of the store. (No effect, and no error, elsewhere.)
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8


def _tune_malloc() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):
        pass


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
    _tune_malloc()
    args = sys.argv[1:]
    launch(_source(args), args)
