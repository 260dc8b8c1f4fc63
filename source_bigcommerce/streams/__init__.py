from .catalogue import (Brands, Categories, Channels, Customers, OrderProducts, Orders, Pages, Products, Store,
                        Transactions)

__all__ = ["Brands", "Categories", "Channels", "Customers", "OrderProducts", "Orders", "Pages", "Products", "Store", "Transactions"]
