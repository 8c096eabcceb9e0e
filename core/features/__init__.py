"""Features: mel spectrograms computed once per (clips, settings) into memory-mapped stores."""

from core.features.store import (
    Features,
    compute_features,
    delete_store,
    list_stores,
    open_store,
    store_key,
)

__all__ = ["Features", "compute_features", "delete_store", "list_stores", "open_store", "store_key"]
