from .base import BigCommerceStream
from .catalogue import BY_NAME, CATALOGUE, STORE_TIME
from .declaration import ByDate, Scope, Spec

__all__ = ["BY_NAME", "CATALOGUE", "STORE_TIME", "BigCommerceStream", "ByDate", "Scope", "Spec"]
