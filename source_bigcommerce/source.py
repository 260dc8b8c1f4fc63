"""The BigCommerce source: validate the config, check the store, list the streams."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, List, Mapping, Optional, Tuple

from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream

from .check import check_store
from .config import BigCommerceConfig, ConfigError
from .dates import UTC
from .streams import Brands, Categories, Channels, Customers, OrderProducts, Orders, Pages, Products, Store, Transactions


class SourceBigCommerce(AbstractSource):
    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Tuple[bool, Optional[str]]:
        try:
            settings = BigCommerceConfig.from_mapping(config)
        except ConfigError as error:
            return False, error.message
        _warn_if_future(logger, settings)
        return check_store(settings)

    def streams(self, config: Mapping[str, Any]) -> List[Stream]:
        settings = BigCommerceConfig.from_mapping(config)
        _warn_if_future(logging.getLogger("airbyte"), settings)
        now = datetime.now(tz=UTC)
        shared = {"config": settings, "now": now}
        return [
            Customers(**shared),
            Orders(**shared),
            OrderProducts(parent=Orders(**shared), **shared),
            Transactions(parent=Orders(**shared), **shared),
            Products(**shared),
            Brands(**shared),
            Categories(**shared),
            Pages(**shared),
            Channels(**shared),
            Store(**shared),
        ]


def _warn_if_future(logger: logging.Logger, settings: BigCommerceConfig) -> None:
    if settings.start_date_in_future:
        logger.warning(f"start_date {settings.start_date.isoformat()} is in the future: incremental streams will emit nothing until then.")
