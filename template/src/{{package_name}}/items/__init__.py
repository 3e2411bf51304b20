"""The example domain: items. Replace it with your own, keeping the shape
(router, schemas, store, dependencies)."""
